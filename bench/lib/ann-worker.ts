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
import os from 'node:os';
import { K, loadAnnDataset, recallOf } from './ann-data.js';
import type { AnnEngine, Baseline, HnswParams, QueryMode } from './ann-engine.js';
import { type EngineName, engineSpec } from './ann-engines.js';
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
  /** Rounds over the whole sweep (each round visits every ef once, in order). */
  sweepRepeats: number;
  workDir: string;
  outFile: string;
  /** Frozen copy of src/index/index.ts to load salon-lens from (see src-snapshot.ts). */
  lensModule?: string;
  /** Where to write build progress every 30 s (read by bench/ann.ts for its partial JSON). */
  progressFile?: string;
}

/** What a worker has reached, written while it runs. */
export interface WorkerProgress {
  engine: EngineName;
  n: number;
  phase: string;
  done?: number;
  total?: number;
  elapsedMs: number;
  rssMiB: number;
  loadAverage: number[];
  at: string;
}

const PROGRESS_EVERY_MS = 30_000;

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
  /** recall@10 against exact cosine, or against the engine's own exact answers when it has them. */
  recall: number;
  /** With an engine's own exact answers: its recall@10 against exact cosine too. */
  cosineRecall?: number;
  /** One entry per sweep round. */
  passes: PassFigures[];
  /** The baseline, timed query by query beside the engine in the same rounds. */
  baseline?: { recall: number; passes: PassFigures[] };
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
    /** RSS growth when the baseline loaded its index (a bare HNSW graph of the same data). */
    baselineRssDelta?: number;
  };
  disk?: { total: number; files: Record<string, number> };
  modes: ModeResult[];
  /** Name of the baseline timed beside the engine in the sweep, if any. */
  baseline?: string;
  sweep: SweepPoint[];
  extra?: Record<string, unknown>;
  /** Load average (1 / 5 / 15 min) when the worker finished. */
  loadAverage: number[];
}

function settle(): void {
  // --expose-gc is passed by bench/ann.ts; two rounds also collect weak/finalised leftovers.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

function figures(lat: Float64Array): PassFigures {
  const xs = Array.from(lat);
  const total = xs.reduce((a, b) => a + b, 0);
  return {
    p50Ms: percentile(xs, 0.5),
    p99Ms: percentile(xs, 0.99),
    qps: xs.length / (total / 1000),
  };
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
    for (let qi = 0; qi < count; qi++) {
      const s = performance.now();
      await run(qi);
      lat[qi] = performance.now() - s;
    }
    out.push(figures(lat));
  }
  return { passes: out };
}

const recallOver = (answers: number[][], truth: Int32Array) => {
  let sum = 0;
  for (let qi = 0; qi < answers.length; qi++) sum += recallOf(answers[qi] ?? [], truth, qi);
  return sum / Math.max(1, answers.length);
};

/**
 * The ef sweep: `rounds` rounds, each visiting every ef once, so slow spells on a shared
 * machine spread over all points instead of hitting one. With a baseline, each query runs
 * on both, alternating which goes first, so the two see the same machine state.
 */
async function runSweep(
  engine: AnnEngine,
  baseline: Baseline | undefined,
  efs: readonly number[],
  rounds: number,
  count: number,
  truth: Int32Array,
): Promise<SweepPoint[]> {
  // A re-ranking engine (the lens's default text search) is judged against its own exact
  // answers, so "equal recall" compares equal fidelity to what each one returns.
  const own = engine.ownTruth ? await engine.ownTruth(count, K) : undefined;
  const noFilter: QueryMode = { name: 'no filter', filter: 'none' };
  const points: SweepPoint[] = efs.map((ef) => ({
    ef,
    recall: 0,
    passes: [],
    ...(baseline ? { baseline: { recall: 0, passes: [] } } : {}),
  }));
  for (let round = 0; round < rounds; round++) {
    for (const point of points) {
      await engine.setEf?.(point.ef);
      baseline?.setEf(point.ef);
      const answers: number[][] = [];
      const baseAnswers: number[][] = [];
      for (let qi = 0; qi < Math.min(20, count); qi++) {
        await engine.search(qi, K, noFilter);
        baseline?.search(qi, K);
      }
      const lat = new Float64Array(count);
      const baseLat = new Float64Array(count);
      for (let qi = 0; qi < count; qi++) {
        const engineFirst = (qi + round) % 2 === 0;
        if (baseline && !engineFirst) {
          const s = performance.now();
          baseAnswers[qi] = baseline.search(qi, K);
          baseLat[qi] = performance.now() - s;
        }
        const s = performance.now();
        answers[qi] = await engine.search(qi, K, noFilter);
        lat[qi] = performance.now() - s;
        if (baseline && engineFirst) {
          const b = performance.now();
          baseAnswers[qi] = baseline.search(qi, K);
          baseLat[qi] = performance.now() - b;
        }
      }
      point.passes.push(figures(lat));
      if (round === 0) {
        point.recall = recallOver(answers, own ?? truth);
        if (own) point.cosineRecall = recallOver(answers, truth);
      }
      if (point.baseline) {
        point.baseline.passes.push(figures(baseLat));
        if (round === 0) point.baseline.recall = recallOver(baseAnswers, truth);
      }
    }
  }
  return points;
}

