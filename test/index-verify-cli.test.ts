/**
 * `salon-lens verify` on every kind of damage: it names the file, says what is
 * wrong in one line, and ends with a command the user can run as is (the store's
 * own salon folders are named), except for a store from a newer salon-lens, which
 * must not be rebuilt. Also: a missing file and a garbage manifest stop `search`
 * with the file named, and the advised command repairs the store.
 */
import { cp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, STORE_FORMAT_VERSION } from '../src/index/index.js';
import { runCli, runCliAsync } from './helpers/cli.js';
import { inPool } from './helpers/index-crash.js';
import { tempStoreDir } from './helpers/index-store.js';
import { examplesDir } from './helpers/shared-data.js';

let base: string;
let dataFiles: string[];
const made: string[] = [];

beforeAll(async () => {
  base = path.join(await tempStoreDir('verify-'), 'store');
  made.push(path.dirname(base));
  const built = runCli(['index', examplesDir, '--store', base, '--embedder', 'hashing', '--quiet']);
  expect(built.code).toBe(0);
  const manifest = await readManifest(base);
  dataFiles = Object.values(manifest.files).map((f) => f.name);
  expect(dataFiles).toHaveLength(5);
});

afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function damaged(damage: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(await tempStoreDir('verify-'), 'store');
  made.push(path.dirname(dir));
  await cp(base, dir, { recursive: true });
  await damage(dir);
  return dir;
}

/** The example documents the store was built from, as a rebuild names them. */
async function recordedSources(): Promise<string> {
  const names = (await readdir(examplesDir)).filter((f) => f.endsWith('.md')).sort();
  return names.map((f) => path.join(examplesDir, f)).join(' ');
}

const REBUILD = (dir: string) =>
  `Rebuild it from them: salon-lens index ${examplesDir} --store ${dir} --force`;

/** verify exits 1 with one `problem:` line for `file`, then the advice line. */
async function expectVerifyFails(
  dir: string,
  file: string,
  problem: RegExp,
  advice: string,
): Promise<void> {
  const result = await runCliAsync(['verify', '--store', dir]);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  const [what, todo] = lines as [string, string];
  expect(what.startsWith(`problem: ${path.join(dir, file)}: `)).toBe(true);
  expect(what.slice(`problem: ${path.join(dir, file)}: `.length)).toMatch(problem);
  // The problem line says what is wrong; what to do is said once, on the last line.
  expect(what).not.toMatch(/salon-lens index/);
  expect(todo).toMatch(/^salon-lens: store .* failed verification \(1 problem\(s\)\)\. /);
  expect(todo).toContain(advice);
}

