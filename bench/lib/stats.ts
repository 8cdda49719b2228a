/**
 * Small statistics for bench figures: every figure is kept as min / median / max over
 * its repeats, so a reader sees the spread a noisy shared machine adds.
 *
 *   summarize([12.1, 11.8, 13.0]) // { min: 11.8, median: 12.1, max: 13, n: 3 }
 *   percentile(latenciesMs, 0.99)
 */

export interface Summary {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** Middle value; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..1): p99 of 1000 samples is the 990th smallest. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil(p * s.length)));
  return s[rank - 1] as number;
}

export function summarize(xs: readonly number[]): Summary {
  const finite = xs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 };
  return {
    min: Math.min(...finite),
    median: median(finite),
    max: Math.max(...finite),
    n: finite.length,
  };
}
