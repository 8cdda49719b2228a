/**
 * The CLI as a new user meets it (issue #18), through the built binary with stdout
 * and stderr captured through pipes (so stderr is not a TTY): the README's main job
 * and then every read command without `--store`, `remove`, `index --prune`,
 * `--skip-invalid`, progress lines, unknown salon ids, read commands while another
 * process holds the write lock, and control characters escaped in human output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThemesResultSchema } from '../src/cluster/index.js';
import { readManifest, SearchHitSchema } from '../src/index/index.js';
import { type CliResult, runCli, runCliAsync } from './helpers/cli.js';
import { examplesDir, repoRoot } from './helpers/shared-data.js';

const WHO_OWNS = '2024-09-14-who-owns-the-models';
/** A user without $SALON_LENS_STORE, so the default `.salon-lens` applies. */
const noEnvStore = { SALON_LENS_STORE: '' };

function workDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `salon-newcomer-${prefix}-`));
  cpSync(examplesDir, path.join(dir, 'examples/salons'), { recursive: true });
  return dir;
}

const run = (cwd: string, args: string[]): CliResult => runCli(args, { cwd, env: noEnvStore });
/**
 * The examples in `cwd`/.salon-lens with the hashing embedder, built in-process where
 * the CLI's `index` is not what is tested (it is in the main job, prune and stray tests).
 */
async function hashingStore(cwd: string): Promise<void> {
  const { SalonLens } = await import('../src/index.js');
  const lens = await SalonLens.create(path.join(cwd, '.salon-lens'), {
    embedder: { backend: 'hashing' },
  });
  await lens.add([path.join(cwd, 'examples/salons')]);
  await lens.close();
}
/** Independent commands run two at a time (the CLI's start-up dominates these tests). */
const runAll = (cwd: string, commands: string[][]): Promise<CliResult[]> =>
  Promise.all(commands.map((args) => runCliAsync(args, { cwd, env: noEnvStore })));