async function main() {
  const taskFile = process.argv[2];
  if (!taskFile) throw new Error('usage: ann-worker.ts <task.json>');
  const task = JSON.parse(await readFile(taskFile, 'utf8')) as WorkerTask;
  const ds = await loadAnnDataset(task.datasetDir);
  const spec = engineSpec(task.engine);
  const create = await spec.load();
  const started = performance.now();
  let lastWrite = 0;
  const progress = (phase: string, p: { done?: number; total?: number } = {}, force = false) => {
    const now = performance.now();
    if (!task.progressFile || (!force && now - lastWrite < PROGRESS_EVERY_MS)) return;
    lastWrite = now;
    const report: WorkerProgress = {
      engine: task.engine,
      n: ds.n,
      phase,
      ...p,
      elapsedMs: Math.round(now - started),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
      at: new Date().toISOString(),
    };
    // Fire and forget: progress must never stall or fail the measurement.
    writeFile(task.progressFile, JSON.stringify(report)).catch(() => undefined);
  };
  const engine = create({
    ds,
    hnsw: task.hnsw,
    workDir: task.workDir,
    ...(task.lensModule ? { lensModule: task.lensModule } : {}),
    onBuildProgress: (p) => progress(`build: ${p.stage}`, p),
  });

  settle();
  const before = process.memoryUsage();
  progress('build', {}, true);
  const built = await engine.build();
  progress('built, querying', {}, true);
  settle();
  const after = process.memoryUsage();
  const disk = await engine.diskBytes();

  const modes: ModeResult[] = [];
  for (const mode of engine.modes) {
    const verySlow =
      spec.fullScan || mode.exact || (task.engine === 'hnswlib' && mode.filter === 'salon');
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
    const recall = recallOver(answers, ds.truth[mode.filter]);
    modes.push({ mode, queries: count, recall, passes: timed.passes });
    progress(`queried ${mode.name}: recall@10 ${recall.toFixed(4)}`, {}, true);
    process.stderr.write(
      `    ${task.engine} ${mode.name}: recall@10 ${recall.toFixed(4)}, p50 ${timed.passes.map((p) => p.p50Ms.toFixed(3)).join('/')} ms\n`,
    );
  }

  let sweep: SweepPoint[] = [];
  let baseline: Baseline | undefined;
  let baselineRssDelta: number | undefined;
  if (engine.sweepable && engine.setEf && task.sweep.length > 0) {
    if (engine.baseline) {
      settle();
      const rss0 = process.memoryUsage().rss;
      baseline = await engine.baseline();
      settle();
      baselineRssDelta = process.memoryUsage().rss - rss0;
    }
    const count = Math.min(ds.queryCount, task.queries);
    sweep = await runSweep(engine, baseline, task.sweep, task.sweepRepeats, count, ds.truth.none);
    await engine.setEf(task.hnsw.ef);
    for (const p of sweep) {
      process.stderr.write(
        `    ${task.engine} ef ${p.ef}: recall ${p.recall.toFixed(4)}${p.cosineRecall === undefined ? '' : ` (own exact; vs cosine ${p.cosineRecall.toFixed(4)})`} p50 ${p.passes.map((x) => x.p50Ms.toFixed(3)).join('/')}` +
          (p.baseline
            ? ` | ${baseline?.name} ${p.baseline.recall.toFixed(4)} p50 ${p.baseline.passes.map((x) => x.p50Ms.toFixed(3)).join('/')}`
            : '') +
          '\n',
      );
    }
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
      ...(baselineRssDelta !== undefined ? { baselineRssDelta } : {}),
    },
    ...(disk ? { disk } : {}),
    modes,
    ...(baseline ? { baseline: baseline.name } : {}),
    sweep,
    ...(extra ? { extra } : {}),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  await writeFile(task.outFile, JSON.stringify(result));
  await rm(task.workDir, { recursive: true, force: true });
}

await main();
