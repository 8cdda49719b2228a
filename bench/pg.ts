/**
 * The Postgres store side by side with the folder store on the same synthetic
 * salons (clustered random vectors, 100 items per salon): build; the first search
 * of a new process (open + one default CSLS search, timed inside a child process);
 * search p50/p99 (default CSLS), one-salon filter, section + date filter and exact
 * search; adding and removing one 30-item salon; similarQuestions; the store's part
 * of themes (reading every item and vector; the clustering is the same for both).
 * Postgres is the real server of SALON_LENS_TEST_PG_URL with --server (start one
 * with `eval "$(.ci/pg-server.sh start)"`), else SALON_LENS_PG_URL, else PGlite over
 * the wire protocol. Options: --postgres-only (no folder store: a 100k folder build
 * takes long); --schema=NAME builds into that schema and keeps it, and a later run
 * with the same NAME and size reuses the store instead of building it again (its
 * build time is then null; the earlier run's record has it). Above 10k items
 * similarQuestions is skipped (an hour or more per store). Peak RSS is this
 * process's, after each store's phase (the folder store runs first). Prints a table,
 * writes bench/results/pg.json (pg-<items>.json for other sizes).
 *
 *   eval "$(.ci/pg-server.sh start)"
 *   npm run bench:pg -- [items=10000] [dim=512] --server
 *   npm run bench:pg -- 100000 --server --postgres-only --schema=bench100k
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLens, type Lens, openLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { randomVectorEmbedder } from '../test/helpers/index-embedders.js';
import { REAL_PG_URL, startPgServer, withSchema } from '../test/helpers/pg-server.js';
import { QUERIES, salon, syntheticSalons } from '../test/helpers/synthetic-salons.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { percentile, summarize } from './lib/stats.js';
import { fmt, markdownTable } from './lib/table.js';

const ADDED_SALON_ITEMS = 30;
const REPEATS = 3;

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

/** The store at `location` if it holds these salons' items (a kept schema), else undefined. */
async function reusable(location: string, dim: number, items: number): Promise<boolean> {
  try {
    const lens = await openLens(location, { embedder: randomVectorEmbedder(dim), readOnly: true });
    const held = lens.manifest.itemCount;
    await lens.close();
    return held === items;
  } catch {
    return false;
  }
}

interface MeasureOptions {
  reuse: boolean;
  similarQuestions: boolean;
}

async function measure(
  store: string,
  location: string,
  salons: Salon[],
  dim: number,
  o: MeasureOptions,
) {
  const embedder = randomVectorEmbedder(dim);
  const items = salons.reduce((n, s) => n + s.items.length, 0);
  let buildMs: number | null = null;
  if (o.reuse && (await reusable(location, dim, items))) {
    console.error(`${store}: reusing the ${items}-item store at ${location}`);
  } else {
    const created = await createLens(location, { embedder, force: true });
    buildMs = await time(() => created.addSalons(salons));
    await created.close();
    console.error(`${store}: built ${items} items in ${fmt(buildMs / 1000)} s`);
  }
  const buildPeakRssMiB = process.resourceUsage().maxRSS / 1024;

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
  const similarQuestionsMs = o.similarQuestions ? await time(() => lens.similarQuestions()) : null;
  // Themes: the store's part is reading every item and vector (the clustering after
  // it is the same code on the same data for both stores, minutes at 10k items).
  const themesReadMs = await time(() => lens.snapshot());
  await lens.close();
  const row = {
    store,
    items,
    dim,
    buildS: buildMs === null ? null : buildMs / 1000,
    buildPeakRssMiB,
    firstSearchMs: first,
    search,
    salonFilter,
    sectionDate,
    exact,
    addSalonMs: summarize(add).median,
    removeSalonMs: summarize(remove).median,
    similarQuestionsMs,
    themesReadMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.error(JSON.stringify(row));
  return row;
}

if (process.argv[2] === '--first') {
  await firstSearch(process.argv[3] as string, Number(process.argv[4]));
} else {
  const flags = process.argv.slice(2);
  const positional = flags.filter((a) => !a.startsWith('--'));
  const items = Number(positional[0] ?? 10_000);
  const dim = Number(positional[1] ?? 512);
  const onServer = flags.includes('--server');
  const postgresOnly = flags.includes('--postgres-only');
  const schema = flags.find((a) => a.startsWith('--schema='))?.slice('--schema='.length);
  const salons = syntheticSalons(items);
  const pg = await startPgServer(onServer ? 'server' : 'pglite');
  const real = onServer || Boolean(process.env.SALON_LENS_PG_URL);
  const dir = await mkdtemp(path.join(tmpdir(), 'salon-lens-pgbench-'));
  const machine = machineInfo();
  const options = { reuse: schema !== undefined, similarQuestions: items <= 10_000 };
  const rows = [];
  try {
    if (!postgresOnly)
      rows.push(await measure('folder', path.join(dir, 'store'), salons, dim, options));
    const url = withSchema(
      onServer ? (REAL_PG_URL as string) : pg.url,
      schema ?? `bench_${process.pid}`,
    );
    rows.push(await measure(real ? 'postgres' : 'pglite', url, salons, dim, options));
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
  type Row = (typeof rows)[0];
  const db = rows.at(-1) as Row;
  const folder = postgresOnly ? undefined : (rows[0] as Row);
  const cell = (x: number | null | undefined) => (x === null || x === undefined ? '–' : fmt(x));
  const line = (name: string, f: (r: Row) => number | null) => {
    const p = f(db);
    const b = folder ? f(folder) : undefined;
    return [
      name,
      ...(folder ? [cell(b)] : []),
      cell(p),
      ...(folder ? [p !== null && b ? `${fmt(p / b)}×` : '–'] : []),
    ];
  };
  console.log(
    markdownTable(
      ['figure', ...(folder ? ['folder'] : []), db.store, ...(folder ? ['ratio'] : [])],
      [
        line('build (s)', (r) => r.buildS),
        line('peak RSS after build (MiB)', (r) => r.buildPeakRssMiB),
        line('first search, new process (ms)', (r) => r.firstSearchMs),
        line('search p50 (ms)', (r) => r.search.p50),
        line('search p99 (ms)', (r) => r.search.p99),
        line('one-salon filter p50 (ms)', (r) => r.salonFilter.p50),
        line('one-salon filter p99 (ms)', (r) => r.salonFilter.p99),
        line('section + date p50 (ms)', (r) => r.sectionDate.p50),
        line('section + date p99 (ms)', (r) => r.sectionDate.p99),
        line('exact p50 (ms)', (r) => r.exact.p50),
        line('exact p99 (ms)', (r) => r.exact.p99),
        line(`add one ${ADDED_SALON_ITEMS}-item salon (ms)`, (r) => r.addSalonMs),
        line('remove it (ms)', (r) => r.removeSalonMs),
        line('similarQuestions (ms)', (r) => r.similarQuestionsMs),
        line('themes: read all items + vectors (ms)', (r) => r.themesReadMs),
        line('peak RSS (MiB)', (r) => r.peakRssMiB),
      ],
      ['l', 'r', 'r', 'r'],
    ),
  );
  const loadAfter = machineInfo().loadAverage;
  console.log(
    `load average before ${machine.loadAverage.join(' / ')}, after ${loadAfter.join(' / ')}`,
  );
  const name =
    items === 10_000
      ? 'pg'
      : `pg-${items >= 1000 && items % 1000 === 0 ? `${items / 1000}k` : items}`;
  console.log(await writeResults(name, { machine, loadAfter, items, dim, flags, rows }));
}
