/**
 * Small dense-vector helpers for the cluster stage (cosine on L2-normalised vectors,
 * means, per-group centring). Kept here rather than in src/util because only this
 * stage does arithmetic on whole vector sets.
 *
 *   const sims = cosineMatrix(vectors); // Float32Array n*n, sims[i*n+j]
 */

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * `dot` for the hot loops over Float64Arrays (pairwise cosines of clustering's sample
 * and of the salon-topic estimate). Four partial sums, so the adds do not wait on each
 * other (~2× faster than `dot`). The Float32 twin (related insights) is util/vector.ts's
 * `dotF32`, the loop exact search uses: V8 optimises a loop for the array types it has
 * seen, and one fed both types ran ~2× slower than either copy here.
 */
export function dotF64(a: Float64Array, b: Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[i] as number) * (b[i] as number);
    s1 += (a[i + 1] as number) * (b[i + 1] as number);
    s2 += (a[i + 2] as number) * (b[i + 2] as number);
    s3 += (a[i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[i] as number) * (b[i] as number);
  return s0 + s1 + (s2 + s3);
}

/** Returns a new unit-length copy; a zero vector stays zero rather than becoming NaN. */
export function normalize(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v);
  const n = Math.sqrt(dot(out, out));
  if (n > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / n;
  return out;
}

/** Unit-length mean direction of the given rows. */
export function centroidOf(
  vectors: readonly ArrayLike<number>[],
  rows: readonly number[],
): Float64Array {
  const dim = vectors[0]?.length ?? 0;
  const sum = new Float64Array(dim);
  for (const r of rows) {
    const v = vectors[r] as ArrayLike<number>;
    for (let d = 0; d < dim; d++) sum[d] = (sum[d] as number) + (v[d] as number);
  }
  return normalize(sum);
}

/**
 * Subtract each group's mean vector and re-normalise. Used per section: USE-lite puts
 * much of a question's embedding into "this is a question" (insights and disagreements
 * likewise), so without this, items group by section style before topic. Measured on
 * the labelled corpus: k-means NMI at k=15 rose from 0.28 to 0.36, average linkage from
 * 0.23 to 0.45 (bench/quality.ts). Centring per salon instead hurt (0.23), since salon
 * topic and theme are correlated.
 */
export function centerByGroup(
  vectors: readonly ArrayLike<number>[],
  groups: readonly string[],
): Float64Array[] {
  const dim = vectors[0]?.length ?? 0;
  const sums = new Map<string, { sum: Float64Array; count: number }>();
  vectors.forEach((v, i) => {
    const g = groups[i] as string;
    let entry = sums.get(g);
    if (!entry) {
      entry = { sum: new Float64Array(dim), count: 0 };
      sums.set(g, entry);
    }
    for (let d = 0; d < dim; d++) entry.sum[d] = (entry.sum[d] as number) + (v[d] as number);
    entry.count++;
  });
  return vectors.map((v, i) => {
    const { sum, count } = sums.get(groups[i] as string) as { sum: Float64Array; count: number };
    // A group of one would centre to zero; keep its vector as is.
    if (count < 2) return normalize(v);
    const out = new Float64Array(dim);
    for (let d = 0; d < dim; d++) out[d] = (v[d] as number) - (sum[d] as number) / count;
    return normalize(out);
  });
}

/** All pairwise cosines (inputs must be unit length). Float32 halves memory: n=4000 is 64 MB. */
export function cosineMatrix(
  vectors: readonly ArrayLike<number>[],
  abortCheck?: () => void,
): Float32Array {
  const n = vectors.length;
  const out = new Float32Array(n * n);
  const f64 = vectors.every((v) => v instanceof Float64Array);
  for (let i = 0; i < n; i++) {
    if (i % 64 === 0) abortCheck?.();
    out[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const a = vectors[i] as ArrayLike<number>;
      const b = vectors[j] as ArrayLike<number>;
      const s = f64 ? dotF64(a as Float64Array, b as Float64Array) : dot(a, b);
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}
