/**
 * One ANN bench measurement in a fresh process: load the cached dataset, build one
 * engine, then time its queries. A process per build keeps RSS deltas clean (no
 * garbage or native memory left over from another engine) and isolates crashes.
 * Run by bench/ann.ts, not by hand:
 *
 *   node --import tsx --expose-gc bench/lib/ann-worker.ts /tmp/task.json
 *
 * The task names the dataset folder, engine, HNSW parameters, query counts, ef sweep
 * and the output file; the result has build time, memory, disk bytes, latency per
 * pass (p50 / p99 / QPS) and recall@10 per query mode.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { K, loadAnnDataset, recallOf } from './ann-data.js';
import type { AnnEngine, EngineContext, EngineName, HnswParams, QueryMode } from './ann-engine.js';
import { createHnswlibEngine } from './ann-engine-hnswlib.js';
import { createLensEngine } from './ann-engine-lens.js';
import { createOramaEngine } from './ann-engine-orama.js';
import { createUsearchEngine } from './ann-engine-usearch.js';
import { createVectraEngine } from './ann-engine-vectra.js';
import { percentile } from './stats.js';

export interface WorkerTask {
  datasetDir: string;
  engine: EngineName;
  hnsw: HnswParams;
  /** Queries per pass for index engines. */
  queries: number;
  /** Queries per pass for filtered queries (graph search with a filter callback is slower). */
  filteredQueries: number;
  /**
   * Queries per pass for full-scan engines, `exact: true`, and raw hnswlib with the
   * one-salon filter (a graph walk that must skip 99.9% of nodes): 100-1000× slower.
   */
  slowQueries: number;
  passes: number;
  /** ef values for the sweep; empty for none. */
  sweep: number[];
  workDir: string;
  outFile: string;
  /** Frozen copy of src/index/index.ts to load salon-lens from (see src-snapshot.ts). */
  lensModule?: string;
}

export interface PassFigures {
  p50Ms: number;
  p99Ms: number;
  qps: number;
}

export interface ModeResult {
  mode: QueryMode;
  queries: number;
  recall: number;
  passes: PassFigures[];
}

export interface SweepPoint {
  ef: number;
  recall: number;
  passes: PassFigures[];
}

export interface WorkerResult {
  engine: EngineName;
  n: number;
  buildMs: number;
  stages?: Record<string, number>;
  memory: {
    rssBefore: number;
    rssAfter: number;
    rssDelta: number;
    heapDelta: number;
    maxRss: number;
  };
  disk?: { total: number; files: Record<string, number> };
  modes: ModeResult[];
  sweep: SweepPoint[];
  extra?: Record<string, unknown>;
}

const FULL_SCAN: readonly EngineName[] = ['bruteforce', 'vectra', 'orama'];

function createEngine(name: EngineName, ctx: EngineContext): AnnEngine {
  switch (name) {
    case 'salon-lens':
      return createLensEngine(ctx);
    case 'hnswlib':
      return createHnswlibEngine(ctx, 'hnsw');
    case 'bruteforce':
      return createHnswlibEngine(ctx, 'bruteforce');
    case 'usearch':
      return createUsearchEngine(ctx);
    case 'vectra':
      return createVectraEngine(ctx);
    case 'orama':
      return createOramaEngine(ctx);
  }
}

function settle(): void {
  // --expose-gc is passed by bench/ann.ts; two rounds also collect weak/finalised leftovers.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

async function timePasses(
  count: number,
  passes: number,
  run: (qi: number) => Promise<number[]>,
): Promise<{ passes: PassFigures[] }> {
  // Warm-up: first queries page in the index and JIT-compile the call path.
  for (let qi = 0; qi < Math.min(20, count); qi++) await run(qi);
  const out: PassFigures[] = [];
  for (let p = 0; p < passes; p++) {
    const lat = new Float64Array(count);
    const t0 = performance.now();
    for (let qi = 0; qi < count; qi++) {
      const s = performance.now();
      await run(qi);
      lat[qi] = performance.now() - s;
    }
    const total = performance.now() - t0;
    const xs = Array.from(lat);
    out.push({
      p50Ms: percentile(xs, 0.5),
      p99Ms: percentile(xs, 0.99),
      qps: count / (total / 1000),
    });
  }
  return { passes: out };
}

async function main() {
  const taskFile = process.argv[2];
  if (!taskFile) throw new Error('usage: ann-worker.ts <task.json>');
  const task = JSON.parse(await readFile(taskFile, 'utf8')) as WorkerTask;
  const ds = await loadAnnDataset(task.datasetDir);
  const engine = createEngine(task.engine, {
    ds,
    hnsw: task.hnsw,
    workDir: task.workDir,
    ...(task.lensModule ? { lensModule: task.lensModule } : {}),
  });

  settle();
  const before = process.memoryUsage();
  const built = await engine.build();
  settle();
  const after = process.memoryUsage();
  const disk = await engine.diskBytes();

  const slow = FULL_SCAN.includes(task.engine);
  const modes: ModeResult[] = [];
  for (const mode of engine.modes) {
    const verySlow = slow || mode.exact || (task.engine === 'hnswlib' && mode.filter === 'salon');
    const perPass = verySlow
      ? task.slowQueries
      : mode.filter === 'none'
        ? task.queries
        : task.filteredQueries;
    const count = Math.min(ds.queryCount, perPass);
    const answers: number[][] = [];
    const timed = await timePasses(count, task.passes, async (qi) => {
      const ids = await engine.search(qi, K, mode);
      answers[qi] = ids;
      return ids;
    });
    let recall = 0;
    for (let qi = 0; qi < count; qi++)
      recall += recallOf(answers[qi] ?? [], ds.truth[mode.filter], qi);
    modes.push({ mode, queries: count, recall: recall / count, passes: timed.passes });
    process.stderr.write(
      `    ${task.engine} ${mode.name}: recall@10 ${(recall / count).toFixed(4)}, QPS ${timed.passes.map((p) => p.qps.toFixed(0)).join('/')}\n`,
    );
  }

  const sweep: SweepPoint[] = [];
  if (engine.sweepable && engine.setEf) {
    const count = Math.min(ds.queryCount, task.queries);
    for (const ef of task.sweep) {
      await engine.setEf(ef);
      const answers: number[][] = [];
      const timed = await timePasses(count, task.passes, async (qi) => {
        const ids = await engine.search(qi, K, { name: 'no filter', filter: 'none' });
        answers[qi] = ids;
        return ids;
      });
      let recall = 0;
      for (let qi = 0; qi < count; qi++) recall += recallOf(answers[qi] ?? [], ds.truth.none, qi);
      sweep.push({ ef, recall: recall / count, passes: timed.passes });
    }
    if (task.sweep.length > 0) await engine.setEf(task.hnsw.ef);
  }

  const extra = await engine.extra?.();
  await engine.close();
  const result: WorkerResult = {
    engine: task.engine,
    n: ds.n,
    buildMs: built.ms,
    ...(built.stages ? { stages: built.stages } : {}),
    memory: {
      rssBefore: before.rss,
      rssAfter: after.rss,
      rssDelta: after.rss - before.rss,
      heapDelta: after.heapUsed - before.heapUsed,
      // resourceUsage reports kilobytes.
      maxRss: process.resourceUsage().maxRSS * 1024,
    },
    ...(disk ? { disk } : {}),
    modes,
    sweep,
    ...(extra ? { extra } : {}),
  };
  await writeFile(task.outFile, JSON.stringify(result));
  await rm(task.workDir, { recursive: true, force: true });
}

await main();
