/**
 * `npm run bench`: runs the sub-benches one after another (never in parallel: they
 * would share the cores they measure), streams their Markdown to stdout, and writes
 * bench/results/run.json with each one's status, duration and result file.
 *
 *   npm run bench                      # quick: ann at 10k (lens vs raw hnswlib vs usearch), embed, load at 20k (target ≤ 10 min)
 *   npm run bench -- --full            # every bench at full size: + e2e, quality, all ANN engines × 3 builds, load at 200k (~2 h)
 *   npm run bench -- --large           # ann also at 1M (> 15 min, ~5 GB)
 *   npm run bench -- --only ann,e2e
 *
 * Each sub-bench also runs alone: npm run bench:embed | bench:ann | bench:e2e | bench:quality |
 * bench:load.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';
import { fmt, markdownTable } from './lib/table.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    skip: { type: 'string' },
    large: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
  },
});

/** In run order; `load` is bench/load.ts (the store at 200k items, by the index stage). */
const BENCHES = ['embed', 'ann', 'e2e', 'quality', 'load'] as const;
type BenchName = (typeof BENCHES)[number];
/** The default run: the ones that fit in ~10 minutes on 2 shared cores. */
const QUICK: readonly BenchName[] = ['ann', 'embed', 'load'];
const quick = !args.full;

/** Arguments per sub-bench; the quick run trims grids and sizes, not the repeats (still ≥ 3). */
function argsFor(name: BenchName): string[] {
  switch (name) {
    case 'embed':
      // Quick runs write their own files, so they never replace the full runs' results.
      return quick ? ['--batches', '1,32', '--workers', '1', '--name', 'embed-quick'] : [];
    case 'ann':
      // 100k (one salon-lens and one usearch build, sweeps of 3 rounds) took most of an
      // hour on this box: `npm run bench:ann` alone or --full run it.
      return [
        ...(quick ? ['--sizes', '10000', '--name', 'ann-quick'] : ['--full']),
        ...(args.large ? ['--large'] : []),
      ];
    case 'load':
      return quick ? ['--salons', '200', '--no-cluster'] : [];
    default:
      return [];
  }
}

/** The result file a sub-bench writes with argsFor(name). */
function resultName(name: BenchName): string {
  if (!quick) return name;
  return name === 'load' ? 'load-20k' : name === 'embed' || name === 'ann' ? `${name}-quick` : name;
}

function runBench(name: BenchName): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // --expose-gc: load.ts (and any bench) may collect garbage before reading memory.
      [
        '--expose-gc',
        '--import',
        'tsx',
        path.join(REPO_ROOT, `bench/${name}.ts`),
        ...argsFor(name),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  });
}

async function main() {
  const list = (args.only ? args.only.split(',') : quick ? [...QUICK] : [...BENCHES]).filter(
    (b): b is BenchName =>
      (BENCHES as readonly string[]).includes(b) && !args.skip?.split(',').includes(b),
  );
  const machine = machineInfo();
  console.log(`# salon-lens benchmarks\n\nMachine: ${describeMachine(machine)}.\n`);
  const rows: Array<{
    bench: BenchName;
    exitCode: number | null;
    seconds: number;
    results: string;
  }> = [];
  for (const name of list) {
    if (name === 'e2e' && !existsSync(path.join(REPO_ROOT, 'dist/cli.js'))) {
      console.log('e2e skipped: dist/cli.js is missing (run `npm run build`).\n');
      continue;
    }
    process.stderr.write(`\n=== bench:${name} ${argsFor(name).join(' ')}\n`);
    const t0 = performance.now();
    const exitCode = await runBench(name);
    rows.push({
      bench: name,
      exitCode,
      seconds: (performance.now() - t0) / 1000,
      results: `bench/results/${resultName(name)}.json`,
    });
    console.log('');
  }
  console.log('## Bench runs\n');
  console.log(
    markdownTable(
      ['bench', 'status', 'seconds', 'results'],
      rows.map((r) => [
        r.bench,
        r.exitCode === 0 ? 'ok' : `failed (${r.exitCode})`,
        fmt(r.seconds),
        r.results,
      ]),
      ['l', 'l', 'r', 'l'],
    ),
  );
  const file = await writeResults('run', {
    bench: 'run',
    machine,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    runs: rows,
    machineAtEnd: machineInfo(),
  });
  process.stderr.write(`wrote ${file}\n`);
  if (rows.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

await main();