describe('verify says what is wrong and what to do', () => {
  it('a flipped byte in the manifest and in data files, a truncated manifest and data file', async () => {
    // (index-persistence.test.ts flips and truncates every file through the API; the CLI
    // words a damaged data file the same way for all five, so each data file is damaged
    // once across this test and the next: items, salons and graph flipped, vectors
    // truncated, items and state removed.)
    const flipped = ['manifest.json', ...dataFiles.filter((f) => /^(items|salons|hnsw)\./.test(f))];
    expect(flipped).toHaveLength(4);
    const cases = [
      ...flipped.map((name) => ({ name, kind: 'flip' as const })),
      { name: 'manifest.json', kind: 'truncate' as const },
      {
        name: dataFiles.find((f) => f.startsWith('vectors.')) as string,
        kind: 'truncate' as const,
      },
    ];
    await inPool(cases, 2, async ({ name, kind }) => {
      const dir = await damaged(async (d) => {
        const file = path.join(d, name);
        const bytes = await readFile(file);
        if (kind === 'flip') {
          const at = Math.floor(bytes.length / 2);
          bytes[at] = (bytes[at] as number) ^ 0x01;
          await writeFile(file, bytes);
        } else await truncate(file, Math.floor(bytes.length / 2));
      });
      const problem =
        name === 'manifest.json'
          ? /^(fails its checksum \(edited or damaged\)|is not valid JSON)$/
          : kind === 'flip'
            ? /^fails its checksum \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)$/
            : /^has \d+ bytes, expected \d+ \(truncated or overwritten\)$/;
      // With the manifest damaged, the salon files still record every source: each is named.
      const advice =
        name === 'manifest.json'
          ? `salon-lens index ${await recordedSources()} --store ${dir} --force`
          : REBUILD(dir);
      await expectVerifyFails(dir, name, problem, advice);
    });
  }, 120_000);

  it('a missing data file, and a missing manifest beside data files', async () => {
    // Two of the four data files: the check is one loop over the manifest's files and
    // the advice is the same for each (index-persistence removes the graph file).
    const missing = dataFiles.filter((f) => /^(items|state)\./.test(f));
    expect(missing).toHaveLength(2);
    await inPool(missing, 2, async (name) => {
      const dir = await damaged((d) => rm(path.join(d, name)));
      await expectVerifyFails(dir, name, /^is missing$/, REBUILD(dir));
      if (name.startsWith('items.')) {
        const search = await runCliAsync(['search', 'anything', '--store', dir]);
        expect(search.code).toBe(1);
        expect(search.stderr).toContain(`Store file ${path.join(dir, name)} is missing.`);
      }
    });
    const noManifest = await damaged((d) => rm(path.join(d, 'manifest.json')));
    await expectVerifyFails(
      noManifest,
      'manifest.json',
      /^is missing, but the folder holds store data files \(hnsw\.\d+\.bin, items\.\d+\.json, salons\.\d+\.json, …\)$/,
      // Without a manifest the salon files still record every source: each is named.
      `salon-lens index ${await recordedSources()} --store ${noManifest} --force`,
    );
    const empty = await tempStoreDir('verify-empty-');
    made.push(empty);
    await expectVerifyFails(
      empty,
      'manifest.json',
      /^is missing: there is no lens store in this folder$/,
      `Create one with: salon-lens index <folders> --store ${empty}`,
    );
  }, 120_000);

  it('a garbage manifest and a JSON manifest that is not a store manifest', async () => {
    const garbage = await damaged((d) =>
      writeFile(path.join(d, 'manifest.json'), '\u0000\u0001garbage{"format":'),
    );
    await expectVerifyFails(
      garbage,
      'manifest.json',
      /^is not valid JSON$/,
      `--store ${garbage} --force`,
    );
    const search = runCli(['search', 'anything', '--store', garbage]);
    expect(search.code).toBe(1);
    expect(search.stderr).toContain(
      `Store file ${path.join(garbage, 'manifest.json')} is not valid JSON`,
    );
    expect(search.stderr).not.toMatch(/\n\s+at /);

    const other = await damaged((d) =>
      writeFile(path.join(d, 'manifest.json'), '{"format":"salon-lens-store","items":[]}\n'),
    );
    await expectVerifyFails(
      other,
      'manifest.json',
      /^fails its checksum \(edited or damaged\)$/,
      '--force',
    );

    // The advice repairs the store.
    const rebuilt = runCli([
      'index',
      examplesDir,
      '--store',
      garbage,
      '--embedder',
      'hashing',
      '--force',
      '--quiet',
    ]);
    expect(rebuilt.code).toBe(0);
    expect(runCli(['verify', '--store', garbage]).code).toBe(0);
  }, 120_000);

  it('a store written by a newer salon-lens: upgrade, do not rebuild', async () => {
    const dir = await damaged(async (d) => {
      const file = path.join(d, 'manifest.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      await writeFile(file, JSON.stringify({ ...json, version: 99 }));
    });
    const result = runCli(['verify', '--store', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `uses store format version 99, newer than this salon-lens reads (${STORE_FORMAT_VERSION})`,
    );
    expect(result.stderr).toContain('upgrade salon-lens');
    expect(result.stderr).not.toContain('--force');
  });
});
