/**
 * Everything the reading of documents left out or found odd, as one flat list that
 * every result carries (`AddSummary.warnings`, `analyze()`, the CLI's stderr and
 * `--json`): the parser's per-line warnings of each salon plus the loader's
 * file-level ones.
 *
 *   const warnings = contentWarnings(salons, loaded.warnings);
 *   if (options.strict) assertNoWarnings(warnings);
 */
import { SalonLensError } from '../errors.js';
import type { LoadWarning } from './load.js';
import type { ParseWarning, Salon } from './schema.js';

export interface ContentWarning {
  /** The document it is about. */
  file: string;
  /** What kind of content: a parser kind, or `file` for a whole document. */
  kind: ParseWarning['kind'] | 'file';
  message: string;
  /** 1-based line, for a warning about one line. */
  line?: number;
  /** The salon the document became, when it became one. */
  salonId?: string;
  /** The skipped text (trimmed), when there is one. */
  text?: string;
}

export function contentWarnings(
  salons: readonly Salon[],
  fileWarnings: readonly LoadWarning[] = [],
): ContentWarning[] {
  const out: ContentWarning[] = fileWarnings.map((w) => ({
    file: w.file,
    kind: 'file',
    message: w.message,
  }));
  for (const salon of salons) {
    for (const w of salon.warnings) {
      out.push({
        file: salon.source,
        kind: w.kind,
        message: w.message,
        line: w.line,
        salonId: salon.id,
        ...(w.text ? { text: w.text } : {}),
      });
    }
  }
  return out;
}

/** `strict`: any warning is an error, thrown before anything is stored. */
export function assertNoWarnings(warnings: readonly ContentWarning[]): void {
  if (warnings.length === 0) return;
  const first = warnings[0] as ContentWarning;
  const where = first.line === undefined ? first.file : `${first.file}:${first.line}`;
  throw new SalonLensError(
    'INPUT_ERROR',
    `strict: ${warnings.length} warning(s) in the documents, first ${where}: ${first.message}. ` +
      'Nothing was stored. Fix the documents (or map unknown headings with headingAliases), ' +
      'or run without strict.',
    { details: { reason: 'strict', warnings } },
  );
}
