/**
 * Mean silhouette of a partition from a precomputed cosine-similarity matrix
 * (distance = 1 - cosine). Used by k:'auto' to score each candidate k.
 * Items alone in their cluster score 0 (the usual convention).
 *
 *   silhouette(cosineMatrix(unitVectors), n, labels) // in [-1, 1], higher is better
 */
export function silhouette(
  similarities: Float32Array,
  n: number,
  labels: readonly number[],
): number {
  let k = 0;
  for (const l of labels) k = Math.max(k, l + 1);
  if (k < 2 || n < 2) return 0;
  const counts = new Float64Array(k);
  for (const l of labels) counts[l] = (counts[l] as number) + 1;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const row = i * n;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const l = labels[j] as number;
      sums[l] = (sums[l] as number) + 1 - (similarities[row + j] as number);
    }
    const own = labels[i] as number;
    const ownCount = (counts[own] as number) - 1;
    if (ownCount === 0) continue;
    const a = (sums[own] as number) / ownCount;
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c === own || counts[c] === 0) continue;
      b = Math.min(b, (sums[c] as number) / (counts[c] as number));
    }
    const denom = Math.max(a, b);
    if (denom > 0) total += (b - a) / denom;
  }
  return total / n;
}
