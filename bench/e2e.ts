/**
 * End-to-end bench of the built CLI (`dist/cli.js`): a cold run on a fresh store and a
 * warm run on the same store with nothing changed, on `examples/salons/` and on
 * `../shared/corpus/` when present. The warm run must not embed again: its `--json`
 * summary must report `embeddedItems: 0` (checked, and shown as the cold/warm time
 * ratio). Prints Markdown, writes bench/results/e2e.json.
 *
 *   npm run build && npm run bench:e2e
 *   npm run bench:e2e -- --repeats 5 --command index
 *   npm run bench:e2e -- --themes-at 100000    # themes alone at archive sizes (themes-at-scale.ts)
 *
 * TODO(report): `--command auto` (default) uses `salon-lens report` when the built CLI
 * has it and falls back to `salon-lens index` otherwise; once `report` ships in dist,
 * drop the fallback (and the `index` branch below) so the bench always runs `report`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { folderBytes } from './lib/ann-engine.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { REPO_ROOT, writeResults } from './lib/results.js';
import { type Summary, summarize } from './lib/stats.js';
import { fmt, markdownTable, mib } from './lib/table.js';
import { themesAtScale } from './lib/themes-at-scale.js';

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    command: { type: 'string', default: 'auto' },
    /** Comma-separated item counts: the themes stage alone at those sizes, one process each. */
    'themes-at': { type: 'string' },
  },
});
// Themes at 100k items: synthetic vectors, since embedding 100k texts here would take an
// hour; the row is the clustering's time and peak memory (bench:cluster-scale's too).
if (args['themes-at']) {
  await themesAtScale(['--items', args['themes-at']]);
  process.exit(process.exitCode ?? 0);
}
const repeats = Math.max(3, Number(args.repeats));
const CLI = path.join(REPO_ROOT, 'dist/cli.js');

interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...argv], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}

