/**
 * Merge similar pairs into groups: union-find, visited strongest pair first,
 * with a guard against chaining. Plain transitive merging (A≈B, B≈C ⇒ one
 * group) turned the corpus's 156 questions into one group of 138 at the default
 * threshold, since every question is close to *some* other; the guard merges two
 * groups only when their average cross similarity still reaches the threshold
 * (average linkage) and no two members share a key (e.g. one question per salon).
 *
 *   groupPairs(4, [{ a: 0, b: 1, score: 0.9 }, { a: 1, b: 2, score: 0.7 }], {
 *     threshold: 0.6, vectorOf: (i) => unitVectors[i],
 *   }); // [[0, 1, 2]] if cos(0, 2) keeps the average ≥ 0.6, else [[0, 1]]
 *
 * Cost: O(pairs log pairs) for the sort plus O(dim) per merge. The average cross
 * cosine of two groups of unit vectors is (ΣA · ΣB) / (|A| |B|), so each group keeps
 * the sum of its vectors instead of summing |A| × |B| dot products; member lists and
 * key sets merge the smaller into the larger. With ~60k questions in 2,000 salons the
 * pairwise version spent minutes in groups of hundreds; this one stays linear.
 */

export interface ScoredPair {
  a: number;
  b: number;
  score: number;
}

export interface GroupPairsOptions {
  /** Minimum average cross similarity for two groups to merge (-Infinity: single linkage). */
  threshold: number;
  /** Unit-length vector of member i (cosine = dot product). */
  vectorOf: (i: number) => ArrayLike<number>;
  /** Members with equal keys never share a group (default: no such rule). */
  keyOf?: (i: number) => string;
}

export interface CompleteLinkageOptions {
  /** Every pair inside a group must score at least this. */
  threshold: number;
  /** Score of members i and j (symmetric), in the same units as `threshold` and the pairs. */
  scoreOf: (i: number, j: number) => number;
  /** Largest group allowed (a merge that would exceed it is skipped). */
  maxSize: number;
  /** Members sharing a key never share a group (default: no such rule); a member may hold several. */
  keyOf?: (i: number) => string | readonly string[];
}

/**
 * Complete linkage over candidate pairs, strongest first: two groups merge only if
 * *every* cross pair scores at least the threshold, so a group never holds two
 * members whose own score is low because a third links them, and the group's
 * weakest link is at or above the threshold by construction. Groups are capped at
 * `maxSize`, so the cost per merge is at most maxSize²/4 scores.
 *
 *   groupComplete(3, [{ a: 0, b: 1, score: 0.3 }, { a: 1, b: 2, score: 0.2 }], {
 *     threshold: 0, scoreOf, maxSize: 5,
 *   }); // [[0, 1, 2]] only if scoreOf(0, 2) >= 0, else [[0, 1]]
 */
export function groupComplete(
  size: number,
  pairs: readonly ScoredPair[],
  options: CompleteLinkageOptions,
): number[][] {
  const groupOf = new Map<number, number[]>();
  const { keyOf, scoreOf, threshold, maxSize } = options;
  for (const { a, b, score } of strongestFirst(pairs)) {
    if (score < threshold || a === b || a >= size || b >= size) continue;
    const ga = groupOf.get(a) ?? [a];
    const gb = groupOf.get(b) ?? [b];
    if (ga === gb || ga.length + gb.length > maxSize) continue;
    if (keyOf) {
      const keys = new Set(ga.flatMap(keyOf));
      if (gb.some((i) => ([] as string[]).concat(keyOf(i)).some((key) => keys.has(key)))) continue;
    }
    if (!ga.every((i) => gb.every((j) => (i === a && j === b) || scoreOf(i, j) >= threshold)))
      continue;
    const merged = [...ga, ...gb];
    for (const i of merged) groupOf.set(i, merged);
  }
  return [...new Set(groupOf.values())]
    .map((g) => [...g].sort((x, y) => x - y))
    .sort((x, y) => (x[0] as number) - (y[0] as number));
}

/** Pairs by score descending, ties by (min, max) member: the same input order gives the same groups. */
function strongestFirst(pairs: readonly ScoredPair[]): ScoredPair[] {
  return [...pairs].sort(
    (p, q) =>
      q.score - p.score ||
      Math.min(p.a, p.b) - Math.min(q.a, q.b) ||
      Math.max(p.a, p.b) - Math.max(q.a, q.b),
  );
}

/** Groups of ≥ 2 members; members ascending, groups by their smallest member. */
export function groupPairs(
  size: number,
  pairs: readonly ScoredPair[],
  options: GroupPairsOptions,
): number[][] {
  const parent = Int32Array.from({ length: size }, (_, i) => i);
  const members = new Map<number, number[]>();
  const sums = new Map<number, Float64Array>();
  const keys = new Map<number, Set<string>>();
  const checkAverage = options.threshold !== Number.NEGATIVE_INFINITY;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      const up = parent[parent[x] as number] as number;
      parent[x] = up;
      x = up;
    }
    return x;
  };
  const sumOf = (root: number): ArrayLike<number> => sums.get(root) ?? options.vectorOf(root);
  const ordered = strongestFirst(pairs);
  const keyOf = options.keyOf;
  for (const { a, b } of ordered) {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) continue;
    const ga = members.get(ra) ?? [ra];
    const gb = members.get(rb) ?? [rb];
    const [bigRoot, big, small] = ga.length >= gb.length ? [ra, ga, gb] : [rb, gb, ga];
    // Key rule: look up the smaller group's keys in the larger group's set.
    const bigKeys = keyOf ? (keys.get(bigRoot) ?? new Set(big.map(keyOf))) : undefined;
    if (keyOf && small.some((i) => bigKeys?.has(keyOf(i)))) continue;
    const sa = checkAverage ? sumOf(ra) : undefined;
    const sb = checkAverage ? sumOf(rb) : undefined;
    if (sa && sb && ga.length + gb.length > 2) {
      let cross = 0;
      for (let d = 0; d < sa.length; d++) cross += (sa[d] as number) * (sb[d] as number);
      if (cross / (ga.length * gb.length) < options.threshold) continue;
    }
    // Merge. The smaller root wins so the result does not depend on which side came first.
    const root = Math.min(ra, rb);
    const gone = Math.max(ra, rb);
    parent[gone] = root;
    for (const i of small) big.push(i);
    members.set(root, big);
    members.delete(gone);
    if (sa && sb) {
      const merged = sums.get(ra) ?? Float64Array.from(sa);
      for (let d = 0; d < merged.length; d++) merged[d] = (merged[d] as number) + (sb[d] as number);
      sums.delete(gone);
      sums.set(root, merged);
    }
    if (keyOf && bigKeys) {
      for (const i of small) bigKeys.add(keyOf(i));
      keys.delete(gone);
      keys.set(root, bigKeys);
    }
  }
  return [...members.values()]
    .map((g) => [...g].sort((x, y) => x - y))
    .sort((x, y) => (x[0] as number) - (y[0] as number));
}
