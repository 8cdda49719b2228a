/** Hybrid search: reciprocal rank fusion of the vector and the lexical hit lists. */
import type { Item } from '../../parse/index.js';
import { LENS_DEFAULTS } from '../options.js';
import {
  compareScored,
  type LensStorage,
  type ScoredItem,
  type StorageFilter,
} from '../storage/seam.js';

/** A hit before it becomes a SearchHit: the ranking score and the plain cosine. */
export interface RankedItem extends ScoredItem {
  cosine?: number;
}

/**
 * Reciprocal rank fusion of the vector list (ranked by the scoring) and the
 * lexical list. The reported score is the fused one (Σ 1/(rrfK + rank)), so
 * scores fall in rank order; `cosine` stays the plain cosine.
 */
export async function hybridRanking(
  storage: LensStorage,
  query: string,
  q: Float32Array,
  k: number,
  filter: StorageFilter,
  nearest: (depth: number) => Promise<RankedItem[]>,
): Promise<RankedItem[]> {
  const depth = Math.max(50, k * LENS_DEFAULTS.hybridDepth);
  const [vector, lexical] = await Promise.all([
    nearest(depth),
    storage.lexical(query, depth, filter),
  ]);
  const fused = new Map<string, { item: Item; score: number }>();
  for (const list of [vector, lexical]) {
    for (const [rank, h] of list.entries()) {
      const entry = fused.get(h.item.id) ?? { item: h.item, score: 0 };
      entry.score += 1 / (LENS_DEFAULTS.rrfK + rank + 1);
      fused.set(h.item.id, entry);
    }
  }
  const top = [...fused.values()].sort(compareScored).slice(0, k);
  const cosines = await storage.scores(
    q,
    top.map((h) => h.item.id),
  );
  return top.map((h, i) => ({ item: h.item, score: h.score, cosine: cosines[i] as number }));
}
