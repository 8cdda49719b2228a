/**
 * Memory of an opened lens store against a bare HNSW index of the same graph: the
 * RSS growth of `openLens` (read-only, after a few unfiltered, filtered and exact
 * searches) divided by the RSS growth of raw hnswlib-node reading the graph file the
 * lens saved. bench:ann measures the ratio after a build, with raw hnswlib loading
 * second in the same process; there the raw load reuses memory the lens freed, which
 * understates the bare graph. So the bare graph is measured twice: in a fresh
 * process (`ratio`) and, like bench:ann, after the lens in its process
 * (`sameProcessRatio`). This bench reuses a store (100k items take minutes to build).
 *
 *   node --expose-gc --import tsx bench/ann-memory.ts --store /tmp/lens100k   # a store built by bench:ann's lens engine
 *   node --expose-gc --import tsx bench/ann-memory.ts --n 10000                 # builds one first (cached dataset)
 *
 * Writes bench/results/ann-memory.json (name with --name).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import hnswlib from 'hnswlib-node';
import type { Embedder } from '../src/embed/index.js';
import { LENS_DEFAULTS, openLens } from '../src/index/index.js';
import { loadAnnDataset, prepareAnnDataset } from './lib/ann-data.js';
import { createLensEngine } from './lib/ann-engine-lens.js';
import { machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    n: { type: 'string', default: '10000' },
    noise: { type: 'string', default: '1.5' },
    name: { type: 'string', default: 'ann-memory' },
    dim: { type: 'string', default: '512' },
    /** Internal: build a store into this folder and exit (a separate process). */
    'build-into': { type: 'string' },
    /** Internal: print the RSS growth of raw hnswlib reading this graph file and exit. */
    'bare-graph': { type: 'string' },
  },
});

const MiB = 2 ** 20;

function settle(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
}

async function dataset(): Promise<string> {
  return prepareAnnDataset(
    { kind: 'real', n: Number(args.n), queries: 100, noise: Number(args.noise) },
    (line) => process.stderr.write(`${line}\n`),
  );
}

async function build(dir: string): Promise<void> {
  const ds = await loadAnnDataset(await dataset());
  const engine = createLensEngine({ ds, hnsw: { ...LENS_DEFAULTS.hnsw }, workDir: dir });
  await engine.build();
  await engine.close();
}

async function measure(dir: string) {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  const { id, dim } = manifest.embedder as { id: string; dim: number };
  const embedder: Embedder = {
    id,
    dim,
    thresholds: { similarQuestion: 0.6, relatedInsight: 0.45 },
    async embed() {
      throw new Error('this bench searches by vector only');
    },
    async dispose() {},
  };
  const query = new Float32Array(dim).fill(1 / Math.sqrt(dim));
  const before = settle();
  const t0 = performance.now();
  const lens = await openLens(dir, { embedder, readOnly: true });
  const openMs = performance.now() - t0;
  // Touch every query path once: graph, filtered graph, small-subset exact, exact.
  await lens.searchVector(query, { k: 10 });
  await lens.searchVector(query, { k: 10, section: 'question' });
  await lens.searchVector(query, { k: 10, salon: lens.salons()[0]?.id ?? '' });
  const t1 = performance.now();
  await lens.searchVector(query, { k: 10, exact: true });
  const exactMs = performance.now() - t1;
  const lensRss = settle() - before;
  const graph = path.join(dir, manifest.files.hnsw.name);
  const script = path.join(REPO_ROOT, 'bench/ann-memory.ts');
  const fresh = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', script, '--bare-graph', graph, '--dim', String(dim)],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  const freshRss = Number(fresh.stdout.trim().split('\n').at(-1));
  if (!Number.isFinite(freshRss)) throw new Error(`bare graph measurement failed: ${fresh.stderr}`);
  const rawRss = await bareGraphRss(graph, dim);
  const items = lens.manifest.itemCount;
  await lens.close();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    items,
    lensRssMiB: Math.round(lensRss / MiB),
    bareHnswRssMiB: Math.round(freshRss / MiB),
    ratio: round(lensRss / freshRss),
    bareHnswAfterLensRssMiB: Math.round(rawRss / MiB),
    sameProcessRatio: round(lensRss / rawRss),
    openMs: Math.round(openMs),
    firstExactMs: Math.round(exactMs),
  };
}

async function bareGraphRss(file: string, dim: number): Promise<number> {
  const raw = new hnswlib.HierarchicalNSW('cosine', dim);
  const before = settle();
  await raw.readIndex(file);
  return settle() - before;
}

if (args['build-into']) {
  await build(args['build-into']);
} else if (args['bare-graph']) {
  console.log(await bareGraphRss(args['bare-graph'], Number(args.dim)));
} else {
  let dir = args.store;
  let scratch: string | undefined;
  if (!dir) {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-mem-'));
    dir = path.join(scratch, 'store');
    // Built in another process, so this one's RSS holds only what the reader keeps.
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'bench/ann-memory.ts'),
        '--build-into',
        dir,
        '--n',
        String(args.n),
        '--noise',
        String(args.noise),
      ],
      { stdio: 'inherit', cwd: REPO_ROOT },
    );
    if (child.status !== 0) throw new Error(`building the store failed (${child.status})`);
  }
  try {
    const result = await measure(dir);
    const load = os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const line = `${result.items} items: lens reader ${result.lensRssMiB} MiB; bare HNSW ${result.bareHnswRssMiB} MiB in a fresh process: ${result.ratio}×, ${result.bareHnswAfterLensRssMiB} MiB after the lens in one process: ${result.sameProcessRatio}× (load ${load})`;
    console.log(line);
    const file = await writeResults(String(args.name), {
      bench: 'ann-memory',
      command:
        `node --expose-gc --import tsx bench/ann-memory.ts ${process.argv.slice(2).join(' ')}`.trim(),
      commit: spawnSync('git', ['rev-parse', 'HEAD'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      }).stdout.trim(),
      machine: machineInfo(),
      result,
    });
    process.stderr.write(`wrote ${file}\n`);
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}
