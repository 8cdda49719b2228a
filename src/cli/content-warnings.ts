/**
 * Content warnings on stderr for `index` and `report`: one line per warning, or,
 * when there are many, one line per document and kind with a count, so a folder of
 * chatty documents does not bury the summary.
 *
 *   warning: salons/a.md:9: unknown section "Where we disagreed"; its content is skipped
 *   warning: salons/b.md: 14× chatter: prose between items (assistant commentary); skipped (lines 3, 8, 12, …)
 */
import type { ContentWarning } from '../parse/index.js';
import { info } from './io.js';

/** Up to this many warnings are printed one per line. */
const ONE_PER_LINE = 10;
const LINES_SHOWN = 3;

export function warningLines(warnings: readonly ContentWarning[]): string[] {
  if (warnings.length <= ONE_PER_LINE) {
    return warnings.map((w) =>
      w.line === undefined
        ? `warning: ${w.file}: ${w.message}`
        : `warning: ${w.file}:${w.line}: ${w.message}`,
    );
  }
  const groups = new Map<string, ContentWarning[]>();
  for (const w of warnings) {
    // Unknown headings stay one per heading: each is something to map or rename.
    const key = `${w.file}\u0000${w.kind === 'unknown-section' ? w.message : w.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  const lines = [...groups.values()].map((group) => {
    const first = group[0] as ContentWarning;
    const at = group.flatMap((w) => (w.line === undefined ? [] : [w.line]));
    if (group.length === 1) return warningLines([first])[0] as string;
    const shown = at.slice(0, LINES_SHOWN).join(', ') + (at.length > LINES_SHOWN ? ', …' : '');
    const where = at.length > 0 ? ` (lines ${shown})` : '';
    return `warning: ${first.file}: ${group.length}× ${first.kind}: ${first.message}${where}`;
  });
  const files = new Set(warnings.map((w) => w.file)).size;
  return [
    ...lines,
    `${warnings.length} warnings in ${files} document(s); \`salon-lens parse <paths>\` lists every line`,
  ];
}

export function printWarnings(warnings: readonly ContentWarning[]): void {
  for (const line of warningLines(warnings)) info(line);
}
