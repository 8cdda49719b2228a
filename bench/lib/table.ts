/**
 * Markdown tables and number formats shared by the benches.
 *
 *   markdownTable(['engine', 'QPS'], [['hnswlib', fmt(1234.5)]], ['l', 'r'])
 */

export type Align = 'l' | 'r';

export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const rule = headers.map((_, i) => ((align[i] ?? 'l') === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}

/** Three significant figures, integers above 1000 (QPS, ms and MB read at a glance). */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** "median (min)" for a figure where lower is better, e.g. times. */
export function fmtMedianMin(s: { median: number; min: number } | undefined): string {
  return s ? `${fmt(s.median)} (${fmt(s.min)})` : 'n/a';
}

export const mib = (bytes: number) => bytes / 2 ** 20;
