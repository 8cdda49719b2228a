import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ThemesResultSchema } from '../src/cluster/index.js';
import { ReportDataSchema } from '../src/report/index.js';
import { runCli, warningLinesOf } from './helpers/cli.js';
import { examplesDir } from './helpers/shared-data.js';

describe('salon-lens report / themes (built CLI, bundled model)', () => {
  it('goes from documents to a report in one command, then reuses the store', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'salon-report-cli-'));
    const store = path.join(work, 'store');
    const out = path.join(work, 'out');

    const cold = runCli([
      'report',
      examplesDir,
      '--store',
      store,
      '--out',
      out,
      '--json',
      '--quiet',
    ]);
    expect(cold.code).toBe(0);
    const first = JSON.parse(cold.stdout);
    // --quiet silences progress, not warnings: the examples' chatter lines, one line
    // each on stderr and the same list in --json.
    expect(first.warnings.length).toBeGreaterThan(0);
    expect(cold.stderr.trim().split('\n')).toEqual(warningLinesOf(first));
    expect(first.embedder).toBe('use-lite@512');
    expect(first.added).toBe(first.salons);
    expect(first.embeddedItems).toBe(first.items);
    expect((await readdir(out)).sort()).toEqual(['report.html', 'report.json', 'report.md']);

    const data = ReportDataSchema.parse(
      JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')),
    );
    expect(data.items).toHaveLength(first.items);
    expect(data.themes.themes.length).toBe(first.themes);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert');

    // Warm: nothing changed, so nothing is embedded again and the themes keep their ids.
    const warm = runCli(['report', examplesDir, '--store', store, '--out', out, '--json']);
    expect(warm.code).toBe(0);
    const second = JSON.parse(warm.stdout);
    expect(second).toMatchObject({
      added: 0,
      updated: 0,
      unchanged: first.salons,
      embeddedItems: 0,
    });
    const again = ReportDataSchema.parse(
      JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')),
    );
    expect(again.themes.themes.map((t) => [t.id, t.itemIds])).toEqual(
      data.themes.themes.map((t) => [t.id, t.itemIds]),
    );

    const themes = runCli(['themes', '--store', store, '--json']);
    expect(themes.code).toBe(0);
    const result = ThemesResultSchema.parse(JSON.parse(themes.stdout));
    expect(result.themes.map((t) => t.id)).toEqual(data.themes.themes.map((t) => t.id));

    const table = runCli(['themes', '--store', store, '--k', '6']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/id\s+label\s+items\s+salons\s+contested/);
  });

  it('only writes the formats asked for', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'salon-report-fmt-'));
    const result = runCli([
      'report',
      examplesDir,
      '--store',
      path.join(work, 's'),
      '--out',
      path.join(work, 'o'),
      '--format',
      'md',
      '--embedder',
      'hashing',
      '--quiet',
    ]);
    expect(result.code).toBe(0);
    expect(await readdir(path.join(work, 'o'))).toEqual(['report.md']);
  });

  it('rejects bad flags with exit 2 and a missing store with exit 1', () => {
    expect(runCli(['report', examplesDir, '--format', 'pdf']).code).toBe(2);
    expect(runCli(['themes', '--store', '/tmp', '--k', 'many']).code).toBe(2);
    const missing = runCli(['themes', '--store', path.join(os.tmpdir(), 'no-such-store-xyz')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-store-xyz/);
    expect(existsSync(path.join(os.tmpdir(), 'no-such-store-xyz'))).toBe(false);
  });
});