/** The `--json` summary: the last top-level JSON object on stdout. */
function summaryOf(r: RunResult): Record<string, unknown> {
  const start = r.stdout.indexOf('{');
  if (r.code !== 0 || start < 0) {
    throw new Error(
      `CLI exited with ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return JSON.parse(r.stdout.slice(start)) as Record<string, unknown>;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

interface CorpusResult {
  corpus: string;
  command: string;
  items: number;
  salons: number;
  storeBytes: number;
  coldMs: Summary;
  warmMs: Summary;
  /** Cold / warm median: how much of a cold run embedding and indexing are. */
  coldOverWarm: number;
  embeddedCold: number[];
  embeddedWarm: number[];
  warmEmbeddedNothing: boolean;
}

async function benchCorpus(
  corpus: string,
  command: 'report' | 'index',
  scratch: string,
): Promise<CorpusResult> {
  const cold: number[] = [];
  const warm: number[] = [];
  const embeddedCold: number[] = [];
  const embeddedWarm: number[] = [];
  let items = 0;
  let salons = 0;
  let storeBytes = 0;
  for (let r = 0; r < repeats; r++) {
    const dir = await mkdtemp(path.join(scratch, 'run-'));
    const store = path.join(dir, 'store');
    const argv =
      command === 'report'
        ? [
            'report',
            corpus,
            '--store',
            store,
            '--out',
            path.join(dir, 'report'),
            '--json',
            '--quiet',
          ]
        : ['index', corpus, '--store', store, '--json', '--quiet'];
    for (const [times, counts] of [
      [cold, embeddedCold],
      [warm, embeddedWarm],
    ] as const) {
      const result = await run(argv);
      const summary = summaryOf(result);
      times.push(result.ms);
      counts.push(Number(summary.embeddedItems));
      items = Number(summary.itemCount ?? summary.items);
      salons = Number(summary.salonCount ?? summary.salons);
    }
    storeBytes = (await folderBytes(store)).total;
    await rm(dir, { recursive: true, force: true });
  }
  const coldMs = summarize(cold);
  const warmMs = summarize(warm);
  return {
    corpus: path.relative(REPO_ROOT, corpus),
    command,
    items,
    salons,
    storeBytes,
    coldMs,
    warmMs,
    coldOverWarm: coldMs.median / warmMs.median,
    embeddedCold,
    embeddedWarm,
    warmEmbeddedNothing: embeddedWarm.every((n) => n === 0),
  };
}

async function main() {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const machine = machineInfo();
  const stale = (await stat(CLI)).mtimeMs < (await newestMtime(path.join(REPO_ROOT, 'src')));
  const help = await run(['--help']);
  const hasReport = /^\s+report\b/m.test(help.stdout);
  // TODO(report): remove the index fallback once dist/cli.js has `report`.
  const command: 'report' | 'index' =
    args.command === 'index'
      ? 'index'
      : args.command === 'report' || hasReport
        ? 'report'
        : 'index';

  // Process start-up floor: node + CLI module graph, no store work.
  const startup: number[] = [];
  for (let r = 0; r < repeats; r++) startup.push((await run(['--version'])).ms);

  const corpora = [path.join(REPO_ROOT, 'examples/salons')];
  const shared = path.resolve(REPO_ROOT, '../shared/corpus');
  if (existsSync(shared)) corpora.push(shared);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-e2e-'));
  const rows: CorpusResult[] = [];
  try {
    for (const corpus of corpora) {
      process.stderr.write(`e2e: ${command} ${path.relative(REPO_ROOT, corpus)} ×${repeats}\n`);
      rows.push(await benchCorpus(corpus, command, scratch));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const startupMs = summarize(startup);
  const lines: string[] = [];
  lines.push(`## End to end: \`salon-lens ${command}\`, cold (fresh store) and warm (unchanged)`);
  lines.push('');
  lines.push(
    `Machine: ${describeMachine(machine)}. Median (min) over ${repeats} runs, wall clock per process.`,
  );
  if (command === 'index') {
    lines.push('');
    lines.push(
      '**TODO(report):** the built CLI has no `report` command yet, so this measures `salon-lens index`; rerun after `npm run build` once `report` lands.',
    );
  }
  if (stale) {
    lines.push('');
    lines.push('Note: dist/cli.js is older than src/; run `npm run build` for current figures.');
  }
  lines.push('');
  lines.push(
    markdownTable(
      [
        'corpus',
        'salons',
        'items',
        'cold s',
        'warm s',
        'cold / warm',
        'embedded cold / warm',
        'store MiB',
      ],
      rows.map((r) => [
        r.corpus,
        String(r.salons),
        String(r.items),
        `${fmt(r.coldMs.median / 1000)} (${fmt(r.coldMs.min / 1000)})`,
        `${fmt(r.warmMs.median / 1000)} (${fmt(r.warmMs.min / 1000)})`,
        `${r.coldOverWarm.toFixed(1)}×`,
        `${r.embeddedCold.join(',')} / ${r.embeddedWarm.join(',')}`,
        fmt(mib(r.storeBytes)),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push('');
  lines.push(
    `CLI start-up floor (\`--version\`): ${fmt(startupMs.median)} ms (min ${fmt(startupMs.min)}).`,
  );
  for (const r of rows) {
    lines.push(
      r.warmEmbeddedNothing
        ? `- ${r.corpus}: warm runs embedded nothing (embeddedItems 0 in every run).`
        : `- **${r.corpus}: a warm run embedded items again (${r.embeddedWarm.join(',')}): the unchanged-salon skip is broken.**`,
    );
  }
  console.log(lines.join('\n'));
  const file = await writeResults('e2e', {
    bench: 'e2e',
    machine,
    command: `npm run bench:e2e -- ${process.argv.slice(2).join(' ')}`.trim(),
    params: { repeats, cliCommand: command, cliHasReport: hasReport, distOlderThanSrc: stale },
    startupMs,
    rows,
  });
  process.stderr.write(`wrote ${file}\n`);
  if (rows.some((r) => !r.warmEmbeddedNothing)) process.exitCode = 1;
}

await main();
