/**
 * Human tables that fit the terminal. Fixed columns (ranks, scores, ids, sections)
 * keep their full width; flexible columns (item text, labels) share what is left
 * and are cut with an ellipsis, unless `wide` asks for the full text. Widths are
 * display widths (CJK and emoji take two cells), and every cell goes through
 * `terminalSafe` first, so untrusted text cannot reach the terminal raw.
 *
 *   formatTable([{ header: '#' }, { header: 'text', flex: true }], rows, { width: 80 });
 */
import stringWidth from 'string-width';
import { terminalSafe } from './terminal-text.js';

/** Width used when stdout is not a terminal (pipes, files, CI logs). */
export const FALLBACK_WIDTH = 100;
const GAP = '  ';
const ELLIPSIS = '…';

export interface Column {
  header: string;
  /** Shrinks (cut with an ellipsis) when the table is wider than the output. */
  flex?: boolean;
  /** Narrowest a flexible column gets. @default 12 */
  minWidth?: number;
  align?: 'left' | 'right';
}

export interface TableOptions {
  /** Total width to fit. @default outputWidth() */
  width?: number;
  /** Never cut: full text, even if lines wrap. */
  wide?: boolean;
}

/** The terminal's width, or FALLBACK_WIDTH when stdout is not a terminal. */
export function outputWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  return columns && columns > 0 ? columns : FALLBACK_WIDTH;
}

export function formatTable(
  columns: readonly Column[],
  rows: readonly string[][],
  options: TableOptions = {},
): string {
  const cells = rows.map((row) => columns.map((_, c) => terminalSafe(row[c] ?? '')));
  const natural = columns.map((col, c) =>
    Math.max(stringWidth(col.header), ...cells.map((row) => stringWidth(row[c] as string))),
  );
  const widths = options.wide
    ? natural
    : fitWidths(columns, natural, options.width ?? outputWidth());
  const line = (row: readonly string[]) =>
    row
      .map((value, c) => pad(cut(value, widths[c] as number), widths[c] as number, columns[c]))
      .join(GAP)
      .trimEnd();
  return [
    line(columns.map((col) => col.header)),
    widths.map((w) => '-'.repeat(w)).join(GAP),
    ...cells.map(line),
  ].join('\n');
}

/** Cells `text` takes on a terminal. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** One line of free text (a group member, a representative item) cut to the output width. */
export function fitLine(text: string, options: TableOptions = {}): string {
  const safe = terminalSafe(text);
  return options.wide ? safe : cut(safe, options.width ?? outputWidth());
}

/**
 * Widths that fit `total`: the largest cap c such that flexible columns at
 * min(natural, max(c, minWidth)) plus the fixed columns fit (water-filling, so the
 * longest column gives up width first). Fixed columns are never cut; if they alone
 * overflow, flexible columns sit at their minimum.
 */
function fitWidths(columns: readonly Column[], natural: number[], total: number): number[] {
  const widthAt = (cap: number) =>
    natural.map((w, c) => {
      const col = columns[c] as Column;
      return col.flex ? Math.min(w, Math.max(cap, col.minWidth ?? 12)) : w;
    });
  const sum = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + GAP.length * (ws.length - 1);
  if (sum(natural) <= total) return natural;
  let lo = 0;
  let hi = Math.max(...natural);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(widthAt(mid)) <= total) lo = mid;
    else hi = mid - 1;
  }
  return widthAt(lo);
}

const segmenter = new Intl.Segmenter();

/** `text` cut to `width` display cells, ending in an ellipsis when cut. */
function cut(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + ELLIPSIS;
}

function pad(text: string, width: number, column: Column | undefined): string {
  const fill = ' '.repeat(Math.max(0, width - stringWidth(text)));
  return column?.align === 'right' ? fill + text : text + fill;
}
