/**
 * Raw hnswlib-node, the speed baseline salon-lens is built on: the same space
 * (cosine), M, efConstruction, seed and ef, and the same filter callback for
 * filtered queries. Also BruteforceSearch, the exact floor of the same library.
 *
 *   const engine = createHnswlibEngine(ctx); await engine.build();
 */
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { filterPredicate } from './ann-data.js';
import { type AnnEngine, type EngineContext, folderBytes, rowOf, toArray } from './ann-engine.js';

const { HierarchicalNSW, BruteforceSearch } = hnswlib;

export const createHnswlibEngine = (ctx: EngineContext) => createEngine(ctx, 'hnsw');
export const createBruteforceEngine = (ctx: EngineContext) => createEngine(ctx, 'bruteforce');

function createEngine(ctx: EngineContext, kind: 'hnsw' | 'bruteforce'): AnnEngine {
  const { ds, hnsw, workDir } = ctx;
  const index =
    kind === 'hnsw'
      ? new HierarchicalNSW('cosine', ds.dim)
      : new BruteforceSearch('cosine', ds.dim);
  const query = (qi: number) => toArray(rowOf(ds.queries, ds.dim, qi));

  return {
    modes:
      kind === 'hnsw'
        ? [
            { name: 'no filter', filter: 'none' },
            { name: 'section=question', filter: 'question' },
            { name: 'section=disagreement', filter: 'disagreement' },
            { name: 'one salon', filter: 'salon' },
          ]
        : [{ name: 'no filter', filter: 'none' }],
    sweepable: kind === 'hnsw',
    async build() {
      const t0 = performance.now();
      if (index instanceof HierarchicalNSW) {
        index.initIndex({
          maxElements: ds.n,
          m: hnsw.m,
          efConstruction: hnsw.efConstruction,
          randomSeed: hnsw.randomSeed,
        });
        index.setEf(hnsw.ef);
      } else index.initIndex(ds.n);
      for (let i = 0; i < ds.n; i++) index.addPoint(toArray(rowOf(ds.vectors, ds.dim, i)), i);
      const ms = performance.now() - t0;
      const s0 = performance.now();
      await index.writeIndex(path.join(workDir, `${kind}.bin`));
      return { ms, stages: { insert: ms, save: performance.now() - s0 } };
    },
    search(qi, k, mode) {
      const keep = filterPredicate(ds, mode.filter, qi);
      return index.searchKnn(query(qi), k, keep).neighbors;
    },
    setEf(ef) {
      if (index instanceof HierarchicalNSW) index.setEf(ef);
    },
    diskBytes: () => folderBytes(workDir),
    async close() {},
  };
}
