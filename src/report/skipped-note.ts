/**
 * The report's short "skipped content" note per salon: what the reading of its
 * document left out, grouped by kind, so a salon showing 0 disagreements because its
 * heading was not recognised says so next to the counts.
 *
 *   skippedNote(salon) // 'unknown section "Where we disagreed" (line 9); 2 lines of chatter (lines 4, 12)'
 */
import type { ReportSalon } from './schema.js';

const KIND_NAMES: Record<string, string> = {
  chatter: 'chatter',
  instruction: 'leaked instruction',
  'outside-section': 'text outside any section',
  'empty-section': 'empty section',
};

/** Lines listed per group before "…". */
const MAX_LINES = 5;

/** One line for a salon with skipped content, or undefined when nothing was skipped. */
export function skippedNote(salon: Pick<ReportSalon, 'skipped'>): string | undefined {
  const skipped = salon.skipped ?? [];
  if (skipped.length === 0) return undefined;
  const groups = new Map<string, number[]>();
  for (const w of skipped) {
    // Unknown headings are named one by one (the heading is what the user can map).
    const key = w.kind === 'unknown-section' ? w.message.replace(/; .*$/, '') : w.kind;
    groups.set(key, [...(groups.get(key) ?? []), w.line]);
  }
  return [...groups]
    .map(([key, lines]) => {
      const shown = lines.slice(0, MAX_LINES).join(', ') + (lines.length > MAX_LINES ? ', …' : '');
      const where = `${lines.length === 1 ? 'line' : 'lines'} ${shown}`;
      const name = KIND_NAMES[key];
      if (name === undefined) return `${key}, content skipped (${where})`;
      return lines.length === 1 ? `${name} (${where})` : `${lines.length}× ${name} (${where})`;
    })
    .join('; ');
}
