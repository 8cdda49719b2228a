/**
 * The built CLI on a document whose disagreements sit under `### Where we disagreed`:
 * the skipped heading is a line on stderr and an entry in --json, --strict exits 1
 * with nothing stored, a config file maps the heading (flags still win), and
 * `report --guide` writes guided themes. Hashing embedder: no model in these runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCliAsync } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { examplesDir, fixturesDir } from './helpers/shared-data.js';

const DOC = '2024-05-01-ai-salon-disagreements-heading.md';
const WARNING = `warning: docs/${DOC}:10: unknown section "Where we disagreed"; its content is skipped`;
let work: string;
const json = (r: CliResult) => JSON.parse(r.stdout);

beforeAll(async () => {
  work = await tempStoreDir('cli-warn-');
  await mkdir(path.join(work, 'docs'));
  await copyFile(path.join(fixturesDir, 'warnings', DOC), path.join(work, 'docs', DOC));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('warnings from the CLI', () => {
  it('index: a stderr line and a --json entry; --strict exits 1 and stores nothing', async () => {
    const run = (args: string[]) =>
      runCliAsync(['index', 'docs', '--embedder', 'hashing', '--quiet', ...args], { cwd: work });
    const [plain, strict] = await Promise.all([
      run(['--store', 'plain-store', '--json']),
      run(['--store', 'strict-store', '--strict']),
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stderr.trim().split('\n')).toEqual([WARNING]);
    expect(json(plain).warnings).toEqual([
      expect.objectContaining({ file: `docs/${DOC}`, line: 10, kind: 'unknown-section' }),
    ]);
    expect(json(plain).itemCount).toBe(3);

    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(WARNING);
    expect(strict.stderr).toMatch(/salon-lens: strict: 1 warning\(s\).*Nothing was stored/);
    expect(existsSync(path.join(work, 'strict-store'))).toBe(false);
  });

  it('salon-lens.config.json maps the heading; a typed flag wins over the file', async () => {
    const cwd = path.join(work, 'configured');
    await mkdir(path.join(cwd, 'docs'), { recursive: true });
    await copyFile(path.join(work, 'docs', DOC), path.join(cwd, 'docs', DOC));
    writeFileSync(
      path.join(cwd, 'salon-lens.config.json'),
      JSON.stringify({
        store: 'from-config',
        embedder: 'hashing',
        strict: true,
        headingAliases: { 'Where we disagreed': 'disagreement' },
      }),
    );
    const [viaConfig, flagWins] = await Promise.all([
      runCliAsync(['index', 'docs', '--quiet', '--json'], { cwd }),
      runCliAsync(['index', 'docs', '--quiet', '--json', '--store', 'typed'], { cwd }),
    ]);
    expect(viaConfig.stderr).toBe('');
    expect(viaConfig.code).toBe(0);
    expect(json(viaConfig)).toMatchObject({
      store: 'from-config',
      itemCount: 5,
      warnings: [],
      embedder: 'hashing@512',
    });
    expect(json(flagWins).store).toBe('typed');

    // A bad config: one error naming the file and the key, exit 1.
    writeFileSync(
      path.join(cwd, 'salon-lens.config.json'),
      JSON.stringify({ headingAliases: { 'Where we disagreed': 'disagreements' } }),
    );
    const bad = await runCliAsync(['parse', 'docs'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('salon-lens.config.json: "headingAliases.Where we disagreed"');

    // Or the same settings under "salon-lens" in package.json (when there is no config file).
    await rm(path.join(cwd, 'salon-lens.config.json'));
    writeFileSync(
      path.join(cwd, 'package.json'),
      JSON.stringify({
        name: 'app',
        'salon-lens': { headingAliases: { 'Where we disagreed': 'disagreement' } },
      }),
    );
    const viaPackage = await runCliAsync(['parse', 'docs', '--json'], { cwd });
    expect(viaPackage.code).toBe(0);
    expect(JSON.parse(viaPackage.stdout)[0].items).toHaveLength(5);
  });

  it('report --guide writes guided themes, and the note on skipped content', async () => {
    const out = path.join(work, 'report');
    const r = await runCliAsync(
      [
        'report',
        'docs',
        examplesDir,
        '--store',
        path.join(work, 'report-store'),
        '--out',
        out,
        '--embedder',
        'hashing',
        '--format',
        'md,json',
        '--guide',
        'privacy,copyright',
        '--quiet',
        '--json',
      ],
      { cwd: work },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(WARNING);
    const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    const guided = data.themes.themes.filter((t: { kind: string }) => t.kind === 'guided');
    expect(guided.map((t: { label: string }) => t.label)).toEqual(['privacy', 'copyright']);
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('### 1. privacy (guided)');
    expect(md).toMatch(/\*\*Skipped content\*\*[\s\S]*unknown section "Where we disagreed"/);
  });
});
