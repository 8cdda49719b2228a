/**
 * Turns the ANN workers' raw results into figures (min / median / max over repeats
 * and sweep rounds), the wrapper overhead as p50 and p99 latency ratios against raw
 * hnswlib-node on the same graph, equal-recall comparisons, goal checks, and Markdown.
 *
 *   const summary = summarizeSize(n, results, { defaultEf: 128, targets: [0.95, 0.98] });
 *   console.log(renderSize(summary, ds));
 */
import { effectiveEf } from '../../src/index/options.js';
import { engineLabel } from './ann-engines.js';
import type { PassFigures, SweepPoint, WorkerResult } from './ann-worker.js';
import { median, type Summary, summarize } from './stats.js';
import { fmt, markdownTable, mib } from './table.js';

/** Recall the overhead goal is judged at: the smallest ef where raw hnswlib reaches it. */
export const OVERHEAD_RECALL = 0.98;
/** Goal: salon-lens p50 ≤ this × raw hnswlib p50 at that ef. */
export const OVERHEAD_GOAL = 1.15;
/** Goal: salon-lens RSS ≤ this × a bare HNSW index of the same data. */
export const MEMORY_GOAL = 1.6;

export interface ModeSummary {
  mode: string;
  filter: string;
  queries: number;
  /** Lowest recall@10 over the repeats (they agree when the build is deterministic). */
  recall: number;
  p50Ms: Summary;
  p99Ms: Summary;
  qps: Summary;
}

export interface SweepSummary {
  ef: number;
  recall: number;
  /** Over sweep rounds. */
  p50Ms: Summary;
  p99Ms: Summary;
  qps: Summary;
}

export interface EngineSummary {
  engine: string;
  repeats: number;
  buildMs: Summary;
  stagesMs?: Record<string, Summary>;
  rssDeltaBytes: Summary;
  maxRssBytes: Summary;
  diskBytes?: number;
  diskFiles?: Record<string, number>;
  modes: ModeSummary[];
  sweep: SweepSummary[];
  extra?: Record<string, unknown>;
}

export interface OverheadRow {
  ef: number;
  recall: number;
  baselineRecall: number;
  p50Ms: number;
  baselineP50Ms: number;
  p99Ms: number;
  baselineP99Ms: number;
  /** Median over rounds of (engine / baseline), each round's pair timed side by side. */
  p50Ratio: number;
  p99Ratio: number;
}

export interface SizeSummary {
  n: number;
  engines: EngineSummary[];
  /** salon-lens vs raw hnswlib-node walking the same graph, per ef. */
  overhead?: {
    engine: string;
    baseline: string;
    rounds: number;
    rows: OverheadRow[];
    /** The row at the smallest ef where the baseline's recall reaches OVERHEAD_RECALL. */
    atTarget?: OverheadRow;
  };
  /**
   * The default text search (the salon-lens-text engine: `search` with the default mode
   * and scoring) vs raw hnswlib-node on the same graph, per ef; its recall is against
   * its own exact answers, raw hnswlib's against exact cosine.
   */
  textOverhead?: { baseline: string; rounds: number; rows: OverheadRow[] };
  /** salon-lens RSS delta / a bare HNSW graph's RSS delta (same data, same process). */
  memory?: { engine: string; bytes: number; bareHnswBytes: number; ratio: number };
  /** salon-lens build (addSalons, incl. save) / raw hnswlib build, when both were built. */
  buildOverhead?: { total: number; indexStage?: number };
  /** p50 latency and QPS of each sweeping engine at equal recall (interpolated on the sweep). */
  equalRecall: Array<{
    target: number;
    at: Record<string, { p50Ms: number; qps: number; ef: number } | undefined>;
  }>;
  goals: string[];
}

const passes = (list: PassFigures[][], key: keyof PassFigures) =>
  summarize(list.flat().map((p) => p[key]));

function sweepSummary(points: Array<{ ef: number; recall: number; passes: PassFigures[] }>) {
  return points.map((p) => ({
    ef: p.ef,
    recall: p.recall,
    p50Ms: passes([p.passes], 'p50Ms'),
    p99Ms: passes([p.passes], 'p99Ms'),
    qps: passes([p.passes], 'qps'),
  }));
}

