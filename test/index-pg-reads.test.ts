/**
 * The Postgres store's read path (pg-row-reads.ts, pg-lexical.ts, pg-filter-counts.ts):
 * a search takes the vectors its first statements sent and document frequencies and
 * filter counts kept per generation, so it must still answer exactly as the folder
 * store does, including keyword search over words held by every item (where the
 * SQL picks candidates through the rarer terms, MaxScore), and must never answer
 * from memory after another process has written.
 */
import { afterAll, beforeAll, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { createLens, type Lens, openLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { randomVectorEmbedder } from './helpers/index-embedders.js';
import { tempStoreDir } from './helpers/index-store.js';
import { describePg, withSchema } from './helpers/pg-server.js';
import { expectSameHits } from './helpers/same-hits.js';
import { salon, syntheticSalons } from './helpers/synthetic-salons.js';

const embedder: Embedder = randomVectorEmbedder(32);
const salons: Salon[] = syntheticSalons(600);
let folder: Lens;

beforeAll(async () => {
  folder = await createLens(await tempStoreDir('pg-reads-'), { embedder });
  await folder.addSalons(salons);
}, 120_000);

afterAll(async () => {
  await folder?.close();
});

describePg('Postgres reads', (server) => {
  let schemas = 0;
  const url = () => withSchema(server().url, `reads_${process.pid}_${++schemas}`);

  it('answers as the folder store does, words in every item included', async () => {
    const lens = await createLens(url(), { embedder });
    try {
      await lens.addSalons(salons);
      // "item" is in every text, "about" a stop word, digits rare: MaxScore's split.
      const queries = ['privacy item 3', 'art item about law', 'item', 'jobs question 42'];
      const filters = [
        {},
        { salon: 's00002' },
        { section: 'question' as const, dateFrom: '2022-01-01' },
        { exact: true },
      ];
      for (const query of queries) {
        for (const filter of filters) {
          for (const mode of ['fused', 'lexical', 'hybrid'] as const) {
            const options = { k: 7, mode, ...filter };
            expectSameHits(await lens.search(query, options), await folder.search(query, options));
          }
        }
      }
    } finally {
      await lens.close();
    }
  }, 120_000);

  it('never answers from memory once another process has written', async () => {
    const location = url();
    const a = await createLens(location, { embedder });
    const b = await openLens(location, { embedder });
    try {
      await a.addSalons(salons.slice(0, 3));
      const item = 's00001#q1';
      await a.search('privacy item 1', { k: 10 });
      await a.similarTo(item, { k: 5, scoring: 'cosine' });
      // Another session replaces the salon: same item ids, other texts and vectors.
      const changed = salon(41, 100, 's00001');
      await b.addSalons([changed]);
      const fresh = await openLens(location, { embedder, readOnly: true });
      try {
        // Plain cosine: the CSLS statistics a lens holds are the lens's business, not the store's.
        const similar = { k: 5, scoring: 'cosine' as const };
        expectSameHits(await a.similarTo(item, similar), await fresh.similarTo(item, similar));
        for (const options of [
          { mode: 'vector' as const, scoring: 'cosine' as const },
          { mode: 'lexical' as const },
          { mode: 'vector' as const, scoring: 'cosine' as const, salon: 's00001' },
        ])
          expectSameHits(
            await a.search('privacy item 41', { k: 10, ...options }),
            await fresh.search('privacy item 41', { k: 10, ...options }),
          );
      } finally {
        await fresh.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);
});
