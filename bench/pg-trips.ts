/**
 * Round trips and time per search on the Postgres store, by kind of search (default
 * fused, one-salon filter, section + date filter, exact): every statement the store
 * sends is counted (node-postgres `Client.query` calls), and the time the client
 * spends outside them. For tuning the store's query path; bench:pg has the figures.
 *
 *   tsx bench/pg-trips.ts [items=2000] [dim=512] [--server]   (--server: SALON_LENS_TEST_PG_URL)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createLens, openLens } from '../src/index/index.js';
import { randomVectorEmbedder } from '../test/helpers/index-embedders.js';
import { REAL_PG_URL, startPgServer } from '../test/helpers/pg-server.js';
import { QUERIES, syntheticSalons } from '../test/helpers/synthetic-salons.js';
import { percentile } from './lib/stats.js';
import { fmt, markdownTable } from './lib/table.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const items = Number(args[0] ?? 2000);
const dim = Number(args[1] ?? 512);
const useServer = process.argv.includes('--server');

let statements = 0;
let inQueryMs = 0;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  statements++;
  const t = performance.now();
  const r = (original as (...x: unknown[]) => unknown).apply(this, a);
  if (r && typeof (r as Promise<unknown>).then === 'function')
    (r as Promise<unknown>).then(
      () => {
        inQueryMs += performance.now() - t;
      },
      () => undefined,
    );
  return r;
} as typeof original;

const server = await startPgServer(useServer ? 'server' : 'pglite');
const url = `${useServer ? REAL_PG_URL : server.url}?schema=trips_${items}_${dim}`;
const embedder = randomVectorEmbedder(dim);
const salons = syntheticSalons(items);
try {
  try {
    const lens = await openLens(url, { embedder });
    await lens.close();
  } catch {
    const t = performance.now();
    const lens = await createLens(url, { embedder, force: true });
    await lens.addSalons(salons);
    await lens.close();
    console.error(`built ${items} items in ${fmt((performance.now() - t) / 1000)} s`);
  }
  const lens = await openLens(url, { embedder });
  await lens.search('warm up', { k: 10 });
  const middle = salons[salons.length >> 1]?.id as string;
  const kinds = {
    default: { k: 10 },
    'one salon': { k: 10, salon: middle },
    'section + date': { k: 10, section: 'question' as const, dateFrom: '2022-01-01' },
    exact: { k: 10, exact: true },
    'vector mode': { k: 10, mode: 'vector' as const },
  };
  const rows: string[][] = [];
  for (const [name, options] of Object.entries(kinds)) {
    const ms: number[] = [];
    let n = 0;
    let q = 0;
    let cpu = 0;
    for (let r = 0; r < 3; r++)
      for (const text of QUERIES) {
        const s0 = statements;
        const q0 = inQueryMs;
        const t = performance.now();
        const c0 = process.cpuUsage();
        await lens.search(text, options);
        const c = process.cpuUsage(c0);
        ms.push(performance.now() - t);
        cpu += (c.user + c.system) / 1000;
        n += statements - s0;
        q += inQueryMs - q0;
      }
    const p50 = percentile(ms, 0.5);
    rows.push([
      name,
      fmt(n / ms.length),
      fmt(p50),
      fmt(percentile(ms, 0.99)),
      fmt(q / ms.length),
      fmt(cpu / ms.length),
    ]);
  }
  await lens.close();
  console.log(
    markdownTable(
      ['search', 'statements', 'p50 ms', 'p99 ms', 'mean ms in statements', 'client CPU ms'],
      rows,
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
} finally {
  await server.stop();
}
