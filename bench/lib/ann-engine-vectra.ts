/**
 * vectra's LocalIndex: every item (vector as a plain number array plus metadata)
 * lives in one in-memory JSON document written whole to `index.json`, and a query
 * scores every item (exact, so recall is 1 by construction). Its insert checks id
 * uniqueness with a linear scan, so building is quadratic; the bench caps its size
 * (see --vectra-max in bench/ann.ts).
 *
 *   const engine = createVectraEngine(ctx); await engine.build();
 */
import { LocalIndex } from 'vectra';
import { SECTION_NAMES } from './ann-data.js';
import { type AnnEngine, type EngineContext, folderBytes, rowOf, toArray } from './ann-engine.js';

export function createVectraEngine(ctx: EngineContext): AnnEngine {
  const { ds, workDir } = ctx;
  const index = new LocalIndex(workDir);

  return {
    modes: [
      { name: 'no filter', filter: 'none' },
      { name: 'section=question', filter: 'question' },
    ],
    sweepable: false,
    async build() {
      const t0 = performance.now();
      await index.createIndex({ version: 1, deleteIfExists: true });
      await index.beginUpdate();
      for (let i = 0; i < ds.n; i++) {
        await index.insertItem({
          id: String(i),
          vector: toArray(rowOf(ds.vectors, ds.dim, i)),
          metadata: { section: SECTION_NAMES[ds.sections[i] as number] as string },
        });
      }
      await index.endUpdate();
      return { ms: performance.now() - t0 };
    },
    async search(qi, k, mode) {
      const vector = toArray(rowOf(ds.queries, ds.dim, qi));
      const filter = mode.filter === 'question' ? { section: { $eq: 'question' } } : undefined;
      const hits = await index.queryItems(vector, '', k, filter);
      return hits.map((h) => Number(h.item.id));
    },
    diskBytes: () => folderBytes(workDir),
    async close() {},
  };
}
