/**
 * Turns the ANN workers' raw results into figures (min / median / max over repeats
 * and passes), the overhead and equal-recall ratios, goal checks, and Markdown.
 *
 *   const summary = summarizeSize(n, results, { defaultEf: 128 });
 *   console.log(renderSize(summary, ds));
 */
import type { EngineName } from './ann-engine.js';
import type { PassFigures, WorkerResult } from './ann-worker.js';
import { type Summary, summarize } from './stats.js';
import { fmt, markdownTable, mib } from './table.js';

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

export interface EngineSummary {
  engine: EngineName;
  repeats: number;
  buildMs: Summary;
  stagesMs?: Record<string, Summary>;
  rssDeltaBytes: Summary;
  maxRssBytes: Summary;
  diskBytes?: number;
  diskFiles?: Record<string, number>;
  modes: ModeSummary[];
  sweep: Array<{ ef: number; recall: number; qps: Summary; p50Ms: Summary }>;
  extra?: Record<string, unknown>;
}

export interface SizeSummary {
  n: number;
  engines: EngineSummary[];
  /** salon-lens time / raw hnswlib time per query mode (median QPS ratio), goal ≤ 1.15. */
  overhead: Array<{ mode: string; ratio: number }>;
  /** salon-lens build (addSalons, incl. save) / raw hnswlib build. */
  buildOverhead?: { total: number; indexStage?: number };
  /** QPS of each sweepable engine at equal recall (interpolated on the ef sweep). */
  equalRecall: Array<{
    target: number;
    qps: Record<string, { qps: number; ef: number } | undefined>;
  }>;
  goals: string[];
}

const passes = (list: PassFigures[][], key: keyof PassFigures) =>
  summarize(list.flat().map((p) => p[key]));

