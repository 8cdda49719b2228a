/**
 * Replacing a store is atomic: `index --force` (createLens with force) builds the
 * new store beside the old one, and a kill -9 at any write step, or Ctrl-C during
 * embedding, leaves the old store and its embedder. A store that lost its manifest
 * is never wiped by a plain `index`: it is refused with the exact command to run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import { createLens, readManifest, verifyLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { runCli, runCliAsync } from './helpers/cli.js';
import {
  copyStore,
  crashFixture,
  inPool,
  listFaultPoints,
  removeCopies,
  runChild,
  scratchDir,
  writeSalonsFile,
} from './helpers/index-crash.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { storeFingerprint } from './helpers/index-store.js';
import { examplesDir } from './helpers/shared-data.js';

let child: string;
let oldEmbedder: Embedder; // the store's (hashing@64)
let newEmbedder: Embedder; // the rebuild's (hashing@32, as the crash child uses with dim 32)
let salons: Salon[];
let base: string;
let before: string;

beforeAll(async () => {
  ({
    child,
    embedder: oldEmbedder,
    salons,
    base,
    before,
  } = await crashFixture({
    prefix: 'force-',
    marker: 'before',
  }));
  newEmbedder = await hashingEmbedder(32);
});

afterAll(removeCopies);

/** Verified, and equal to the old store or the complete rebuild (each with its own embedder). */
async function stateOf(dir: string, after: string): Promise<'before' | 'after'> {
  const report = await verifyLens(dir);
  expect(report.problems).toEqual([]);
  const id = (await readManifest(dir)).embedder.id;
  const embedder = id === oldEmbedder.id ? oldEmbedder : newEmbedder;
  const fingerprint = await storeFingerprint(dir, embedder);
  if (id === oldEmbedder.id && fingerprint === before) return 'before';
  expect(id).toBe(newEmbedder.id);
  expect(fingerprint).toBe(after);
  return 'after';
}

describe('index --force is atomic', () => {
  it('SIGKILL at the write steps of a rebuild and around its embedding: old store or new, never empty', async () => {
    const force = {
      action: 'force' as const,
      salonsFile: await writeSalonsFile(salons),
      dim: 32,
    };
    const census = await copyStore(base);
    const points = await listFaultPoints(child, { ...force, store: census });
    const after = await storeFingerprint(census, newEmbedder);
    const commit = points.indexOf('manifest.json: renamed');
    expect(commit).toBeGreaterThan(0);
    // Killed at write steps (numbered), and at progress events: after embedding and after
    // the graph inserts (the old code had committed an empty store long before).
    const total = salons.flatMap((s) => s.items).length;
    const events = [`embed:${total}`, `index:${total}`];
    // Lean (npm test stays short): the lock, each data file once it is in place, every
    // manifest step and the first clean-up step; the crash tests cover every step of a save.
    const firstCleanup = points.findIndex((p) => p.startsWith('cleanup:'));
    const chosen = points
      .map((label, i) => ({ label, i }))
      .filter(
        ({ label, i }) =>
          label === 'lock: created' ||
          label.endsWith(': renamed') ||
          label.startsWith('manifest.json:') ||
          i === firstCleanup,
      );
    const stops = [
      ...chosen.map(({ label, i }) => ({ label, stop: { faultPoint: i + 1 }, pauseAt: undefined })),
      ...events.map((pauseAt) => ({ label: pauseAt, stop: {}, pauseAt })),
    ];
    const outcomes = await inPool(stops, 2, async ({ label, stop, pauseAt }) => {
      const dir = await copyStore(base);
      const config = { ...force, store: dir, ...(pauseAt ? { pauseAt } : {}) };
      const result = await runChild(child, config, stop);
      expect(result.outcome, label).toBe('killed');
      return `${label} => ${await stateOf(dir, after)}`;
    });
    const expected = [
      ...chosen.map(({ label, i }) => `${label} => ${i < commit ? 'before' : 'after'}`),
      ...events.map((e) => `${e} => before`),
    ];
    expect(outcomes).toEqual(expected);
    process.stderr.write(`[force] kill points during --force rebuilds: ${stops.length}\n`);
  }, 240_000);

  it('Ctrl-C (abort) during the rebuild’s embedding, then close: the old store and embedder stay', async () => {
    const dir = await copyStore(base);
    const lens = await createLens(dir, { embedder: newEmbedder, force: true });
    const controller = new AbortController();
    await expect(
      lens.addSalons(salons, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'embed') controller.abort(new Error('SIGINT'));
        },
      }),
    ).rejects.toSatisfy((e) => isSalonLensError(e, 'ABORTED'));
    await lens.close();
    expect(await stateOf(dir, 'never')).toBe('before');
  });
});

