/**
 * Orama's vector search: a `vector[512]` field scanned in full per query (exact,
 * recall 1 by construction; similarity floor set to -1 so the default 0.8 cut-off
 * drops nothing), with an enum `section` field for the filtered query. In memory
 * only here: persisting needs a separate plugin, so no disk size is reported.
 *
 *   const engine = createOramaEngine(ctx); await engine.build();
 */
import { create, insertMultiple, search } from '@orama/orama';
import { SECTION_NAMES } from './ann-data.js';
import { type AnnEngine, type EngineContext, rowOf, toArray } from './ann-engine.js';

export function createOramaEngine(ctx: EngineContext): AnnEngine {
  const { ds } = ctx;
  const db = create({
    schema: { section: 'enum', embedding: `vector[${ds.dim}]` },
  } as const);

  return {
    modes: [
      { name: 'no filter', filter: 'none' },
      { name: 'section=question', filter: 'question' },
    ],
    sweepable: false,
    async build() {
      const t0 = performance.now();
      const batch = 1000;
      for (let start = 0; start < ds.n; start += batch) {
        const docs = [];
        for (let i = start; i < Math.min(ds.n, start + batch); i++) {
          docs.push({
            id: String(i),
            section: SECTION_NAMES[ds.sections[i] as number] as string,
            embedding: toArray(rowOf(ds.vectors, ds.dim, i)),
          });
        }
        await insertMultiple(db, docs, batch);
      }
      return { ms: performance.now() - t0 };
    },
    async search(qi, k, mode) {
      const result = await search(db, {
        mode: 'vector',
        vector: { value: toArray(rowOf(ds.queries, ds.dim, qi)), property: 'embedding' },
        similarity: -1,
        limit: k,
        ...(mode.filter === 'question' ? { where: { section: { eq: 'question' } } } : {}),
      });
      return result.hits.map((h) => Number(h.id));
    },
    diskBytes: async () => undefined,
    async close() {},
  };
}