export function summarizeEngine(engine: EngineName, results: WorkerResult[]): EngineSummary {
  const first = results[0] as WorkerResult;
  const stageNames = Object.keys(first.stages ?? {});
  const modes: ModeSummary[] = first.modes.map((m, i) => {
    const runs = results.map((r) => r.modes[i]).filter((x) => x !== undefined);
    return {
      mode: m.mode.name,
      filter: m.mode.filter,
      queries: m.queries,
      recall: Math.min(...runs.map((r) => r.recall)),
      p50Ms: passes(
        runs.map((r) => r.passes),
        'p50Ms',
      ),
      p99Ms: passes(
        runs.map((r) => r.passes),
        'p99Ms',
      ),
      qps: passes(
        runs.map((r) => r.passes),
        'qps',
      ),
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
    sweep: (withSweep?.sweep ?? []).map((p) => ({
      ef: p.ef,
      recall: p.recall,
      qps: summarize(p.passes.map((x) => x.qps)),
      p50Ms: summarize(p.passes.map((x) => x.p50Ms)),
    })),
    ...(first.extra ? { extra: first.extra } : {}),
  };
}

/** QPS where the recall curve first reaches `target`, linearly interpolated between ef points. */
export function qpsAtRecall(
  sweep: EngineSummary['sweep'],
  target: number,
): { qps: number; ef: number } | undefined {
  for (let i = 0; i < sweep.length; i++) {
    const p = sweep[i] as EngineSummary['sweep'][number];
    if (p.recall < target) continue;
    const prev = sweep[i - 1];
    if (!prev || prev.recall >= p.recall) return { qps: p.qps.median, ef: p.ef };
    const t = (target - prev.recall) / (p.recall - prev.recall);
    return { qps: prev.qps.median + t * (p.qps.median - prev.qps.median), ef: p.ef };
  }
  return undefined;
}

export function summarizeSize(
  n: number,
  byEngine: Map<EngineName, WorkerResult[]>,
  opts: { defaultEf: number; targets: number[] },
): SizeSummary {
  const engines = [...byEngine]
    .filter(([, r]) => r.length > 0)
    .map(([e, r]) => summarizeEngine(e, r));
  const get = (e: EngineName) => engines.find((x) => x.engine === e);
  const lens = get('salon-lens');
  const raw = get('hnswlib');
  const overhead: SizeSummary['overhead'] = [];
  if (lens && raw) {
    for (const m of raw.modes) {
      const l = lens.modes.find((x) => x.mode === m.mode);
      if (l) overhead.push({ mode: m.mode, ratio: m.qps.median / l.qps.median });
    }
  }
  const sweepers = engines.filter((e) => e.sweep.length > 0);
  const equalRecall = opts.targets.map((target) => ({
    target,
    qps: Object.fromEntries(sweepers.map((e) => [e.engine, qpsAtRecall(e.sweep, target)])),
  }));

  const goals: string[] = [];
  const plain = lens?.modes.find((m) => m.filter === 'none' && !m.mode.includes('exact'));
  if (plain) {
    const ok = plain.recall >= 0.98;
    let line = `recall@10 at the default ef (${opts.defaultEf}) on ${n.toLocaleString('en-US')}: ${plain.recall.toFixed(4)} — goal ≥ 0.98 ${ok ? 'MET' : 'NOT MET'}`;
    if (!ok) {
      const enough = lens?.sweep.find((p) => p.recall >= 0.98);
      line += enough
        ? `; the smallest swept ef reaching it is ${enough.ef} (recall ${enough.recall.toFixed(4)})`
        : '; no swept ef reaches it';
    }
    goals.push(line);
  }
  const o = overhead.find((x) => x.mode === 'no filter');
  if (o) {
    goals.push(
      `salon-lens / raw hnswlib query time (no filter): ${o.ratio.toFixed(2)}× — goal ≤ 1.15× ${o.ratio <= 1.15 ? 'MET' : 'NOT MET'}`,
    );
  }
  for (const er of equalRecall) {
    const l = er.qps['salon-lens'];
    const u = er.qps.usearch;
    if (!l || !u) continue;
    const ratio = l.qps / u.qps;
    goals.push(
      `QPS at recall@10 = ${er.target}: salon-lens ${fmt(l.qps)} vs usearch ${fmt(u.qps)} (${ratio.toFixed(2)}×) — goal ≥ 1× ${ratio >= 1 ? 'MET' : 'NOT MET'}`,
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
  return { n, engines, overhead, ...(buildOverhead ? { buildOverhead } : {}), equalRecall, goals };
}

const LABEL: Record<EngineName, string> = {
  'salon-lens': 'salon-lens (public API)',
  hnswlib: 'hnswlib-node HNSW (raw)',
  bruteforce: 'hnswlib-node BruteforceSearch',
  usearch: 'usearch',
  vectra: 'vectra LocalIndex',
  orama: '@orama/orama',
};

export function renderSize(
  s: SizeSummary,
  describe: { dataset: string; selectivity: Record<string, number> },
): string {
  const out: string[] = [];
  const n = s.n.toLocaleString('en-US');
  out.push(`### ANN: ${n} vectors, ${describe.dataset}`);
  out.push('');
  out.push(
    'Build: median (min) over repeats. Query figures: median over all passes; p50/p99 per query, single thread, k = 10.',
  );
  out.push('');
  const rows: string[][] = [];
  for (const e of s.engines) {
    for (const m of e.modes.filter((x) => x.filter === 'none')) {
      const exact = m.mode.includes('exact');
      rows.push([
        exact ? `${LABEL[e.engine]}, exact: true` : LABEL[e.engine],
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
        LABEL[e.engine],
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
  if (s.overhead.length) {
    out.push('');
    out.push(
      `salon-lens / raw hnswlib query time: ${s.overhead.map((o) => `${o.mode} ${o.ratio.toFixed(2)}×`).join(', ')}.`,
    );
  }

  const sweepers = s.engines.filter((e) => e.sweep.length > 0);
  if (sweepers.length) {
    const efs = [...new Set(sweepers.flatMap((e) => e.sweep.map((p) => p.ef)))].sort(
      (a, b) => a - b,
    );
    out.push('');
    out.push('ef sweep (recall@10 / median QPS):');
    out.push('');
    out.push(
      markdownTable(
        ['ef', ...sweepers.map((e) => LABEL[e.engine])],
        efs.map((ef) => [
          String(ef),
          ...sweepers.map((e) => {
            const p = e.sweep.find((x) => x.ef === ef);
            return p ? `${p.recall.toFixed(4)} / ${fmt(p.qps.median)}` : '';
          }),
        ]),
        ['r', ...sweepers.map(() => 'r' as const)],
      ),
    );
    out.push('');
    out.push('QPS at equal recall@10 (interpolated on the sweep):');
    out.push('');
    out.push(
      markdownTable(
        ['recall@10', ...sweepers.map((e) => LABEL[e.engine])],
        s.equalRecall.map((er) => [
          String(er.target),
          ...sweepers.map((e) => {
            const v = er.qps[e.engine];
            return v ? `${fmt(v.qps)} (ef ≤ ${v.ef})` : 'not reached';
          }),
        ]),
        ['r', ...sweepers.map(() => 'r' as const)],
      ),
    );
  }
  if (s.goals.length) {
    out.push('');
    for (const g of s.goals) out.push(`- ${g}`);
  }
  return out.join('\n');
}
