/**
 * Merge similar pairs into groups: union-find, visited strongest pair first,
 * with a guard against chaining. Plain transitive merging (A≈B, B≈C ⇒ one
 * group) turned the corpus's 156 questions into one group of 138 at the default
 * threshold, since every question is close to *some* other; the guard merges two
 * groups only when their average cross similarity still reaches the threshold
 * (average linkage) and the caller allows it (e.g. one question per salon).
 *
 *   groupPairs(4, [{ a: 0, b: 1, score: 0.9 }, { a: 1, b: 2, score: 0.7 }], {
 *     threshold: 0.6, similarity: (i, j) => sims[i][j],
 *   }); // [[0, 1, 2]] if sims[0][2] keeps the average ≥ 0.6, else [[0, 1]]
 */

export interface ScoredPair {
  a: number;
  b: number;
  score: number;
}

export interface GroupPairsOptions {
  /** Minimum average cross similarity for two groups to merge. */
  threshold: number;
  /** Similarity of members i and j (symmetric). */
  similarity: (i: number, j: number) => number;
  /** Extra veto on merging two member lists (default: always allowed). */
  canMerge?: (a: readonly number[], b: readonly number[]) => boolean;
}

/** Groups of ≥ 2 members; members ascending, groups by their smallest member. */
export function groupPairs(
  size: number,
  pairs: readonly ScoredPair[],
  options: GroupPairsOptions,
): number[][] {
  const parent = Int32Array.from({ length: size }, (_, i) => i);
  const members = new Map<number, number[]>();
  const find = (x: number): number => {
    while (parent[x] !== x) {
      const up = parent[parent[x] as number] as number;
      parent[x] = up;
      x = up;
    }
    return x;
  };
  const ordered = [...pairs].sort(
    (p, q) =>
      q.score - p.score ||
      Math.min(p.a, p.b) - Math.min(q.a, q.b) ||
      Math.max(p.a, p.b) - Math.max(q.a, q.b),
  );
  for (const { a, b } of ordered) {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) continue;
    const ga = members.get(ra) ?? [ra];
    const gb = members.get(rb) ?? [rb];
    if (options.canMerge && !options.canMerge(ga, gb)) continue;
    if (ga.length + gb.length > 2) {
      let sum = 0;
      for (const i of ga) for (const j of gb) sum += options.similarity(i, j);
      if (sum / (ga.length * gb.length) < options.threshold) continue;
    }
    // The smaller root wins so the result does not depend on which side came first.
    const root = Math.min(ra, rb);
    parent[Math.max(ra, rb)] = root;
    members.set(root, [...ga, ...gb]);
    members.delete(Math.max(ra, rb));
  }
  return [...members.values()]
    .map((g) => [...g].sort((x, y) => x - y))
    .sort((x, y) => (x[0] as number) - (y[0] as number));
}
