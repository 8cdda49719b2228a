/**
 * The nearest-neighbour planner: one place, above the storage seam, that decides
 * how a top-k query runs on any store: an exact scan or a graph (HNSW) search, at
 * which ef, and the exact fallback when the graph comes back short. Stores only
 * answer the primitives (`count`, `exactSearch`, `graphSearch`; storage/seam.ts).
 *
 *   const hits = await nearest(storage, { vector, k: 5, filter: { section: 'question' } });
 *
 * The rule is the one measured on the folder store's ANN bench (options.ts): a
 * filtered query scans exactly when it matches at most `exactBelow` items or at most
 * EXACT_ROWS_PER_EF rows per unit of its filtered ef (`filteredSearchScans`); a
 * graph search with a filter widens its ef by the share of items passing
 * (`filteredEf`). Postgres used a flat `exactBelow` before; it now follows the same rule.
 */
import { filteredEf, filteredSearchScans } from '../options.js';
import type { LensStorage, ScoredItem, StorageFilter } from '../storage/seam.js';

/**
 * How `nearest` finds its hits. `auto`: the plan above; `exact`: a scan;
 * `index`: the graph alone, no fallback (what a recall check measures).
 */
export type NearestMethod = 'auto' | 'exact' | 'index';

export interface NearestQuery {
  /** Unit-length query vector of the store's dimension. */
  vector: Float32Array;
  k: number;
  filter?: StorageFilter;
  method?: NearestMethod;
  /** Graph search breadth for this query only (default: the store session's). */
  ef?: number;
}

/** Top-k items by cosine to `query.vector` among those passing the filter, best first, ties by id. */
export async function nearest(storage: LensStorage, query: NearestQuery): Promise<ScoredItem[]> {
  const { vector } = query;
  const method = query.method ?? 'auto';
  // A fresh object: a store may remember what it compiled for this filter across the
  // count and the search (never mutated, so never stale).
  const filter: StorageFilter = { ...query.filter };
  const matching = await storage.count(filter);
  const k = Math.min(query.k, matching);
  if (k === 0) return [];
  const total = storage.info().itemCount;
  const filtered = matching < total || narrows(filter);
  const base = query.ef ?? storage.ef;
  const ef = filtered ? filteredEf(base, matching, total) : base;
  if (method === 'exact' || (method === 'auto' && filtered && filteredSearchScans(matching, ef)))
    return storage.exactSearch({ vector, k, filter });
  const hits = await storage.graphSearch({ vector, k, ef, filter });
  // A filtered graph walk can miss passing items it never reached: scan instead.
  if (method === 'auto' && hits.length < k) return storage.exactSearch({ vector, k, filter });
  return hits;
}

/** Whether the filter selects by salon, section or date (exclusions aside). */
function narrows(f: StorageFilter): boolean {
  return Boolean(f.section || f.salon || f.dateFrom || f.dateTo);
}
