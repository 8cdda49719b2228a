/**
 * ANN bench: build time, memory (RSS delta, bytes on disk), single-thread query
 * latency (p50 / p99), QPS and recall@10 against exact search, for salon-lens's own
 * index (public API, filters off and on), raw hnswlib-node with the same parameters,
 * hnswlib-node BruteforceSearch, usearch, vectra and Orama; plus an ef sweep (recall
 * vs QPS) for salon-lens, raw hnswlib and usearch. Every build runs in a fresh
 * process; engines take turns within each repeat so machine load hits them alike.
 * Prints Markdown, writes bench/results/ann.json.
 *
 *   npm run bench:ann                         # 10k and 100k, 3 repeats (25-60 min on 2 cores)
 *   npm run bench:ann -- --large              # also 1M (salon-lens, hnswlib, usearch; 1 build)
 *   npm run bench:ann -- --sizes 2000 --repeats 3 --engines salon-lens,hnswlib   # smoke run
 *   npm run bench:ann -- --data random --name ann-random   # random unit vectors (worst case)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  FILTER_NAMES,
  filterSelectivity,
  K,
  loadAnnDataset,
  prepareAnnDataset,
} from './lib/ann-data.js';
import { ENGINE_NAMES, type EngineName, type HnswParams } from './lib/ann-engine.js';
import { renderSize, type SizeSummary, summarizeSize } from './lib/ann-report.js';
import type { WorkerResult, WorkerTask } from './lib/ann-worker.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';
import { snapshotSource } from './lib/src-snapshot.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    large: { type: 'boolean', default: false },
    repeats: { type: 'string', default: '3' },
    'large-repeats': { type: 'string', default: '1' },
    queries: { type: 'string', default: '1000' },
    'filtered-queries': { type: 'string', default: '300' },
    'slow-queries': { type: 'string', default: '50' },
    passes: { type: 'string', default: '3' },
    data: { type: 'string', default: 'real' },
    noise: { type: 'string', default: '0.3' },
    engines: { type: 'string', default: ENGINE_NAMES.join(',') },
    sweep: { type: 'string', default: '10,16,24,32,48,64,96,128,192,256' },
    'vectra-max': { type: 'string', default: '10000' },
    'orama-max': { type: 'string', default: '100000' },
    'worker-timeout-min': { type: 'string', default: '90' },
    /** Result file name under bench/results (e.g. ann-random, so a side run keeps ann.json). */
    name: { type: 'string', default: 'ann' },
  },
});

const LARGE = 1_000_000;
/** 1M: only the graph indexes; a full scan or a JSON index of 2 GB of vectors is pointless. */
const LARGE_ENGINES: readonly EngineName[] = ['salon-lens', 'hnswlib', 'usearch'];
const SWEEP_ENGINES: readonly EngineName[] = ['salon-lens', 'hnswlib', 'usearch'];
const TARGETS = [0.9, 0.95, 0.98, 0.99];

const sizes = String(args.sizes).split(',').map(Number);
if (args.large && !sizes.includes(LARGE)) sizes.push(LARGE);
const kind = args.data === 'random' ? 'random' : 'real';
const engines = String(args.engines)
  .split(',')
  .filter((e): e is EngineName => (ENGINE_NAMES as readonly string[]).includes(e));
const sweep = String(args.sweep).split(',').map(Number);
const log = (line: string) => process.stderr.write(`${line}\n`);

function enginesFor(n: number): EngineName[] {
  return engines.filter((e) => {
    if (n >= LARGE) return LARGE_ENGINES.includes(e);
    if (e === 'vectra') return n <= Number(args['vectra-max']);
    if (e === 'orama') return n <= Number(args['orama-max']);
    return true;
  });
}

async function runWorker(task: WorkerTask): Promise<WorkerResult | { error: string }> {
  const taskFile = `${task.outFile}.task.json`;
  await writeFile(taskFile, JSON.stringify(task));
  const worker = path.join(REPO_ROOT, 'bench/lib/ann-worker.ts');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', worker, taskFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(
      () => child.kill('SIGKILL'),
      Number(args['worker-timeout-min']) * 60_000,
    );
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  try {
    return JSON.parse(await readFile(task.outFile, 'utf8')) as WorkerResult;
  } catch {
    return { error: `worker for ${task.engine} exited with ${code} and no result` };
  } finally {
    await rm(task.workDir, { recursive: true, force: true });
  }
}