export function summarizeEngine(engine: string, results: WorkerResult[]): EngineSummary {
  const first = results[0] as WorkerResult;
  const stageNames = Object.keys(first.stages ?? {});
  const modes: ModeSummary[] = first.modes.map((m, i) => {
    const runs = results.map((r) => r.modes[i]).filter((x) => x !== undefined);
    const list = runs.map((r) => r.passes);
    return {
      mode: m.mode.name,
      filter: m.mode.filter,
      queries: m.queries,
      recall: Math.min(...runs.map((r) => r.recall)),
      p50Ms: passes(list, 'p50Ms'),
      p99Ms: passes(list, 'p99Ms'),
      qps: passes(list, 'qps'),
    };
  });
  const withSweep = results.find((r) => r.sweep.length > 0);
  return {
    engine,
    repeats: results.length,
    buildMs: summarize(results.map((r) => r.buildMs)),
    ...(stageNames.length
      ? {
          stagesMs: Object.fromEntries(
            stageNames.map((s) => [s, summarize(results.map((r) => r.stages?.[s] ?? Number.NaN))]),
          ),
        }
      : {}),
    rssDeltaBytes: summarize(results.map((r) => r.memory.rssDelta)),
    maxRssBytes: summarize(results.map((r) => r.memory.maxRss)),
    ...(first.disk ? { diskBytes: first.disk.total, diskFiles: first.disk.files } : {}),
    modes,
    sweep: sweepSummary(withSweep?.sweep ?? []),
    ...(first.extra ? { extra: first.extra } : {}),
  };
}

/**
 * Median p50 latency and QPS where the recall curve first reaches `target`, linearly
 * interpolated between the two ef points around it.
 */
export function atRecall(
  sweep: readonly SweepSummary[],
  target: number,
): { p50Ms: number; qps: number; ef: number } | undefined {
  for (let i = 0; i < sweep.length; i++) {
    const p = sweep[i] as SweepSummary;
    if (p.recall < target) continue;
    const prev = sweep[i - 1];
    if (!prev || prev.recall >= p.recall)
      return { p50Ms: p.p50Ms.median, qps: p.qps.median, ef: p.ef };
    const t = (target - prev.recall) / (p.recall - prev.recall);
    const lerp = (a: number, b: number) => a + t * (b - a);
    return {
      p50Ms: lerp(prev.p50Ms.median, p.p50Ms.median),
      qps: lerp(prev.qps.median, p.qps.median),
      ef: p.ef,
    };
  }
  return undefined;
}

function overheadRows(sweep: readonly SweepPoint[]): OverheadRow[] {
  return sweep.flatMap((p) => {
    const b = p.baseline;
    if (!b) return [];
    const ratio = (key: 'p50Ms' | 'p99Ms') =>
      median(p.passes.map((x, i) => x[key] / (b.passes[i]?.[key] ?? Number.NaN)));
    return [
      {
        ef: p.ef,
        recall: p.recall,
        baselineRecall: b.recall,
        p50Ms: median(p.passes.map((x) => x.p50Ms)),
        baselineP50Ms: median(b.passes.map((x) => x.p50Ms)),
        p99Ms: median(p.passes.map((x) => x.p99Ms)),
        baselineP99Ms: median(b.passes.map((x) => x.p99Ms)),
        p50Ratio: ratio('p50Ms'),
        p99Ratio: ratio('p99Ms'),
      },
    ];
  });
}