const json = (result: CliResult) => {
  expect(result.stderr).not.toMatch(/unexpected error/);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

describe('the README main job, then every read command with no --store', () => {
  let cwd: string;
  let main: CliResult;

  beforeAll(() => {
    runCli(['--version']); // fails fast when dist/ is missing
    cwd = workDir('main');
    // Exactly the README's command, from a folder holding examples/salons.
    main = run(cwd, [
      'report',
      'examples/salons',
      '--store',
      '.salon-lens',
      '--out',
      'salon-report',
    ]);
  });

  it('runs the main job and reports progress as lines on a non-TTY stderr', () => {
    expect(main.code).toBe(0);
    expect(main.stdout.trim().split('\n')).toEqual([
      'salon-report/report.md',
      'salon-report/report.html',
      'salon-report/report.json',
    ]);
    // Documents are counted (5 files), items are counted with a rate, then the later stages.
    expect(main.stderr).toMatch(/^salon-lens report: parse 0\/5 documents/m);
    expect(main.stderr).toMatch(/^salon-lens report: parse 5\/5 documents/m);
    expect(main.stderr).toMatch(/^salon-lens report: embed 80\/80 items(, [\d.]+\/s)? \(/m);
    expect(main.stderr).toMatch(/^salon-lens report: themes 1\/1/m);
    expect(main.stderr).toMatch(/^5 salons, 80 items \(80 embedded now\)/m);
  });

  it('search, similar, themes, verify and report (no paths) find the default store', async () => {
    const [search, similar, themes, verify] = await runAll(cwd, [
      ['search', 'privacy', '--json'],
      ['similar', '--json'],
      ['themes', '--json'],
      ['verify'],
    ]);
    expect(SearchHitSchema.array().parse(json(search as CliResult))).toHaveLength(10);
    expect(json(similar as CliResult)).toBeInstanceOf(Array);
    expect(ThemesResultSchema.parse(json(themes as CliResult)).themes.length).toBeGreaterThan(1);
    expect(verify?.code).toBe(0);
    expect(verify?.stdout).toMatch(/^ok: \.salon-lens: 80 items from 5 salons/);

    const [again, viaEnv] = await Promise.all([
      runCliAsync(['report', '--quiet'], { cwd, env: noEnvStore }),
      // $SALON_LENS_STORE replaces the default.
      runCliAsync(['verify'], {
        cwd: os.tmpdir(),
        env: { SALON_LENS_STORE: path.join(cwd, '.salon-lens') },
      }),
    ]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^5 salons, 80 items \(0 embedded now\), \d+ themes/);
    expect(again.stdout).toContain('salon-report/report.html');
    expect(viaEnv.code).toBe(0);
  });

  it('--quiet silences progress (not warnings); no command prints the short help; --version', async () => {
    const [index, help, version] = await runAll(cwd, [
      ['index', 'examples/salons', '--quiet'],
      [],
      ['--version'],
    ]);
    expect(index?.code).toBe(0);
    // No progress; the examples' skipped chatter lines are still said, one line each.
    expect(
      index?.stderr
        .trim()
        .split('\n')
        .every((l) => l.startsWith('warning: ')),
    ).toBe(true);
    expect(help?.code).toBe(0);
    expect(help?.stdout).toContain('salon-lens report <folder>');
    expect(help?.stdout).toMatch(/Commands: .*remove/);
    expect(version?.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('tables and salon ids (hashing store, default --store)', () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = workDir('tables');
    await hashingStore(cwd);
  });

  it('prints a fitted table with the score explained per mode, --wide for full text', async () => {
    const [vector, hybrid, lexical, wide] = await runAll(cwd, [
      ['search', 'privacy', '-k', '3'],
      ['search', 'privacy', '-k', '6', '--mode', 'hybrid'],
      ['search', 'privacy', '--mode', 'lexical'],
      ['search', 'privacy', '-k', '10', '--wide'],
    ]);
    const lines = (vector as CliResult).stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+score\s+salon\s+section\s+text$/);
    // Not a TTY: 100 columns; the date is not repeated beside the id.
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(lines.at(-1)).toMatch(/^score: /);

    // Hybrid shows the fused scores, so the column falls in rank order.
    const hybridLines = (hybrid as CliResult).stdout.trimEnd().split('\n');
    expect(hybridLines[0]).toMatch(/^#\s+rrf\s+salon/);
    const scores = hybridLines.slice(2, 8).map((l) => Number(l.trim().split(/\s+/)[1]));
    expect(scores.every((x) => x > 0 && x < 0.05)).toBe(true);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(hybridLines.at(-1)).toMatch(/^rrf: reciprocal-rank fusion/);
    expect(lexical?.stdout).toMatch(/^#\s+bm25\s+salon/);
    expect(lexical?.stdout).toMatch(/^bm25: /m);

    const wideLines = (wide as CliResult).stdout.split('\n');
    expect(Math.max(...wideLines.map((l) => l.length))).toBeGreaterThan(100);
    expect(wide?.stdout).not.toContain('…');
  });

  it('unknown salon ids are a usage error naming the closest ids', async () => {
    const [title, nonsense, known] = await runAll(cwd, [
      ['search', 'x', '--salon', 'who-owns-the-models'],
      ['search', 'x', '--exclude-salon', 'nonsense'],
      ['search', 'x', '--salon', WHO_OWNS, '--json'],
    ]);
    expect(title?.code).toBe(2);
    expect(title?.stdout).toBe('');
    expect(title?.stderr).toContain('--salon "who-owns-the-models": no such salon in .salon-lens');
    expect(title?.stderr).toContain(`closest ids: ${WHO_OWNS}\n`);
    expect(nonsense?.code).toBe(2);
    expect(nonsense?.stderr).toMatch(
      /--exclude-salon "nonsense": no such salon .*closest ids: \d{4}-/,
    );
    const hits = SearchHitSchema.array().parse(json(known as CliResult));
    expect(hits.every((h) => h.salon.id === WHO_OWNS)).toBe(true);
  });

  it('remove takes salons out by id and refuses unknown ids', () => {
    const typo = run(cwd, ['remove', 'who-owns']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(`closest ids: ${WHO_OWNS}`);

    const removed = run(cwd, ['remove', WHO_OWNS]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^Removed 1 salon\(s\), \d+ items:/);
    expect(removed.stdout).toContain(`  ${WHO_OWNS}  (`);
    expect(removed.stdout).toMatch(/\.salon-lens now holds \d+ items from 4 salons/);
    expect(run(cwd, ['search', 'x', '--salon', WHO_OWNS]).code).toBe(2);
  });
});

describe('index --prune', () => {
  it('drops salons whose document was deleted, and says which', () => {
    const cwd = workDir('prune');
    const first = json(run(cwd, ['index', 'examples/salons', '--embedder', 'hashing', '--json']));
    expect(first.salonCount).toBe(5);
    rmSync(path.join(cwd, 'examples/salons/2024-09-14-ai-salon-who-owns-the-models.md'));

    // Without --prune the salon stays.
    expect(json(run(cwd, ['index', 'examples/salons', '--json', '--quiet'])).salonCount).toBe(5);
    const pruned = json(run(cwd, ['index', 'examples/salons', '--prune', '--json', '--quiet']));
    expect(pruned.pruned).toEqual([
      { id: WHO_OWNS, source: 'examples/salons/2024-09-14-ai-salon-who-owns-the-models.md' },
    ]);
    expect(pruned.salonCount).toBe(4);
    expect(pruned.removedItems).toBeGreaterThan(0);
    const human = run(cwd, ['index', 'examples/salons', '--prune', '--quiet']);
    expect(human.stdout).toContain('Pruned nothing');
  });
});

describe('a stray file in the salons folder', () => {
  it('aborts by default naming --skip-invalid; --skip-invalid indexes the rest', () => {
    const cwd = workDir('stray');
    writeFileSync(path.join(cwd, 'examples/salons/notes.txt'), 'call Sam about the venue\n');
    const strict = run(cwd, ['index', 'examples/salons', '--embedder', 'hashing', '--quiet']);
    expect(strict.code).toBe(1);
    expect(strict.stderr.trim().split('\n')).toHaveLength(1);
    expect(strict.stderr).toContain('notes.txt:1: expected');
    expect(strict.stderr).toContain('add --skip-invalid');

    const lenient = run(cwd, [
      'index',
      'examples/salons',
      '--embedder',
      'hashing',
      '--skip-invalid',
      '--json',
    ]);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(/^skipped: examples\/salons\/notes\.txt:1: expected/m);
    const summary = JSON.parse(lenient.stdout);
    expect(summary.added).toBe(5);
    expect(summary.skipped).toEqual([
      { file: 'examples/salons/notes.txt', message: expect.stringContaining('notes.txt:1:') },
    ]);
    const report = run(cwd, ['report', 'examples/salons', '--skip-invalid', '--quiet']);
    expect(report.code).toBe(0);
    expect(report.stderr).toMatch(/1 invalid document\(s\) skipped/);
  });
});

describe('read commands while another process holds the write lock', () => {
  let cwd: string;
  let holder: ChildProcess | undefined;
  let before: number;
  // Read in-process: what is tested is which commands write, not verify.
  const generation = async () => (await readManifest(path.join(cwd, '.salon-lens'))).generation;

  beforeAll(async () => {
    cwd = workDir('locked');
    await hashingStore(cwd);
    before = await generation();
    // A writer in another process (as `index` would be mid-run), through the public API.
    const api = pathToFileURL(path.join(repoRoot, 'dist/index.js')).href;
    holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { SalonLens } = await import(${JSON.stringify(api)});
         const lens = await SalonLens.open('.salon-lens');
         process.stdout.write('locked\\n');
         process.stdin.on('data', async () => { await lens.close(); process.exit(0); });`,
      ],
      { cwd, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder?.stdout?.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      holder?.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
  });

  afterAll(() => {
    holder?.kill();
  });

  it('themes and search work; index is refused naming only public commands', async () => {
    const [themes, search, writer] = await runAll(cwd, [
      ['themes'],
      ['search', 'privacy'],
      ['index', 'examples/salons', '--quiet'],
    ]);
    // Nothing but progress lines (off a terminal, one per stage step): no warning.
    const progressLine = /^salon-lens themes: [\w -]+ \d+\/\d+.*\(\d+\.\d s\)$/;
    const notProgress = (themes?.stderr ?? '')
      .split('\n')
      .filter((l) => l !== '' && !progressLine.test(l));
    expect(notProgress).toEqual([]);
    expect(themes?.code).toBe(0);
    expect(themes?.stdout).toMatch(/^\d+ themes \(k=/);
    expect(search?.code).toBe(0);
    expect(writer?.code).toBe(1);
    expect(writer?.stderr).toContain('salon-lens search, similar, themes and verify');
    expect(writer?.stderr).not.toMatch(/openLens|readOnly/);
  });

  it('saves theme state only once the store is free', async () => {
    expect(await generation()).toBe(before); // themes ran while busy: nothing written
    holder?.stdin?.write('release\n');
    await new Promise((resolve) => holder?.on('exit', resolve));
    expect(run(cwd, ['themes']).code).toBe(0);
    expect(await generation()).toBe(before + 1); // free: theme ids saved
  });
});

describe('empty stores and hostile text', () => {
  it('search on an empty store says so', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'salon-newcomer-empty-'));
    const { SalonLens } = await import('../src/index.js');
    const lens = await SalonLens.create(path.join(cwd, '.salon-lens'), {
      embedder: { backend: 'hashing' },
    });
    await lens.close();
    for (const result of await runAll(cwd, [['search', 'privacy'], ['themes']])) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Store .salon-lens holds no items yet');
    }
  });

  it('shows control and bidi characters escaped in human output, exact in JSON', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'salon-newcomer-evil-'));
    mkdirSync(path.join(cwd, 'salons'));
    const esc = '\u001b';
    const insight = `Privacy ${esc}[2Jmatters when \u202emodels\u202c run ${esc}]0;pwned\u0007 locally.`;
    const question = `Who owns ${esc}]8;;http://x\u0007the data\u009b?`;
    writeFileSync(
      path.join(cwd, 'salons/evil.md'),
      'These are the takeaways from the conversation: 2024-05-01 Ai salon - evil\n\n' +
        `# Insights\n- ${insight}\n- Another privacy insight about data.\n` +
        `# Questions\n- ${question}\n- Who else owns the data?\n` +
        `Chatter between bullets ${esc}[31m in red.\n`,
    );
    const index = run(cwd, ['index', 'salons', '--embedder', 'hashing']);
    expect(index.code).toBe(0);
    expect(rawControls(index.stderr + index.stdout)).toEqual([]);
    const [search, similar, themes, parse, asJson] = await runAll(cwd, [
      ['search', 'privacy data', '--wide'],
      ['similar', '--same-salon', '--threshold', '0', '--wide'],
      ['themes', '--k', '2', '--min-size', '1', '--wide'],
      ['parse', 'salons', '--wide'],
      ['search', 'privacy data', '--json'],
    ]);
    for (const r of [search, similar, themes, parse]) {
      expect(r?.code).toBe(0);
      expect(rawControls(`${r?.stdout}${r?.stderr}`)).toEqual([]);
    }
    expect(search?.stdout).toContain('Privacy \\u001b[2Jmatters when \\u202emodels\\u202c run');
    expect(similar?.stdout).toContain('\\u001b]8;;http://x\\u0007the data\\u009b?');
    expect(parse?.stdout).toContain('\\u001b[31m in red');
    const hits = SearchHitSchema.array().parse(json(asJson as CliResult));
    expect(hits.map((h) => h.item.text)).toContain(insight);
  });
});

/** Control (other than newline) and bidi-control characters left raw in `text`. */
function rawControls(text: string): string[] {
  return [...text].filter((ch) => {
    const n = ch.codePointAt(0) as number;
    return (
      (n < 0x20 && ch !== '\n') ||
      (n >= 0x7f && n <= 0x9f) ||
      (n >= 0x202a && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069)
    );
  });
}