async function main() {
  const machine = machineInfo();
  const source = await snapshotSource();
  // Defaults come from the same frozen source the workers run.
  const { LENS_DEFAULTS } = (await import(
    pathToFileURL(source.lensModule).href
  )) as typeof import('../src/index/index.js');
  const hnsw: HnswParams = { ...LENS_DEFAULTS.hnsw };
  log(
    `salon-lens source: ${source.fingerprint} (commit ${source.commit.slice(0, 8)}, ${source.dirtyFiles} uncommitted files under src/)`,
  );
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-ann-'));
  const summaries: SizeSummary[] = [];
  const raw: Record<string, Record<string, WorkerResult[]>> = {};
  const errors: string[] = [];
  const markdown: string[] = [];
  const datasets: Record<string, unknown> = {};
  markdown.push('## ANN index: build, memory, latency, recall');
  markdown.push('');
  markdown.push(`Machine: ${describeMachine(machine)}.`);
  markdown.push(
    `salon-lens source: commit ${source.commit.slice(0, 8)} + ${source.dirtyFiles} uncommitted files under src/ (snapshot ${source.fingerprint}).`,
  );
  markdown.push(
    `HNSW parameters (salon-lens defaults, used for every HNSW engine): M ${hnsw.m}, efConstruction ${hnsw.efConstruction}, ef ${hnsw.ef}, seed ${hnsw.randomSeed}.`,
  );

  try {
    for (const n of sizes) {
      const large = n >= LARGE;
      const queries = large ? Math.min(200, Number(args.queries)) : Number(args.queries);
      log(`n=${n}: dataset`);
      const datasetDir = await prepareAnnDataset(
        { kind, n, queries, noise: Number(args.noise) },
        log,
      );
      const ds = await loadAnnDataset(datasetDir);
      const selectivity = Object.fromEntries(
        FILTER_NAMES.map((f) => [f, filterSelectivity(ds, f)]),
      );
      const dataset =
        kind === 'real'
          ? `${ds.dim}-d, ${ds.source}, each repeated with seeded noise of norm ${ds.noise} and re-normalised`
          : `${ds.dim}-d seeded random unit vectors`;
      datasets[String(n)] = { dir: datasetDir, dataset, queries: ds.queryCount, selectivity, k: K };
      const list = enginesFor(n);
      const repeats = Number(large ? args['large-repeats'] : args.repeats);
      const byEngine = new Map<EngineName, WorkerResult[]>(list.map((e) => [e, []]));
      for (let r = 0; r < repeats; r++) {
        for (const engine of list) {
          log(`n=${n} repeat ${r + 1}/${repeats}: ${engine}`);
          const out = path.join(scratch, `${n}-${engine}-${r}.json`);
          const result = await runWorker({
            datasetDir,
            engine,
            hnsw,
            queries,
            filteredQueries: Number(args['filtered-queries']),
            slowQueries: Number(args['slow-queries']),
            passes: Number(args.passes),
            sweep: r === 0 && SWEEP_ENGINES.includes(engine) ? sweep : [],
            workDir: await mkdtemp(path.join(scratch, `${engine}-`)),
            outFile: out,
            lensModule: source.lensModule,
          });
          if ('error' in result) {
            errors.push(`n=${n} repeat ${r + 1}: ${result.error}`);
            log(`  ${result.error}`);
          } else byEngine.get(engine)?.push(result);
        }
      }
      raw[String(n)] = Object.fromEntries(byEngine);
      const summary = summarizeSize(n, byEngine, { defaultEf: hnsw.ef, targets: TARGETS });
      summaries.push(summary);
      markdown.push('');
      markdown.push(renderSize(summary, { dataset, selectivity }));
      const skipped = engines.filter((e) => !list.includes(e));
      if (skipped.length) {
        markdown.push('');
        markdown.push(
          `Not run at this size: ${skipped.join(', ')} (vectra builds in O(n²) and keeps vectors as JSON number arrays: capped at --vectra-max ${args['vectra-max']}; 1M runs only the graph indexes).`,
        );
      }
      if (large && repeats < 3) {
        markdown.push('');
        markdown.push(
          `1M: ${repeats} build per engine (each takes tens of minutes here); query figures are still over ${args.passes} passes.`,
        );
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (errors.length) {
    markdown.push('');
    markdown.push(`Errors: ${errors.join('; ')}`);
  }
  console.log(markdown.join('\n'));
  const file = await writeResults(String(args.name), {
    bench: 'ann',
    machine,
    command: `npm run bench:ann -- ${process.argv.slice(2).join(' ')}`.trim(),
    source,
    params: {
      kind,
      sizes,
      engines,
      hnsw,
      k: K,
      repeats: Number(args.repeats),
      largeRepeats: Number(args['large-repeats']),
      passes: Number(args.passes),
      queries: Number(args.queries),
      filteredQueries: Number(args['filtered-queries']),
      slowQueries: Number(args['slow-queries']),
      sweep,
      vectraMax: Number(args['vectra-max']),
      oramaMax: Number(args['orama-max']),
      datasets,
    },
    summaries,
    errors,
    raw,
    machineAtEnd: machineInfo(),
  });
  log(`wrote ${file}`);
}

await main();