export function summarizeSize(
  n: number,
  byEngine: Map<string, WorkerResult[]>,
  opts: { defaultEf: number; targets: number[] },
): SizeSummary {
  const done = [...byEngine].filter(([, r]) => r.length > 0);
  const engines = done.map(([e, r]) => summarizeEngine(e, r));
  const get = (e: string) => engines.find((x) => x.engine === e);
  const lens = get('salon-lens');
  const raw = get('hnswlib');
  const lensRuns = byEngine.get('salon-lens') ?? [];
  const paired = lensRuns.find((r) => r.baseline && r.sweep.length > 0);

  let overhead: SizeSummary['overhead'];
  const sweepers: Array<{ name: string; sweep: SweepSummary[] }> = engines
    .filter((e) => e.sweep.length > 0)
    .map((e) => ({ name: e.engine, sweep: e.sweep }));
  if (paired?.baseline) {
    const rows = overheadRows(paired.sweep);
    overhead = {
      engine: 'salon-lens',
      baseline: paired.baseline,
      rounds: paired.sweep[0]?.passes.length ?? 0,
      rows,
      atTarget: rows.find((r) => r.baselineRecall >= OVERHEAD_RECALL),
    };
    sweepers.splice(1, 0, {
      name: paired.baseline,
      sweep: sweepSummary(
        paired.sweep.flatMap((p) => (p.baseline ? [{ ef: p.ef, ...p.baseline }] : [])),
      ),
    });
  }
  const textPaired = (byEngine.get('salon-lens-text') ?? []).find(
    (r) => r.baseline && r.sweep.length > 0,
  );
  const textOverhead: SizeSummary['textOverhead'] = textPaired?.baseline
    ? {
        baseline: textPaired.baseline,
        rounds: textPaired.sweep[0]?.passes.length ?? 0,
        rows: overheadRows(textPaired.sweep),
      }
    : undefined;
  const equalRecall = opts.targets.map((target) => ({
    target,
    at: Object.fromEntries(sweepers.map((e) => [e.name, atRecall(e.sweep, target)])),
  }));

  let memory: SizeSummary['memory'];
  const bare = median(lensRuns.flatMap((r) => r.memory.baselineRssDelta ?? []));
  if (lens && Number.isFinite(bare) && bare > 0) {
    const bytes = lens.rssDeltaBytes.median;
    memory = { engine: 'salon-lens', bytes, bareHnswBytes: bare, ratio: bytes / bare };
  }

  const goals: string[] = [];
  const count = n.toLocaleString('en-US');
  const plain = lens?.modes.find((m) => m.filter === 'none' && !m.mode.includes('exact'));
  if (plain) {
    const ok = plain.recall >= 0.98;
    // The ef the modes ran at: the lens's default for this size, the stored ef grown
    // with the store past 100k items. (LensInfo reports the ef after the sweep's setEf.)
    const ef = effectiveEf(opts.defaultEf, n);
    goals.push(
      `recall@10 at the default ef (${ef} for this size) on ${count}: ${plain.recall.toFixed(4)} — goal ≥ 0.98 ${ok ? 'MET' : 'NOT MET'}`,
    );
  }
  const t = overhead?.atTarget;
  if (overhead && t) {
    const ok = t.p50Ratio <= OVERHEAD_GOAL;
    goals.push(
      `query time vs ${overhead.baseline} at ef ${t.ef} (smallest swept ef with raw recall@10 ≥ ${OVERHEAD_RECALL}: ${t.baselineRecall.toFixed(4)}): p50 ${t.p50Ratio.toFixed(2)}×, p99 ${t.p99Ratio.toFixed(2)}× (median of ${overhead.rounds} paired rounds) — goal p50 ≤ ${OVERHEAD_GOAL}× ${ok ? 'MET' : 'NOT MET'}`,
    );
  } else if (overhead) {
    goals.push(`no swept ef reaches raw recall@10 ≥ ${OVERHEAD_RECALL} on ${count}`);
  }
  if (textOverhead && textOverhead.rows.length > 0) {
    // Equal recall: the rows where the text search keeps as much of its own exact answers
    // as raw hnswlib keeps of exact cosine (the fused ranking re-ranks the walk's k hits).
    const equal = textOverhead.rows.filter((r) => Math.abs(r.recall - r.baselineRecall) < 1e-9);
    const within = equal.filter((r) => r.p50Ratio <= OVERHEAD_GOAL).map((r) => r.ef);
    goals.push(
      `default text search vs ${textOverhead.baseline} at equal recall (${equal.length} of ${textOverhead.rows.length} swept ef): p50 ${equal.map((r) => `${r.p50Ratio.toFixed(2)}× at ef ${r.ef}`).join(', ')} — goal p50 ≤ ${OVERHEAD_GOAL}× ${within.length === equal.length && equal.length > 0 ? 'MET' : within.length > 0 ? `MET at ef ${within.join(', ')} only` : 'NOT MET'}`,
    );
  }
  if (memory) {
    goals.push(
      `memory: salon-lens RSS Δ ${fmt(mib(memory.bytes))} MiB = ${memory.ratio.toFixed(2)}× a bare HNSW graph of the same data (${fmt(mib(memory.bareHnswBytes))} MiB) — goal ≤ ${MEMORY_GOAL}× ${memory.ratio <= MEMORY_GOAL ? 'MET' : 'NOT MET'}`,
    );
  }
  let buildOverhead: SizeSummary['buildOverhead'];
  if (lens && raw) {
    const idx = lens.stagesMs?.index?.median;
    buildOverhead = {
      total: lens.buildMs.median / raw.buildMs.median,
      ...(idx ? { indexStage: idx / raw.buildMs.median } : {}),
    };
  }
  return {
    n,
    engines,
    ...(overhead ? { overhead } : {}),
    ...(textOverhead ? { textOverhead } : {}),
    ...(memory ? { memory } : {}),
    ...(buildOverhead ? { buildOverhead } : {}),
    equalRecall,
    goals,
  };
}

