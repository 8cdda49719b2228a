/**
 * The Postgres store side by side with the file store on the same synthetic salons
 * (PGlite + pgvector over the wire protocol, or SALON_LENS_PG_URL): build time,
 * search p50/p99 (plain and with a section + date filter), recall@10 of the index
 * against exact search. Small and self-contained; bench/ann.ts holds the big ANN runs.
 *
 *   npx tsx bench/pg.ts [items=10000] [dim=64]
 */
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createLens, type Lens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { randomVectorEmbedder } from '../test/helpers/index-embedders.js';
import { startPgServer } from '../test/helpers/pg-server.js';

const items = Number(process.argv[2] ?? 10_000);
const dim = Number(process.argv[3] ?? 64);
const PER_SALON = 100;
const WORDS = ['privacy', 'models', 'schools', 'art', 'jobs', 'health', 'law', 'climate'];
const SECTIONS = ['insight', 'question', 'disagreement'] as const;

function syntheticSalons(): Salon[] {
  const out: Salon[] = [];
  for (let s = 0; s * PER_SALON < items; s++) {
    const id = `s${String(s).padStart(5, '0')}`;
    const date = `20${20 + (s % 6)}-0${1 + (s % 9)}-1${s % 10}`;
    out.push({
      id,
      title: id,
      date,
      source: `${id}.md`,
      warnings: [],
      items: Array.from({ length: Math.min(PER_SALON, items - s * PER_SALON) }, (_, i) => {
        const section = SECTIONS[i % 3] as (typeof SECTIONS)[number];
        return {
          id: `${id}#${section[0]}${i}`,
          salonId: id,
          section,
          text: `${WORDS[(s + i) % WORDS.length]} item ${s} ${i} about ${WORDS[i % WORDS.length]}`,
          ordinal: i + 1,
          line: i + 1,
        };
      }),
    });
  }
  return out;
}

const pct = (xs: number[], p: number) =>
  xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;

async function measure(name: string, lens: Lens, salons: Salon[]) {
  const t0 = performance.now();
  await lens.addSalons(salons);
  const buildMs = performance.now() - t0;
  const queries = WORDS.flatMap((w) => [`${w} question`, `${w} item 3`, `${w} about law`]);
  const time = async (options: Parameters<Lens['search']>[1]) => {
    const ms: number[] = [];
    for (let r = 0; r < 3; r++) {
      for (const q of queries) {
        const t = performance.now();
        await lens.search(q, options);
        ms.push(performance.now() - t);
      }
    }
    return { p50: pct(ms, 0.5), p99: pct(ms, 0.99) };
  };
  const plain = await time({ k: 10 });
  const filtered = await time({ k: 10, section: 'question', dateFrom: '2022-01-01' });
  const recall = (await lens.recallCheck({ sample: 100, k: 10 })).recall;
  return { store: name, items, dim, buildMs: Math.round(buildMs), plain, filtered, recall };
}

const salons = syntheticSalons();
const embedder = randomVectorEmbedder(dim);
const pg = await startPgServer();
const results = [];
try {
  const folder = path.join(await mkdtemp(path.join(tmpdir(), 'salon-lens-pgbench-')), 'store');
  const file = await createLens(folder, { embedder });
  results.push(await measure('file', file, salons));
  await file.close();
  const url = `${pg.url}${pg.url.includes('?') ? '&' : '?'}schema=bench_${process.pid}`;
  const db = await createLens(url, { embedder });
  results.push(await measure(process.env.SALON_LENS_PG_URL ? 'postgres' : 'pglite', db, salons));
  await db.close();
} finally {
  await pg.stop();
}
console.log(JSON.stringify({ loadavg: loadavg().map((x) => x.toFixed(1)), results }, null, 1));
