/**
 * Agglomerative clustering with Ward's criterion (merge the pair whose union adds the
 * least within-cluster variance), by the nearest-neighbour-chain algorithm: O(n²)
 * time and one n×n Float32 matrix. Returns the same LinkageTree as average linkage,
 * so `cutTree` and k:'auto' work unchanged.
 *
 * Why Ward by default: on the labelled corpus, after the salon-topic removal of
 * salon-topic.ts, it kept theme NMI where average linkage lost it (k=28: 0.461 vs
 * 0.426 at the same theme-vs-salon NMI); average linkage makes a few large clusters
 * plus many tiny ones, Ward more even ones (bench/quality.ts prints both).
 *
 *   const tree = wardLinkage(cosineMatrix(unitVectors), n);
 *   const labels = cutTree(tree, 20);
 *
 * Inputs are cosines of unit vectors: squared Euclidean distance is 2 - 2·cos.
 */
import type { LinkageTree } from './average-linkage.js';

export function wardLinkage(
  similarities: Float32Array,
  n: number,
  options: { shouldStop?: () => void } = {},
): LinkageTree {
  const d = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) d[i] = Math.max(0, 2 - 2 * (similarities[i] as number));
  const active = new Uint8Array(n).fill(1);
  const size = new Float64Array(n).fill(1);
  const found: Array<{ a: number; b: number; height: number }> = [];
  const chain: number[] = [];
  let remaining = n;
  let next = 0;
  while (remaining > 1) {
    if (found.length % 64 === 0) options.shouldStop?.();
    if (chain.length === 0) {
      while (active[next] === 0) next++;
      chain.push(next);
    }
    const a = chain[chain.length - 1] as number;
    const previous = chain.length >= 2 ? (chain[chain.length - 2] as number) : -1;
    // Nearest active cluster; ties go to the previous chain link (so the chain ends),
    // then to the lowest index (determinism).
    let b = previous;
    let best = previous >= 0 ? (d[a * n + previous] as number) : Number.POSITIVE_INFINITY;
    for (let o = 0; o < n; o++) {
      if (o === a || active[o] === 0) continue;
      const v = d[a * n + o] as number;
      if (v < best || (v === best && o < b && b !== previous)) {
        best = v;
        b = o;
      }
    }
    if (b !== previous) {
      chain.push(b);
      continue;
    }
    chain.pop();
    chain.pop();
    const keep = Math.min(a, b);
    const gone = Math.max(a, b);
    const nk0 = size[keep] as number;
    const ng = size[gone] as number;
    for (let o = 0; o < n; o++) {
      if (active[o] === 0 || o === keep || o === gone) continue;
      const no = size[o] as number;
      // Lance-Williams update for Ward on squared distances.
      const v =
        ((nk0 + no) * (d[keep * n + o] as number) +
          (ng + no) * (d[gone * n + o] as number) -
          no * best) /
        (nk0 + ng + no);
      d[keep * n + o] = v;
      d[o * n + keep] = v;
    }
    active[gone] = 0;
    size[keep] = nk0 + ng;
    found.push({ a: keep, b: gone, height: best });
    remaining--;
  }
  // Ward is reducible, so sorting by height gives a valid merge order; the stable sort
  // keeps a child before its parent when heights tie.
  const merges = found
    .map((m, order) => ({ ...m, order }))
    .sort((x, y) => x.height - y.height || x.order - y.order)
    .map((m) => ({ a: m.a, b: m.b, similarity: 1 - m.height / 2 }));
  return { n, merges };
}
