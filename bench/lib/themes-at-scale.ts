/**
 * `bench:cluster-scale -- --items 12000,100000`: clusterThemes with its defaults
 * (k:'auto') on synthetic 512-dim vectors (theme-vectors.ts), one fresh process per
 * size so each peak RSS is its own. Prints wall and CPU time, time per phase, peak RSS
 * (and the RSS the input alone took), k, and NMI against the planted topics; writes
 * bench/results/themes-at-scale-<sizes>.json. The vectors are synthetic, not embedded: the
 * point is time and memory of the themes stage at archive sizes.
 */
import { spawnSync } from 'node:child_process';
import { clusterThemes, normalizedMutualInfo } from '../../src/cluster/index.js';
import { describeMachine, machineInfo } from './machine.js';
import { REPO_ROOT, writeResults } from './results.js';
import { fmt, markdownTable } from './table.js';
import { plantedThemes } from './theme-vectors.js';

interface SizeResult {
  items: number;
  k: number;
  themes: number;
  sampleSize: number | null;
  wallSeconds: number;
  cpuSeconds: number;
  /** Seconds from each progress phase's first event to the next phase's. */
  phases: Record<string, number>;
  inputRssMiB: number;
  peakRssMiB: number;
  nmiVsPlanted: number;
  salonNmi: number;
}

/** In the child: generate, cluster once, print one JSON line. */
function measureOne(items: number): SizeResult {
  const { input, topics } = plantedThemes({ items, seed: 1 });
  global.gc?.();
  const inputRssMiB = process.memoryUsage().rss / 2 ** 20;
  const phases: Record<string, number> = {};
  let phase = '';
  let phaseStart = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { result } = clusterThemes(input, {
    onProgress: (p) => {
      if (p.phase === phase) return;
      const now = performance.now();
      if (phase) phases[phase] = (now - phaseStart) / 1000;
      phase = p.phase;
      phaseStart = now;
    },
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (phase) phases[phase] = (performance.now() - phaseStart) / 1000;
  const cpu = process.cpuUsage(c0);
  const themeOf = input.items.map((item) => result.assignments[item.id] ?? '(unassigned)');
  return {
    items: input.items.length,
    k: result.k,
    themes: result.themes.length,
    sampleSize: result.kSelection.sampleSize ?? null,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    phases,
    inputRssMiB,
    // resourceUsage().maxRSS is in KiB.
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    nmiVsPlanted: normalizedMutualInfo(topics, themeOf),
    salonNmi: normalizedMutualInfo(
      input.items.map((item) => item.salonId),
      themeOf,
    ),
  };
}

export async function themesAtScale(argv: readonly string[]): Promise<void> {
  const one = argv.indexOf('--one');
  if (one >= 0) {
    process.stdout.write(`${JSON.stringify(measureOne(Number(argv[one + 1])))}\n`);
    return;
  }
  const sizes = (argv[argv.indexOf('--items') + 1] ?? '12000,100000').split(',').map(Number);
  const machine = machineInfo();
  const rows: SizeResult[] = [];
  for (const items of sizes) {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'bench/cluster-scale.ts', '--one', String(items)],
      { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (child.status !== 0) throw new Error(`${items} items failed:\n${child.stderr}`);
    const row = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as SizeResult;
    rows.push(row);
    process.stderr.write(`${items} items: ${row.wallSeconds.toFixed(1)} s\n`);
  }
  const table = markdownTable(
    [
      'items',
      'k',
      'wall s',
      'CPU s',
      'phases (s)',
      'input RSS MiB',
      'peak RSS MiB',
      'NMI vs planted',
    ],
    rows.map((r) => [
      String(r.items),
      String(r.k),
      fmt(r.wallSeconds),
      fmt(r.cpuSeconds),
      Object.entries(r.phases)
        .map(([p, s]) => `${p} ${s.toFixed(1)}`)
        .join(', '),
      fmt(r.inputRssMiB),
      fmt(r.peakRssMiB),
      r.nmiVsPlanted.toFixed(3),
    ]),
    ['r', 'r', 'r', 'r', 'l', 'r', 'r', 'r'],
  );
  const note =
    'synthetic 512-dim unit vectors around planted topics (bench/lib/theme-vectors.ts), not embedded text; clusterThemes defaults, one process per size';
  process.stdout.write(
    `## Themes at archive scale\n\n${describeMachine(machine)}; ${note}\n\n${table}\n`,
  );
  const file = await writeResults(`themes-at-scale-${sizes.join('-')}`, { machine, note, rows });
  process.stdout.write(`\nwrote ${file}\n`);
}
