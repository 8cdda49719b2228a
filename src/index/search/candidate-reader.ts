/**
 * What the fused ranking (fused-search.ts) reads of each candidate: its CSLS radius,
 * its stored row (for the query feedback) and its cosine to the moved query. By row
 * number where the store has them (RowRefs in seam.ts: the file store) and the hit
 * carries one; else by item id (Postgres: its row cache, one statement for the rest).
 * Looking each candidate up by id in maps of every item was 9% of a fused search's
 * CPU at 20k items, a quarter of what it spent beside the graph walk, mostly cache misses.
 *
 *   const table = refTable(storage.rowRefs(), stats);     // once per generation
 *   const reader = candidateReader(storage, stats, table);
 *   const cosines = await reader.scores(moved, candidates);
 */
import type { LensStorage, RowRefs, ScoredItem } from '../storage/seam.js';

/** The radius of every stored item by row number, for one generation of the store. */
export interface RefTable {
  refs: RowRefs;
  radius: Float64Array;
}

interface Radii {
  radius(itemId: string): number;
}

export interface CandidateReader {
  radius(candidate: ScoredItem): number;
  /** out += weight × the stored row of each candidate. */
  addRows(out: Float32Array, candidates: readonly ScoredItem[], weight: number): Promise<void>;
  /** Cosine of `vector` with each candidate's stored row (as exact search scores it). */
  scores(vector: Float32Array, candidates: readonly ScoredItem[]): Promise<Float64Array>;
}

export function refTable(refs: RowRefs, stats: Radii): RefTable {
  const radius = new Float64Array(refs.size);
  refs.forEach((itemId, ref) => {
    radius[ref] = stats.radius(itemId);
  });
  return { refs, radius };
}

export function candidateReader(
  storage: LensStorage,
  stats: Radii,
  table: RefTable | undefined,
): CandidateReader {
  const refOf = (c: ScoredItem) => (table ? c.ref : undefined);
  return {
    radius(c) {
      const ref = refOf(c);
      return ref === undefined ? stats.radius(c.item.id) : (table?.radius[ref] as number);
    },
    async addRows(out, candidates, weight) {
      const byId: string[] = [];
      for (const c of candidates) {
        const ref = refOf(c);
        if (ref === undefined) byId.push(c.item.id);
        else table?.refs.addTo(out, ref, weight);
      }
      if (byId.length === 0) return;
      for (const row of await Promise.all(byId.map((id) => storage.row(id)))) {
        if (!row) continue;
        for (let d = 0; d < out.length; d++)
          (out[d] as number) += weight * (row.vector[d] as number);
      }
    },
    async scores(vector, candidates) {
      const out = new Float64Array(candidates.length);
      const byId: number[] = [];
      candidates.forEach((c, i) => {
        const ref = refOf(c);
        if (ref === undefined) byId.push(i);
        else out[i] = table?.refs.dot(ref, vector) as number;
      });
      if (byId.length === 0) return out;
      const read = await storage.scores(
        vector,
        byId.map((i) => (candidates[i] as ScoredItem).item.id),
      );
      byId.forEach((i, j) => {
        out[i] = read[j] as number;
      });
      return out;
    },
  };
}
