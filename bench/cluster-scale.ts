/**
 * clusterThemes at its default sizes above linkageMaxItems (moved out of
 * test/cluster-scale.test.ts, which checks the same behaviour on 800-1,000 items with
 * lowered limits): 4,000 items with k:'auto' (the default band, sample 2,000),
 * 4,000 items with kRange [2, 8], and 20,000 items with a fixed k. Each case checks
 * its answer (k-means fallback said, themes not mixing the generated groups, same
 * result in reverse order) and records the time, median of `--repeats` runs.
 *
 *   npm run bench:cluster-scale                # 3 repeats
 *   npm run bench:cluster-scale -- --repeats 1
 *   npm run bench:cluster-scale -- --items 12000,100000   # themes at archive sizes
 *
 * Writes bench/results/cluster-scale.json. Exits non-zero when an answer is wrong.
 */
import { performance } from 'node:perf_hooks';
import { clusterThemes, type ThemeInput } from '../src/cluster/index.js';
import { groupOf, manySalons } from '../test/helpers/cluster-fixtures.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { summarize } from './lib/stats.js';
import { fmt, markdownTable } from './lib/table.js';
import { themesAtScale } from './lib/themes-at-scale.js';

// Themes at archive sizes (12,000 and 100,000 items), time and peak memory: see themes-at-scale.ts.
if (process.argv.includes('--items') || process.argv.includes('--one')) {
  await themesAtScale(process.argv);
  process.exit(process.exitCode ?? 0);
}

const at = process.argv.indexOf('--repeats');
const repeats = at >= 0 ? Number(process.argv[at + 1]) : 3;

function reversed(input: ThemeInput): ThemeInput {
  const order = input.items.map((_, i) => i).reverse();
  return {
    ...input,
    items: order.map((i) => input.items[i] as ThemeInput['items'][number]),
    vectors: order.map((i) => input.vectors[i] as Float32Array),
  };
}

interface Case {
  name: string;
  input: ThemeInput;
  options: Parameters<typeof clusterThemes>[1];
  /** Also run on the reversed input and require the identical result. */
  orderCheck: boolean;
  expectK?: number;
}

const cases: Case[] = [
  {
    name: "4,000 items, k:'auto'",
    input: manySalons(100, 10, 3),
    options: {},
    orderCheck: true,
  },
  {
    name: '4,000 items, kRange [2, 8]',
    input: manySalons(100, 10, 5),
    options: { kRange: [2, 8] },
    orderCheck: false,
    expectK: 4,
  },
  {
    name: '20,000 items, k 12, 2 restarts',
    input: manySalons(500, 10, 9),
    options: { k: 12, restarts: 2 },
    orderCheck: false,
  },
];

const failures: string[] = [];
const rows: Array<Record<string, unknown>> = [];
for (const c of cases) {
  const times: number[] = [];
  let result: ReturnType<typeof clusterThemes>['result'] | undefined;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const out = clusterThemes(c.input, c.options);
    times.push(performance.now() - t0);
    result = out.result;
    if (r === 0 && c.orderCheck) {
      const again = clusterThemes(reversed(c.input), c.options);
      if (JSON.stringify(again) !== JSON.stringify(out))
        failures.push(`${c.name}: order changed the result`);
    }
  }
  if (!result) continue;
  const group = groupOf(c.input);
  const mixed = result.themes.filter(
    (t) => new Set(t.itemIds.map((id) => group.get(id))).size > 1,
  ).length;
  const n = c.input.items.length;
  if (result.method !== 'kmeans') failures.push(`${c.name}: method ${result.method}`);
  if (!result.fallback?.reason.startsWith(`${n} items > linkageMaxItems`))
    failures.push(`${c.name}: fallback not said`);
  if (mixed > 0) failures.push(`${c.name}: ${mixed} themes mix groups`);
  if (c.expectK !== undefined && result.k !== c.expectK)
    failures.push(`${c.name}: k ${result.k}, expected ${c.expectK}`);
  if (Object.keys(result.assignments).length + result.unassigned.length !== n)
    failures.push(`${c.name}: not every item assigned or unassigned`);
  rows.push({
    case: c.name,
    items: n,
    k: result.k,
    sampleSize: result.kSelection.sampleSize,
    mixedThemes: mixed,
    ms: summarize(times),
  });
}

const machine = machineInfo();
const table = markdownTable(
  ['case', 'k', 'sample', 'mixed themes', 'time ms (median)', 'min', 'max'],
  rows.map((r) => {
    const ms = r.ms as ReturnType<typeof summarize>;
    return [
      String(r.case),
      String(r.k),
      String(r.sampleSize),
      String(r.mixedThemes),
      fmt(ms.median),
      fmt(ms.min),
      fmt(ms.max),
    ];
  }),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
);
process.stdout.write(
  `## clusterThemes above linkageMaxItems\n\n${describeMachine(machine)}; ${repeats} repeats\n\n${table}\n`,
);
const file = await writeResults('cluster-scale', { machine, repeats, rows, failures });
process.stdout.write(`\nwrote ${file}\n`);
if (failures.length > 0) {
  process.stderr.write(`${failures.join('\n')}\n`);
  process.exitCode = 1;
}
