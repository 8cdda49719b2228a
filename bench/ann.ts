/**
 * ANN bench: build time, memory (RSS delta, bytes on disk), single-thread query
 * latency (p50 / p99), QPS and recall@10 against exact search, for salon-lens's own
 * index (public API, filters off and on) and the engines registered in
 * lib/ann-engines.ts. Every build runs in a fresh process.
 *
 * The wrapper's overhead is measured as p50 and p99 latency ratios against raw
 * hnswlib-node reading the very graph the lens saved, query by query in the same
 * process, over an ef sweep repeated in rounds (median per point); the goal is judged
 * at the smallest ef where raw recall@10 reaches 0.98. The default data are the corpus
 * vectors with heavy noise (norm 1.5), so recall still varies with ef at 10k.
 * Prints Markdown, writes bench/results/<name>.json after every finished build (a
 * stopped run keeps what it measured: `"status": "partial"`).
 *
 *   npm run bench:ann                         # 10k + 100k: salon-lens (+ raw on its graph), usearch; 1 build each (target ≤ 10 min idle; not yet timed idle)
 *   npm run bench:ann -- --full               # + own-build hnswlib, brute force, vectra, Orama; 3 builds each (about an hour)
 *   npm run bench:ann -- --large              # also 1M (salon-lens, usearch; 1 build; > 15 min, ~5 GB)
 *   npm run bench:ann -- --sizes 2000 --engines salon-lens --sweep-repeats 3   # smoke run
 *   npm run bench:ann -- --noise 0.3 --name ann-easy   # the easy data (recall ≈ 1 at any ef)
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
import type { HnswParams } from './lib/ann-engine.js';
import { ENGINE_NAMES, type EngineName, engineSpec, isEngineName } from './lib/ann-engines.js';
import { renderSize, type SizeSummary, summarizeSize } from './lib/ann-report.js';
import type { WorkerProgress, WorkerResult, WorkerTask } from './lib/ann-worker.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';
import { snapshotSource } from './lib/src-snapshot.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    full: { type: 'boolean', default: false },
    large: { type: 'boolean', default: false },
    /** Builds per engine and size (default 1; 3 with --full). */
    repeats: { type: 'string' },
    'large-repeats': { type: 'string', default: '1' },
    queries: { type: 'string', default: '1000' },
    'filtered-queries': { type: 'string', default: '300' },
    'slow-queries': { type: 'string', default: '50' },
    passes: { type: 'string', default: '3' },
    data: { type: 'string', default: 'real' },
    noise: { type: 'string', default: '1.5' },
    /** Default: the quick engines (all with --full). */
    engines: { type: 'string' },
    sweep: { type: 'string', default: '10,16,24,32,48,64,96,128,256' },
    'sweep-repeats': { type: 'string', default: '3' },
    'worker-timeout-min': { type: 'string', default: '90' },
    /** Result file name under bench/results (e.g. ann-random, so a side run keeps ann.json). */
    name: { type: 'string', default: 'ann' },
  },
});

const LARGE = 1_000_000;
const TARGETS = [0.9, 0.95, 0.98, 0.99];

const sizes = String(args.sizes).split(',').map(Number);
if (args.large && !sizes.includes(LARGE)) sizes.push(LARGE);
const kind = args.data === 'random' ? 'random' : 'real';
const repeats = Number(args.repeats ?? (args.full ? 3 : 1));
const sweepRepeats = Math.max(1, Number(args['sweep-repeats']));
const engines: EngineName[] = args.engines
  ? args.engines.split(',').filter(isEngineName)
  : ENGINE_NAMES.filter((e) => args.full || engineSpec(e).quick);
const sweep = String(args.sweep).split(',').map(Number);
const log = (line: string) => process.stderr.write(`${line}\n`);

function enginesFor(n: number): EngineName[] {
  return engines.filter((e) => {
    const spec = engineSpec(e);
    if (n >= LARGE) return spec.large === true;
    return spec.maxN === undefined || n <= spec.maxN;
  });
}

/**
 * Run one worker. Meanwhile its progress file is polled every minute and handed to
 * `onProgress` (the partial JSON then shows how far a long build got).
 */
