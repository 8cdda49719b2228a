/**
 * usearch (Unum): HNSW in C++ with SIMD distance kernels. Same M (connectivity),
 * efConstruction (expansion_add) and ef (expansion_search), cosine metric, f32, one
 * thread for add and search. Its JS binding fixes expansion_search at construction and
 * has no filtered search, so the ef sweep reloads the saved index with each ef, and
 * filtered queries are not measured.
 *
 *   const engine = createUsearchEngine(ctx); await engine.build();
 */
import path from 'node:path';
import usearch from 'usearch';
import { type AnnEngine, type EngineContext, folderBytes, rowOf } from './ann-engine.js';

export function createUsearchEngine(ctx: EngineContext): AnnEngine {
  const { ds, hnsw, workDir } = ctx;
  const file = path.join(workDir, 'index.usearch');
  const make = (ef: number) =>
    new usearch.Index({
      metric: usearch.MetricKind.Cos,
      quantization: usearch.ScalarKind.F32,
      multi: false,
      dimensions: ds.dim,
      connectivity: hnsw.m,
      expansion_add: hnsw.efConstruction,
      expansion_search: ef,
    });
  let index = make(hnsw.ef);

  return {
    modes: [{ name: 'no filter', filter: 'none' }],
    sweepable: true,
    async build() {
      const keys = new BigUint64Array(ds.n);
      for (let i = 0; i < ds.n; i++) keys[i] = BigInt(i);
      const t0 = performance.now();
      index.add(keys, ds.vectors, 1);
      const ms = performance.now() - t0;
      const s0 = performance.now();
      index.save(file);
      return { ms, stages: { insert: ms, save: performance.now() - s0 } };
    },
    search(qi, k) {
      const { keys } = index.search(rowOf(ds.queries, ds.dim, qi), k, 1);
      return Array.from(keys, Number);
    },
    setEf(ef) {
      // Loading copies the saved graph into memory, like the built index.
      index = make(ef);
      index.load(file);
    },
    diskBytes: () => folderBytes(workDir),
    async close() {},
  };
}