describe('a store without its manifest', () => {
  it('plain index refuses with STORE_CORRUPT and the exact, shell-quoted command; nothing is deleted; the command works', async () => {
    const parent = await scratchDir('nomanifest-');
    // A store path a shell would mangle: spaces, a quote, $(...) and ;
    const dir = path.join(parent, "my store's $(touch pwned); x");
    await mkdir(dir);
    // Built in-process (the CLI's own index is tested below, on this store).
    const built = await createLens(dir, { embedder: oldEmbedder });
    await built.addSalons(salons);
    await built.close();
    await rm(path.join(dir, 'manifest.json'));
    const files = (await readdir(dir)).sort();

    const refused = await runCliAsync([
      'index',
      examplesDir,
      '--store',
      dir,
      '--embedder',
      'hashing',
      '--quiet',
    ]);
    expect(refused.code).toBe(1);
    // One error line (after the examples' skipped chatter lines, which are warnings).
    expect(
      refused.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('warning: ')),
    ).toHaveLength(1);
    expect(refused.stderr).toContain('is missing, but the folder holds store data files');
    expect((await readdir(dir)).sort()).toEqual(files);
    const command = /with: (salon-lens index .*)$/m.exec(refused.stderr)?.[1] as string;
    expect(command).toBeDefined();
    // Pasted into a shell, the command passes exactly these words (nothing executed).
    const words = execFileSync(
      'sh',
      ['-c', `printf '%s\\n' ${command.slice('salon-lens '.length)}`],
      {
        cwd: parent,
        encoding: 'utf8',
      },
    );
    // The shell reads back exactly the arguments of the rebuild, which then works.
    const rebuild = ['index', examplesDir, '--store', dir, '--force', '--embedder', 'hashing'];
    expect(words.trimEnd().split('\n')).toEqual(rebuild);
    expect(existsSync(path.join(parent, 'pwned'))).toBe(false);

    const rebuilt = runCli(rebuild);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect((await verifyLens(dir)).ok).toBe(true);
  }, 120_000);

  it('indexing another document: the advice also names every source the salon files record, and following it keeps every salon', async () => {
    const dir = path.join(await scratchDir('nomanifest-'), 'store');
    const held = salons.slice(0, 4);
    const extra = salons[4] as Salon;
    const built = await createLens(dir, { embedder: oldEmbedder });
    await built.addSalons(held.slice(0, 3));
    // A second write: the fourth salon is recorded in a patch file, not the salon file.
    await built.addSalons(held.slice(3));
    await built.close();
    await rm(path.join(dir, 'manifest.json'));

    const args = ['index', extra.source, '--store', dir, '--embedder', 'hashing', '--quiet'];
    const refused = await runCliAsync(args);
    expect(refused.code).toBe(1);
    // The message names its subject: the missing manifest.
    expect(refused.stderr).toContain(
      `Store ${dir} is damaged: ${path.join(dir, 'manifest.json')} is missing, but the folder holds`,
    );
    const command = /with: (salon-lens index .*)$/m.exec(refused.stderr)?.[1] as string;
    const words = execFileSync(
      'sh',
      ['-c', `printf '%s\\n' ${command.slice('salon-lens '.length)}`],
      {
        encoding: 'utf8',
      },
    )
      .trimEnd()
      .split('\n');
    expect(words).toEqual([
      'index',
      extra.source,
      ...held.map((s) => s.source).sort(),
      '--store',
      dir,
      '--force',
      '--embedder',
      'hashing',
    ]);
    const rebuilt = runCli(words);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const report = await verifyLens(dir);
    expect(report.ok).toBe(true);
    expect(report.salonCount).toBe(5);
  }, 120_000);
});
