import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openLens } from '../src/index/index.js';
import { randomVectorEmbedder } from '../test/helpers/index-embedders.js';
let on = false;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  const t = performance.now();
  const r = (original as (...x: unknown[]) => unknown).apply(this, a) as Promise<unknown>;
  const text = typeof a[0] === 'string' ? a[0] : (a[0] as { text: string }).text;
  if (on) r.then(() => console.log(`${(performance.now() - t).toFixed(2)} ms  ${text.replace(/\s+/g, ' ').replace(/\[[-0-9.e,]{200,}\]/g,'[vec]').slice(0, 160)}`), () => {});
  return r;
} as typeof original;
const url = `${process.env.SALON_LENS_TEST_PG_URL}?schema=trips_2000_512`;
const lens = await openLens(url, { embedder: randomVectorEmbedder(512) });
await lens.search('warm up', { k: 10 });
for (const [name, o] of Object.entries({ default: { k: 10 }, salon: { k: 10, salon: 's00010' }, sd: { k: 10, section: 'question', dateFrom: '2022-01-01' }, exact: { k: 10, exact: true } })) {
  console.log(`--- ${name}`);
  on = true;
  const t = performance.now();
  await lens.search('privacy question', o as never);
  console.log(`total ${(performance.now() - t).toFixed(2)}`);
  on = false;
}
await lens.close();
