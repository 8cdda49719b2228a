/**
 * The recall check behind `Lens.recallCheck`: graph (ANN) top-k against exact top-k
 * for a deterministic sample of stored items used as queries.
 */
import type { RecallReport } from '../lens-types.js';
import type { LensStorage, ScoredItem } from '../storage/seam.js';
import { nearest } from './planner.js';

/** ANN vs exact top-k on stored items used as queries (each query's own item left out). */
export async function recallCheck(
  storage: LensStorage,
  o: { k: number; sample: number; ef?: number },
): Promise<RecallReport> {
  const all = await storage.rows();
  const n = all.length;
  // The ef queries use (grown with the store past 100k items), not the stored one.
  const ef = o.ef ?? storage.ef;
  if (n < 2) return { recall: 1, k: o.k, ef, queries: 0 };
  const queries = Math.min(o.sample, n);
  const k = Math.min(o.k, n - 1);
  let total = 0;
  for (let i = 0; i < queries; i++) {
    // Evenly spread, deterministic sample.
    const { item, vector } = all[Math.floor((i * n) / queries)] as (typeof all)[number];
    const exact = await nearest(storage, {
      vector,
      k,
      method: 'exact',
      filter: { excludeItems: [item.id] },
    });
    const kth = (exact.at(-1) as ScoredItem).score;
    const ann = (await nearest(storage, { vector, k: k + 1, method: 'index', ef }))
      .filter((h) => h.item.id !== item.id)
      .slice(0, k);
    // Re-scored like the exact list (the index's own scores may differ in the last
    // bits), so ties at the k-th place compare exactly.
    const scores = await storage.scores(
      vector,
      ann.map((h) => h.item.id),
    );
    let found = 0;
    for (const score of scores) if (score >= kth) found++;
    total += found / exact.length;
  }
  return { recall: total / queries, k, ef, queries };
}
