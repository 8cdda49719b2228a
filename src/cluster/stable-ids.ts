/**
 * Keep theme ids across re-runs: each new theme takes the id of the previous theme whose
 * centroid is most similar, one-to-one, when the cosine reaches `minSimilarity`.
 * Greedy over all (new, old) pairs by descending cosine (ties: lower new index, then
 * lower old id) - for the tens of themes here it matches what an optimal assignment
 * gives whenever matches are clear, and it is simpler to reason about when they are not.
 * Unmatched new themes get fresh ids `t<nextId>`; ids are never reused.
 *
 *   assignThemeIds([c1, c2], previousState, 0.8) // { ids: ['t3', 't7'], nextId: 8 }
 */
import type { ThemeState } from './options.js';
import { dot } from './vectors.js';

export function assignThemeIds(
  centroids: readonly ArrayLike<number>[],
  previous: ThemeState | undefined,
  minSimilarity: number,
): { ids: string[]; nextId: number } {
  const ids: Array<string | undefined> = centroids.map(() => undefined);
  let nextId = previous?.nextId ?? 1;
  const old = previous?.themes ?? [];
  const candidates: Array<{ n: number; o: number; sim: number }> = [];
  centroids.forEach((c, n) => {
    old.forEach((theme, o) => {
      if (theme.centroid.length !== c.length) return;
      const sim = dot(c, theme.centroid);
      if (sim >= minSimilarity) candidates.push({ n, o, sim });
    });
  });
  candidates.sort(
    (x, y) => y.sim - x.sim || x.n - y.n || ((old[x.o]?.id ?? '') < (old[y.o]?.id ?? '') ? -1 : 1),
  );
  const usedOld = new Set<number>();
  for (const { n, o } of candidates) {
    if (ids[n] !== undefined || usedOld.has(o)) continue;
    ids[n] = (old[o] as { id: string }).id;
    usedOld.add(o);
  }
  const taken = new Set(old.map((t) => t.id));
  const final = ids.map((id) => {
    if (id !== undefined) return id;
    // Skip any id a previous state already holds, even if nextId was tampered with.
    while (taken.has(`t${nextId}`)) nextId++;
    const fresh = `t${nextId}`;
    nextId++;
    return fresh;
  });
  return { ids: final, nextId };
}
