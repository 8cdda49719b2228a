/**
 * Recall@10 and latency per query mode (no filter, the two section filters, one
 * salon, `exact: true`) of a saved lens store, read-only, at the store's default ef:
 * the filtered-search rules (ef scaled by the share of items passing, exact scan when
 * that is as cheap) measured without rebuilding the store. Truth and queries come
 * from bench:ann's cached dataset the store was built from (bench/lib/ann-data.ts).
 *
 *   npx tsx bench/ann-filtered.ts --dataset /tmp/salon-lens-bench/ann-real-100000-… --store /tmp/lens100k
 *
 * Writes bench/results/<name>.json (default ann-filtered).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Embedder } from '../src/embed/index.js';
import { openLens, type SearchOptions } from '../src/index/index.js';
import {
  FILTER_NAMES,
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
const results = [];
for (const { filter, exact } of modes) {
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
    queries: count,
    recall: Math.round((recall / count) * 10_000) / 10_000,
    p50Ms: Math.round(percentile(latencies, 0.5) * 100) / 100,
    p99Ms: Math.round(percentile(latencies, 0.99) * 100) / 100,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.log(JSON.stringify(row));
  results.push(row);
}
const ef = lens.manifest.hnsw.ef;
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
  defaultEf: ef,
  results,
});
process.stderr.write(`wrote ${file}\n`);
