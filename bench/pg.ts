/**
 * The Postgres store side by side with the folder store on the same synthetic
 * salons (clustered random vectors, 100 items per salon): build; the first search
 * of a new process (open + one default CSLS search, timed inside a child process);
 * search p50/p99 (default CSLS), one-salon filter, section + date filter and exact
 * search; adding and removing one 30-item salon; similarQuestions; the store's part
 * of themes (reading every item and vector; the clustering is the same for both).
 * Postgres is SALON_LENS_PG_URL (a real server with pgvector), else PGlite over the
 * wire protocol. Prints a table, writes bench/results/pg.json (pg-<items>.json for
 * other sizes).
 *
 *   SALON_LENS_PG_URL=postgres://u@127.0.0.1:5432/db npm run bench:pg -- [items=10000] [dim=512]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLens, type Lens, openLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { randomVectorEmbedder } from '../test/helpers/index-embedders.js';
import { startPgServer } from '../test/helpers/pg-server.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { percentile, summarize } from './lib/stats.js';
import { fmt, markdownTable } from './lib/table.js';

const PER_SALON = 100;
const ADDED_SALON_ITEMS = 30;
const REPEATS = 3;
const WORDS = ['privacy', 'models', 'schools', 'art', 'jobs', 'health', 'law', 'climate'];
const SECTIONS = ['insight', 'question', 'disagreement'] as const;
const QUERIES = WORDS.flatMap((w) => [`${w} question`, `${w} item 3`, `${w} about law`]);

function salon(s: number, count: number, id = `s${String(s).padStart(5, '0')}`): Salon {
  return {
    id,
    title: id,
    date: `20${20 + (s % 6)}-0${1 + (s % 9)}-1${s % 10}`,
    source: `${id}.md`,
    warnings: [],
    items: Array.from({ length: count }, (_, i) => {
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
  };
}

function syntheticSalons(items: number): Salon[] {
  const out: Salon[] = [];
  for (let s = 0; s * PER_SALON < items; s++)
    out.push(salon(s, Math.min(PER_SALON, items - s * PER_SALON)));
  return out;
}

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Child mode: open the store and run one default search, timed in this process. */
async function firstSearch(location: string, dim: number): Promise<void> {
  const embedder = randomVectorEmbedder(dim);
  const t = performance.now();
  const lens = await openLens(location, { embedder, readOnly: true });
  const hits = await lens.search(QUERIES[0] as string, { k: 10 });
  const ms = performance.now() - t;
  await lens.close();
  console.log(JSON.stringify({ ms, hits: hits.length, scoring: hits[0]?.scoring }));
}

function firstSearchInChild(location: string, dim: number): number {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--first', location, String(dim)],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{'))
    throw new Error(`first-search child failed: ${child.stderr}`);
  return (JSON.parse(line) as { ms: number }).ms;
}

async function latencies(lens: Lens, options: Parameters<Lens['search']>[1]) {
  const ms: number[] = [];
  for (let r = 0; r < REPEATS; r++)
    for (const q of QUERIES) ms.push(await time(() => lens.search(q, options)));
  return { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
}

async function measure(store: string, location: string, salons: Salon[], dim: number) {
  const embedder = randomVectorEmbedder(dim);
  const items = salons.reduce((n, s) => n + s.items.length, 0);
  const created = await createLens(location, { embedder });
  const buildMs = await time(() => created.addSalons(salons));
  await created.close();
  console.error(`${store}: built ${items} items in ${fmt(buildMs / 1000)} s`);

  const first = summarize(
    Array.from({ length: REPEATS }, () => firstSearchInChild(location, dim)),
  ).median;
  const lens = await openLens(location, { embedder });
  await lens.search('warm up', { k: 10 });
  const middle = salons[salons.length >> 1] as Salon;
  const search = await latencies(lens, { k: 10 });
  const salonFilter = await latencies(lens, { k: 10, salon: middle.id });
  const sectionDate = await latencies(lens, {
    k: 10,
    section: 'question',
    dateFrom: '2022-01-01',
  });
  const exact = await latencies(lens, { k: 10, exact: true });
  const added = salon(salons.length, ADDED_SALON_ITEMS, 'zz-added');
  const add: number[] = [];
  const remove: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    add.push(await time(() => lens.addSalons([added])));
    remove.push(await time(() => lens.removeSalons([added.id])));
  }
  const similarQuestionsMs = await time(() => lens.similarQuestions());
  // Themes: the store's part is reading every item and vector (the clustering after
  // it is the same code on the same data for both stores, minutes at 10k items).
  const themesReadMs = await time(() => lens.snapshot());
  await lens.close();
  const row = {
    store,
    items,
    dim,
    buildS: buildMs / 1000,
    firstSearchMs: first,
    search,
    salonFilter,
    sectionDate,
    exact,
    addSalonMs: summarize(add).median,
    removeSalonMs: summarize(remove).median,
    similarQuestionsMs,
    themesReadMs,
  };
  console.error(JSON.stringify(row));
  return row;
}

if (process.argv[2] === '--first') {
  await firstSearch(process.argv[3] as string, Number(process.argv[4]));
} else {
  const items = Number(process.argv[2] ?? 10_000);
  const dim = Number(process.argv[3] ?? 512);
  const salons = syntheticSalons(items);
  const pg = await startPgServer();
  const real = Boolean(process.env.SALON_LENS_PG_URL);
  const dir = await mkdtemp(path.join(tmpdir(), 'salon-lens-pgbench-'));
  const machine = machineInfo();
  const rows = [];
  try {
    rows.push(await measure('folder', path.join(dir, 'store'), salons, dim));
    const url = `${pg.url}${pg.url.includes('?') ? '&' : '?'}schema=bench_${process.pid}`;
    rows.push(await measure(real ? 'postgres' : 'pglite', url, salons, dim));
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const [folder, db] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const line = (name: string, f: number, p: number) => [name, fmt(f), fmt(p), `${fmt(p / f)}×`];
  console.log(
    markdownTable(
      ['figure', 'folder', db.store, 'ratio'],
      [
        line('build (s)', folder.buildS, db.buildS),
        line('first search, new process (ms)', folder.firstSearchMs, db.firstSearchMs),
        line('search p50 (ms)', folder.search.p50, db.search.p50),
        line('search p99 (ms)', folder.search.p99, db.search.p99),
        line('one-salon filter p50 (ms)', folder.salonFilter.p50, db.salonFilter.p50),
        line('section + date p50 (ms)', folder.sectionDate.p50, db.sectionDate.p50),
        line('exact p50 (ms)', folder.exact.p50, db.exact.p50),
        line(`add one ${ADDED_SALON_ITEMS}-item salon (ms)`, folder.addSalonMs, db.addSalonMs),
        line('remove it (ms)', folder.removeSalonMs, db.removeSalonMs),
        line('similarQuestions (ms)', folder.similarQuestionsMs, db.similarQuestionsMs),
        line('themes: read all items + vectors (ms)', folder.themesReadMs, db.themesReadMs),
      ],
      ['l', 'r', 'r', 'r'],
    ),
  );
  const loadAfter = machineInfo().loadAverage;
  console.log(
    `load average before ${machine.loadAverage.join(' / ')}, after ${loadAfter.join(' / ')}`,
  );
  const name = items === 10_000 ? 'pg' : `pg-${items}`;
  console.log(await writeResults(name, { machine, loadAfter, items, dim, rows }));
}
