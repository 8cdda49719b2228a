/**
 * Recall@10 and latency per query mode (no filter, the two section filters, one
 * salon, `exact: true`) of a saved lens store, read-only, at the store's default ef
 * and optionally at other base efs (`--ef`, set with lens.setEf; each mode then
 * searches at the ef the lens derives from it, printed as `searchEf`): the
 * filtered-search rules (filteredEf, exact scan when that is as cheap) measured
 * without rebuilding the store. Truth and queries come from bench:ann's cached
 * dataset the store was built from (bench/lib/ann-data.ts).
 *
 *   npx tsx bench/ann-filtered.ts --dataset /tmp/salon-lens-bench/ann-real-100000-… --store /tmp/lens100k
 *   npx tsx bench/ann-filtered.ts --dataset … --store … --ef default,128,256 --name ann-1m-filtered-ef
 *
 * Writes bench/results/<name>.json (default ann-filtered).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Embedder } from '../src/embed/index.js';
import { openLens, type SearchOptions } from '../src/index/index.js';
import { filteredEf, filteredSearchScans } from '../src/index/options.js';
import {
  FILTER_NAMES,
  type FilterName,
  filterSelectivity,
  K,
  loadAnnDataset,
  recallOf,
  SALON_SIZE,
  salonOfQuery,
} from './lib/ann-data.js';
import { rowOf } from './lib/ann-engine.js';
import { machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';
import { percentile } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string' },
    store: { type: 'string' },
    queries: { type: 'string', default: '300' },
    'exact-queries': { type: 'string', default: '20' },
    /** Base efs to measure at, comma-separated; `default` is the store's own. */
    ef: { type: 'string', default: 'default' },
    name: { type: 'string', default: 'ann-filtered' },
  },
});
if (!args.dataset || !args.store)
  throw new Error('usage: ann-filtered.ts --dataset <dir> --store <dir>');

const ds = await loadAnnDataset(args.dataset);
const embedder: Embedder = {
  id: `bench-precomputed@${ds.dim}`,
  dim: ds.dim,
  thresholds: { similarQuestion: 0.6, relatedInsight: 0.45 },
  async embed() {
    throw new Error('this bench searches by vector only');
  },
  async dispose() {},
};
const lens = await openLens(args.store, { embedder, readOnly: true });
const salonId = (s: number) => `bench-${String(s).padStart(6, '0')}`;
const modes = [
  ...FILTER_NAMES.map((filter) => ({ filter, exact: false })),
  { filter: 'none' as const, exact: true },
];
const defaultEf = lens.manifest.hnsw.ef;
const baseEfs = String(args.ef)
  .split(',')
  .map((e) => (e === 'default' ? defaultEf : Number(e)));
const results = [];
for (const [point, baseEf] of baseEfs.entries()) {
  lens.setEf(baseEf);
  for (const { filter, exact } of modes) {
    // Exact answers do not depend on the ef: measured once, at the first base ef.
    if (!exact || point === 0) results.push(await measure(baseEf, filter, exact));
  }
}

/** The ef the store searches a filter with, or 'exact' when it scans (FileStore.nearest). */
function searchEfOf(baseEf: number, filter: FilterName, exact: boolean): number | 'exact' {
  if (exact) return 'exact';
  const passing = Math.round(filterSelectivity(ds, filter) * ds.n);
  if (passing >= ds.n) return baseEf;
  const ef = filteredEf(baseEf, passing, ds.n);
  return filteredSearchScans(passing, ef) ? 'exact' : ef;
}

async function measure(baseEf: number, filter: FilterName, exact: boolean) {
  const count = Math.min(ds.queryCount, Number(exact ? args['exact-queries'] : args.queries));
  const latencies: number[] = [];
  let recall = 0;
  for (let qi = 0; qi < count; qi++) {
    // Cosine: the truth is cosine, and the index is what is measured (CSLS is the default).
    const options: SearchOptions = { k: K, scoring: 'cosine', ...(exact ? { exact } : {}) };
    if (filter === 'question' || filter === 'disagreement') options.section = filter;
    if (filter === 'salon') options.salon = salonId(salonOfQuery(ds, qi));
    const start = performance.now();
    const hits = await lens.searchVector(rowOf(ds.queries, ds.dim, qi), options);
    latencies.push(performance.now() - start);
    const ids = hits.map((h) => Number(h.salon.id.slice(6)) * SALON_SIZE + h.item.line - 1);
    recall += recallOf(ids, ds.truth[filter], qi);
  }
  const row = {
    mode: exact ? 'exact: true' : filter === 'none' ? 'no filter' : filter,
    baseEf,
    searchEf: searchEfOf(baseEf, filter, exact),
    queries: count,
    recall: Math.round((recall / count) * 10_000) / 10_000,
    p50Ms: Math.round(percentile(latencies, 0.5) * 100) / 100,
    p99Ms: Math.round(percentile(latencies, 0.99) * 100) / 100,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.log(JSON.stringify(row));
  return row;
}
await lens.close();
const file = await writeResults(String(args.name), {
  bench: 'ann-filtered',
  command: `npx tsx bench/ann-filtered.ts ${process.argv.slice(2).join(' ')}`,
  commit: spawnSync('git', ['rev-parse', 'HEAD'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).stdout.trim(),
  machine: machineInfo(),
  n: ds.n,
  noise: ds.noise,
  defaultEf,
  results,
});
process.stderr.write(`wrote ${file}\n`);
