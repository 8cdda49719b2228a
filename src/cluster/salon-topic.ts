/**
 * Remove the "topic of the evening" from item vectors, so themes recur across salons
 * instead of mirroring them. Every item of a salon shares some of the salon's mean
 * vector; part of that mean is real theme content (a privacy salon has many privacy
 * items, and other salons have privacy items too), part is the evening's own topic,
 * which no other salon shares.
 *
 * Estimate, per salon, the part its items do not share with other salons: for each
 * item, the mean of its NEIGHBOURS nearest items in *other* salons says what the rest
 * of the corpus says about the same thing; the salon's mean residual (item minus that
 * neighbour mean) is its unshared offset. The fraction of the salon mean removed is
 * the offset's projection on the mean, clamped to [0, 1]:
 *
 *   fraction(s) = <offset(s), mean(s)> / |mean(s)|²
 *
 * so a salon whose items all have close cousins elsewhere loses little, and a salon
 * talking about its own topic loses most of its mean. No constant is fitted to the
 * labelled corpus: NEIGHBOURS is a usual kNN size. (Measured there: fractions 0.40 to
 * 0.64; a fixed fraction of 0.5 behaves about the same; removing the whole mean
 * halves theme-vs-salon NMI again but costs 0.04 of theme NMI, see bench/quality.ts.)
 *
 *   const { space, fractions } = removeSalonTopic(sectionCentred, salonIds, 'auto');
 */
import { sampleRows } from './kmeans-at-scale.js';
import { dot, dotF64 } from './vectors.js';

/** Nearest other-salon items averaged per item. */
export const NEIGHBOURS = 10;
/** Items used to estimate the fractions above this many (the kNN step is O(rows²), its matrix 8·rows² bytes). */
export const ESTIMATE_ROWS = 2000;

/** `vectors` are changed in place and returned as `space` (one n×dim copy less at 100,000 items). */
export function removeSalonTopic(
  vectors: Float64Array[],
  salonIds: readonly string[],
  setting: 'auto' | number,
  seed = 0,
  abortCheck?: () => void,
): { space: Float64Array[]; fractions: Record<string, number> } {
  const dim = vectors[0]?.length ?? 0;
  const means = new Map<string, { sum: Float64Array; count: number }>();
  vectors.forEach((v, i) => {
    const salon = salonIds[i] as string;
    let entry = means.get(salon);
    if (!entry) {
      entry = { sum: new Float64Array(dim), count: 0 };
      means.set(salon, entry);
    }
    for (let d = 0; d < dim; d++) entry.sum[d] = (entry.sum[d] as number) + (v[d] as number);
    entry.count++;
  });
  const fractions: Record<string, number> = {};
  if (means.size < 2 || setting === 0) {
    for (const salon of [...means.keys()].sort()) fractions[salon] = 0;
    return { space: vectors, fractions };
  }
  const estimated =
    setting === 'auto' ? unsharedFractions(vectors, salonIds, means, seed, abortCheck) : undefined;
  for (const salon of [...means.keys()].sort())
    fractions[salon] = estimated?.get(salon) ?? (setting as number);

  vectors.forEach((v, i) => {
    const salon = salonIds[i] as string;
    const { sum, count } = means.get(salon) as { sum: Float64Array; count: number };
    const scale = (fractions[salon] as number) / count;
    for (let d = 0; d < dim; d++) v[d] = (v[d] as number) - (sum[d] as number) * scale;
    const norm = Math.sqrt(dot(v, v));
    if (norm > 0) for (let d = 0; d < dim; d++) v[d] = (v[d] as number) / norm;
  });
  return { space: vectors, fractions };
}

function unsharedFractions(
  vectors: readonly Float64Array[],
  salonIds: readonly string[],
  means: ReadonlyMap<string, { sum: Float64Array; count: number }>,
  seed: number,
  abortCheck?: () => void,
): Map<string, number> {
  const dim = vectors[0]?.length ?? 0;
  const rows = sampleRows(vectors.length, ESTIMATE_ROWS, seed);
  // Each pair's cosine once (the pairs are symmetric): half the dot products.
  const m = rows.length;
  const sims = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    if (a % 64 === 0) abortCheck?.();
    const va = vectors[rows[a] as number] as Float64Array;
    for (let b = a + 1; b < m; b++) {
      const sim = dotF64(va, vectors[rows[b] as number] as Float64Array);
      sims[a * m + b] = sim;
      sims[b * m + a] = sim;
    }
  }
  const offsets = new Map<string, Float64Array>();
  const top: Array<{ row: number; sim: number }> = [];
  for (let a = 0; a < m; a++) {
    const i = rows[a] as number;
    const salon = salonIds[i] as string;
    const v = vectors[i] as Float64Array;
    top.length = 0;
    for (let b = 0; b < m; b++) {
      const j = rows[b] as number;
      if (salonIds[j] === salon) continue;
      const sim = sims[a * m + b] as number;
      // Keep the NEIGHBOURS best, ties to the lower row: insertion into a short list.
      if (top.length === NEIGHBOURS && sim <= (top[NEIGHBOURS - 1] as { sim: number }).sim)
        continue;
      let at = top.length;
      while (at > 0 && (top[at - 1] as { sim: number }).sim < sim) at--;
      top.splice(at, 0, { row: j, sim });
      if (top.length > NEIGHBOURS) top.pop();
    }
    if (top.length === 0) continue;
    let offset = offsets.get(salon);
    if (!offset) {
      offset = new Float64Array(dim);
      offsets.set(salon, offset);
    }
    for (let d = 0; d < dim; d++) {
      let neighbourMean = 0;
      for (const t of top) neighbourMean += (vectors[t.row] as Float64Array)[d] as number;
      offset[d] = (offset[d] as number) + (v[d] as number) - neighbourMean / top.length;
    }
  }
  const out = new Map<string, number>();
  for (const [salon, { sum }] of means) {
    const offset = offsets.get(salon);
    const norm2 = dot(sum, sum);
    // offset and sum are both totals over the salon's (sampled) rows: rescale the count.
    const sampled = rows.filter((r) => salonIds[r] === salon).length;
    const count = (means.get(salon) as { count: number }).count;
    if (!offset || norm2 === 0 || sampled === 0) {
      out.set(salon, 0);
      continue;
    }
    const fraction = (dot(offset, sum) * (count / sampled)) / norm2;
    out.set(salon, Math.min(1, Math.max(0, fraction)));
  }
  return out;
}
