/**
 * The store commands through the built CLI (`node dist/cli.js`), as a user runs
 * them: index → search / similar / verify, persistence between processes, exit
 * codes for bad stores and bad flags.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest, SearchHitSchema, SimilarQuestionGroupSchema } from '../src/index/index.js';
import { runCli, warningLinesOf } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { examplesDir } from './helpers/shared-data.js';

describe('store commands (built CLI)', () => {
  let store: string;

  beforeAll(async () => {
    runCli(['--version']); // fails fast with a clear message when dist/ is missing
    store = path.join(await tempStoreDir('cli-'), 'store');
  });

  it('index creates the store, then skips unchanged salons on a second run', () => {
    const first = runCli([
      'index',
      examplesDir,
      '--store',
      store,
      '--embedder',
      'hashing',
      '--json',
      '--quiet',
    ]);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    // --quiet silences progress, not the warnings (the examples' chatter lines).
    expect(first.stderr.trim().split('\n')).toEqual(warningLinesOf(summary));
    expect(summary).toMatchObject({
      updated: 0,
      unchanged: 0,
      removedItems: 0,
      embedder: 'hashing@512',
    });
    expect(summary.added).toBeGreaterThanOrEqual(4);

    // The embedder is read back from the store: no flag needed.
    const second = runCli(['index', examplesDir, '--store', store]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      `0 added, 0 updated, ${summary.added} unchanged salons; 0 items embedded`,
    );
  });

  it('search prints a table, or JSON hits, honouring filters', () => {
    const table = runCli([
      'search',
      'who owns a model trained on artists work',
      '--store',
      store,
      '-k',
      '3',
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/#\s+score\s+salon\s+section\s+text/);
    // header, rule, 3 hits, a blank line and the line explaining the score
    expect(table.stdout.trim().split('\n')).toHaveLength(2 + 3 + 2);

    const json = runCli([
      'search',
      'privacy at work',
      '--store',
      store,
      '-k',
      '4',
      '--section',
      'question',
      '--json',
    ]);
    expect(json.code).toBe(0);
    const hits = SearchHitSchema.array().parse(JSON.parse(json.stdout));
    expect(hits).toHaveLength(4);
    expect(hits.every((h) => h.item.section === 'question')).toBe(true);
  });

  it('similar lists groups as JSON', () => {
    const result = runCli(['similar', '--store', store, '--threshold', '0.2', '--json']);
    expect(result.code).toBe(0);
    const groups = SimilarQuestionGroupSchema.array().parse(JSON.parse(result.stdout));
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.every((g) => g.questions.length >= 2)).toBe(true);
  });

  it('verify passes on a good store and names the bad file (exit 1) on a damaged one', async () => {
    const ok = runCli(['verify', '--store', store]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: .* all files intact/);

    const manifest = await readManifest(store);
    const file = path.join(store, manifest.files.items.name);
    const bytes = await readFile(file);
    bytes[10] = (bytes[10] as number) ^ 0x20;
    await writeFile(file, bytes);
    const bad = runCli(['verify', '--store', store]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(file);
    expect(bad.stderr).toContain('--force');
    const search = runCli(['search', 'anything', '--store', store]);
    expect(search.code).toBe(1);
    expect(search.stderr).toContain(`Store file ${file} fails its checksum`);
    expect(search.stderr).not.toMatch(/\n\s+at /);

    // --force rebuilds it.
    const rebuilt = runCli([
      'index',
      examplesDir,
      '--store',
      store,
      '--embedder',
      'hashing',
      '--force',
    ]);
    expect(rebuilt.code).toBe(0);
    expect(runCli(['verify', '--store', store]).code).toBe(0);
  });

  it('exit codes: 1 for a missing store, 2 for bad flags', () => {
    const missing = runCli(['search', 'x', '--store', path.join(store, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No lens store at .*nope/);
    expect(runCli(['search', 'x', '--store', store, '-k', '0']).code).toBe(2);
    expect(runCli(['search', 'x', '--store', store, '--mode', 'fuzzy']).code).toBe(2);
    // Without --store: the default .salon-lens of the current folder.
    const none = runCli(['search', 'x'], {
      cwd: path.dirname(store),
      env: { SALON_LENS_STORE: '' },
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No lens store at \.salon-lens/);
  });

  it('round-trips with the default bundled model', async () => {
    const dir = path.join(await tempStoreDir('cli-bundled-'), 'store');
    const index = runCli(['index', examplesDir, '--store', dir, '--quiet']);
    expect(index.code).toBe(0);
    // The summary names what embedded (onnxruntime-node is installed here).
    expect(index.stdout).toContain('(use-lite@512 on onnxruntime)');
    const result = runCli([
      'search',
      'Will running models on personal devices protect privacy?',
      '--store',
      dir,
      '-k',
      '1',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const [top] = SearchHitSchema.array().parse(JSON.parse(result.stdout));
    expect(top?.item.text).toBe(
      "Will running models on personal devices actually protect people's privacy?",
    );
  });
});