export function renderSize(
  s: SizeSummary,
  describe: { dataset: string; selectivity: Record<string, number> },
): string {
  const out: string[] = [];
  const n = s.n.toLocaleString('en-US');
  out.push(`### ANN: ${n} vectors, ${describe.dataset}`);
  out.push('');
  out.push(
    'Build: median (min) over builds. Query figures at the default ef: median over all passes; p50/p99 per query, single thread, k = 10.',
  );
  out.push('');
  const rows: string[][] = [];
  for (const e of s.engines) {
    for (const m of e.modes.filter((x) => x.filter === 'none')) {
      const exact = m.mode.includes('exact');
      rows.push([
        exact ? `${engineLabel(e.engine)}, exact: true` : engineLabel(e.engine),
        exact ? '(same store)' : `${fmt(e.buildMs.median / 1000)} (${fmt(e.buildMs.min / 1000)})`,
        exact ? '' : fmt(mib(e.rssDeltaBytes.median)),
        exact ? '' : e.diskBytes === undefined ? 'in memory' : fmt(mib(e.diskBytes)),
        fmt(m.p50Ms.median),
        fmt(m.p99Ms.median),
        fmt(m.qps.median),
        m.recall.toFixed(4),
        String(m.queries),
      ]);
    }
  }
  if (s.memory) {
    rows.push([
      'hnswlib-node, the lens graph loaded bare',
      '(same graph)',
      fmt(mib(s.memory.bareHnswBytes)),
      '',
      '',
      '',
      '',
      '',
      '',
    ]);
  }
  out.push(
    markdownTable(
      [
        'engine',
        'build s',
        'RSS Δ MiB',
        'disk MiB',
        'p50 ms',
        'p99 ms',
        'QPS',
        'recall@10',
        'queries',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const lens = s.engines.find((e) => e.engine === 'salon-lens');
  if (lens?.stagesMs) {
    const parts = Object.entries(lens.stagesMs).map(([k, v]) => `${k} ${fmt(v.median / 1000)} s`);
    out.push('');
    out.push(`salon-lens build stages (median): ${parts.join(', ')}.`);
  }
  if (s.buildOverhead) {
    out.push(
      `Build time vs raw hnswlib: addSalons total ${s.buildOverhead.total.toFixed(2)}×` +
        (s.buildOverhead.indexStage
          ? `, its insert stage ${s.buildOverhead.indexStage.toFixed(2)}×.`
          : '.'),
    );
  }

  const filtered: string[][] = [];
  for (const e of s.engines) {
    for (const m of e.modes.filter((x) => x.filter !== 'none')) {
      filtered.push([
        engineLabel(e.engine),
        `${m.mode} (${(100 * (describe.selectivity[m.filter] ?? 0)).toPrecision(2)}%)`,
        fmt(m.p50Ms.median),
        fmt(m.p99Ms.median),
        fmt(m.qps.median),
        m.recall.toFixed(4),
      ]);
    }
  }
  if (filtered.length) {
    out.push('');
    out.push('Filtered queries (share of items matching):');
    out.push('');
    out.push(
      markdownTable(['engine', 'filter', 'p50 ms', 'p99 ms', 'QPS', 'recall@10'], filtered, [
        'l',
        'l',
        'r',
        'r',
        'r',
        'r',
      ]),
    );
  }

  if (s.overhead) {
    const o = s.overhead;
    out.push('');
    out.push(
      `Wrapper overhead: salon-lens \`searchVector\` vs ${o.baseline} (raw hnswlib-node reading the graph file the lens saved), each query run on both back to back, order alternating; median of ${o.rounds} rounds over the sweep:`,
    );
    out.push('');
    out.push(overheadTable(o.rows, 'lens', o.atTarget?.ef));
  }
  if (s.textOverhead) {
    const o = s.textOverhead;
    out.push('');
    out.push(
      `Default text search: salon-lens \`search\` (default mode and scoring, a custom embedder mapping the text to its row) vs ${o.baseline}, paired the same way; its recall is against its own exact answers (\`exact: true\`); median of ${o.rounds} rounds over the sweep:`,
    );
    out.push('');
    out.push(overheadTable(o.rows, 'search'));
  }

  const names = Object.keys(s.equalRecall[0]?.at ?? {});
  const sweepers = s.engines.filter((e) => e.sweep.length > 0);
  if (sweepers.length) {
    const efs = [...new Set(sweepers.flatMap((e) => e.sweep.map((p) => p.ef)))].sort(
      (a, b) => a - b,
    );
    out.push('');
    out.push('ef sweep per engine (recall@10 / median p50 ms over rounds):');
    out.push('');
    out.push(
      markdownTable(
        ['ef', ...sweepers.map((e) => engineLabel(e.engine))],
        efs.map((ef) => [
          String(ef),
          ...sweepers.map((e) => {
            const p = e.sweep.find((x) => x.ef === ef);
            return p ? `${p.recall.toFixed(4)} / ${fmt(p.p50Ms.median)}` : '';
          }),
        ]),
        ['r', ...sweepers.map(() => 'r' as const)],
      ),
    );
  }
  if (names.length) {
    out.push('');
    out.push(
      'At equal recall@10 (interpolated on the median sweep): p50 ms / QPS, and the ef reaching it:',
    );
    out.push('');
    out.push(
      markdownTable(
        ['recall@10', ...names.map(engineLabel)],
        s.equalRecall.map((er) => [
          String(er.target),
          ...names.map((name) => {
            const v = er.at[name];
            return v ? `${fmt(v.p50Ms)} ms / ${fmt(v.qps)} (ef ≤ ${v.ef})` : 'not reached';
          }),
        ]),
        ['r', ...names.map(() => 'r' as const)],
      ),
    );
  }
  if (s.goals.length) {
    out.push('');
    for (const g of s.goals) out.push(`- ${g}`);
  }
  return out.join('\n');
}

/** Paired p50 / p99 of an engine against its baseline, one row per swept ef. */
function overheadTable(rows: readonly OverheadRow[], engine: string, boldEf?: number): string {
  return markdownTable(
    [
      'ef',
      'raw recall@10',
      `${engine} recall@10`,
      'raw p50 ms',
      `${engine} p50 ms`,
      'p50 ratio',
      'raw p99 ms',
      `${engine} p99 ms`,
      'p99 ratio',
    ],
    rows.map((r) => [
      r.ef === boldEf ? `**${r.ef}**` : String(r.ef),
      r.baselineRecall.toFixed(4),
      r.recall.toFixed(4),
      fmt(r.baselineP50Ms),
      fmt(r.p50Ms),
      `${r.p50Ratio.toFixed(2)}×`,
      fmt(r.baselineP99Ms),
      fmt(r.p99Ms),
      `${r.p99Ratio.toFixed(2)}×`,
    ]),
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