async function runWorker(
  task: WorkerTask,
  onProgress: (progress: WorkerProgress) => Promise<void>,
): Promise<WorkerResult | { error: string }> {
  const taskFile = `${task.outFile}.task.json`;
  await writeFile(taskFile, JSON.stringify(task));
  const poll = setInterval(() => {
    if (!task.progressFile) return;
    readFile(task.progressFile, 'utf8')
      .then((text) => onProgress(JSON.parse(text) as WorkerProgress))
      .catch(() => undefined);
  }, 60_000);
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
      clearInterval(poll);
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
  /** The worker running now and what it last reported (partial JSON only). */
  let running: WorkerProgress | undefined;
  let lastSummaries: SizeSummary[] = [];
  const save = (status: 'partial' | 'complete', sized: SizeSummary[]) =>
    writeResults(String(args.name), {
      bench: 'ann',
      status,
      ...(status === 'partial' && running ? { running } : {}),
      machine,
      command: `npm run bench:ann -- ${process.argv.slice(2).join(' ')}`.trim(),
      source,
      params: {
        kind,
        sizes,
        engines,
        hnsw,
        k: K,
        noise: Number(args.noise),
        repeats,
        largeRepeats: Number(args['large-repeats']),
        passes: Number(args.passes),
        queries: Number(args.queries),
        filteredQueries: Number(args['filtered-queries']),
        slowQueries: Number(args['slow-queries']),
        sweep,
        sweepRepeats,
        datasets,
      },
      summaries: sized,
      errors,
      raw,
      machineAtEnd: machineInfo(),
    });
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
      const builds = large ? Number(args['large-repeats']) : repeats;
      const byEngine = new Map<string, WorkerResult[]>(list.map((e) => [e, []]));
      raw[String(n)] = Object.fromEntries(byEngine);
      for (let r = 0; r < builds; r++) {
        for (const engine of list) {
          log(`n=${n} build ${r + 1}/${builds}: ${engine}`);
          const out = path.join(scratch, `${n}-${engine}-${r}.json`);
          const result = await runWorker(
            {
              datasetDir,
              engine,
              hnsw,
              queries,
              filteredQueries: Number(args['filtered-queries']),
              slowQueries: Number(args['slow-queries']),
              passes: Number(args.passes),
              sweep: r === 0 ? sweep : [],
              sweepRepeats,
              workDir: await mkdtemp(path.join(scratch, `${engine}-`)),
              outFile: out,
              lensModule: source.lensModule,
              progressFile: `${out}.progress.json`,
            },
            async (progress) => {
              if (progress.at === running?.at) return; // nothing new since the last poll
              running = progress;
              log(
                `  ${progress.engine} n=${progress.n}: ${progress.phase}${progress.total ? ` ${progress.done}/${progress.total}` : ''} after ${Math.round(progress.elapsedMs / 1000)} s (load ${progress.loadAverage.join(' ')})`,
              );
              await save('partial', lastSummaries);
            },
          );
          running = undefined;
          if ('error' in result) {
            errors.push(`n=${n} build ${r + 1}: ${result.error}`);
            log(`  ${result.error}`);
          } else byEngine.get(engine)?.push(result);
          raw[String(n)] = Object.fromEntries(byEngine);
          const partial = summarizeSize(n, byEngine, { defaultEf: hnsw.ef, targets: TARGETS });
          lastSummaries = [...summaries, partial];
          await save('partial', lastSummaries);
        }
      }
      const summary = summarizeSize(n, byEngine, { defaultEf: hnsw.ef, targets: TARGETS });
      summaries.push(summary);
      markdown.push('');
      markdown.push(renderSize(summary, { dataset, selectivity }));
      const skipped = engines.filter((e) => !list.includes(e));
      if (skipped.length) {
        markdown.push('');
        markdown.push(
          `Not run at this size: ${skipped.join(', ')} (size caps in bench/lib/ann-engines.ts: vectra builds in O(n²); 1M runs only the graph indexes).`,
        );
      }
      if (builds < 3) {
        markdown.push('');
        markdown.push(
          `${builds} build per engine (--full: 3); latency figures are medians over ${args.passes} passes, and the sweep over ${sweepRepeats} rounds.`,
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
  const file = await save('complete', summaries);
  log(`wrote ${file}`);
}

await main();
