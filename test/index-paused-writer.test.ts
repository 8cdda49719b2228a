/**
 * A writer that stops mid-save for longer than the lock's takeover time (a stopped
 * process, a suspended laptop or VM, a long GC) while another writer takes the lock
 * over and commits: when it resumes it must not touch the other writer's files. It
 * checks its lock before each data file and never puts a file over an existing
 * name, so it fails with STORE_LOCKED and `verify` passes with the second writer's
 * salons. The pause is the SALON_LENS_FAULT_POINTS seam (and, for the CLI, a real
 * SIGSTOP on top); "past the takeover time" is a lock file aged by 2 minutes, so the
 * test does not wait a minute.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLoadCorpus } from '../bench/load-corpus.js';
import { createEmbedder, type Embedder } from '../src/embed/index.js';
import { createLens, openLens, verifyLens } from '../src/index/index.js';
import { LOCK_FILE, setHeartbeatInterval } from '../src/index/storage/file/lock.js';
import type { Salon } from '../src/parse/index.js';
import { requireBuiltCli, runCliAsync } from './helpers/cli.js';
import {
  copyStore,
  crashFixture,
  expectOneOf,
  fingerprintAfter,
  listFaultPoints,
  removeCopies,
  runChild,
  scratchDir,
  writeSalonsFile,
} from './helpers/index-crash.js';
import { cliPath, repoRoot } from './helpers/shared-data.js';

let child: string;
let salons: Salon[];
let embedder: Embedder;
let base: string;

beforeAll(async () => {
  ({ child, salons, embedder, base } = await crashFixture({ prefix: 'paused-' }));
});

afterAll(removeCopies);

/** Make the lock look abandoned: not refreshed for two minutes (the takeover time is 60 s). */
async function ageLock(dir: string): Promise<void> {
  const old = new Date(Date.now() - 120_000);
  await utimes(path.join(dir, LOCK_FILE), old, old);
}

/**
 * The built CLI run with the pause seam at its `point`-th step: resolves once it
 * is held there (`held`), or when it exited without reaching it.
 */
async function cliHeldAt(args: string[], point: number) {
  const proc = spawn(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, SALON_LENS_FAULT_POINTS: String(point) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  const held = await new Promise<boolean>((resolve) => {
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('PAUSED')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  return { proc, held, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('a writer paused past the lock takeover', () => {
  it('resumes after another writer took over and committed: it fails, and the other writer’s generation stays intact', async () => {
    const mine = salons.slice(2, 4);
    const theirs = salons.slice(4);
    const theirsOnly = await fingerprintAfter(base, embedder, theirs);
    const config = { action: 'add' as const, salonsFile: await writeSalonsFile(mine) };
    const points = await listFaultPoints(child, { ...config, store: await copyStore(base) });
    // Paused after its first data file, and inside the second one (temp written, not
    // yet in place): the two ways a resumed writer reached the shared names.
    const dataSteps = points.filter((p) => !/^(lock|manifest\.json|cleanup):/.test(p));
    const firstFile = dataSteps.find((p) => p.endsWith(': renamed')) as string;
    const secondName = dataSteps.find((p) => !p.startsWith(firstFile.split(':')[0] as string));
    const inside = dataSteps.find(
      (p) => p.startsWith(`${secondName?.split(':')[0]}:`) && p.endsWith('temp-written'),
    ) as string;
    for (const pauseAt of [firstFile, inside]) {
      const dir = await copyStore(base);
      let took: Error | undefined;
      const result = await runChild(
        child,
        { ...config, store: dir },
        {
          faultPoint: points.indexOf(pauseAt) + 1,
          allowFailure: true,
          onPaused: (resume) => {
            void (async () => {
              try {
                await ageLock(dir);
                const other = await openLens(dir, { embedder });
                await other.addSalons(theirs);
                await other.close();
              } catch (error) {
                took = error as Error;
              } finally {
                resume();
              }
            })();
          },
        },
      );
      expect(took, pauseAt).toBeUndefined();
      expect(result.outcome, pauseAt).toBe('failed');
      expect(result.stderr, pauseAt).toMatch(/no longer locked by this writer/);
      expect(await expectOneOf(dir, { theirsOnly }, embedder), pauseAt).toBe('theirsOnly');
    }
  }, 120_000);

  it('SIGSTOP a real `index` mid-save past the takeover time, another `index` commits, SIGCONT: verify passes and holds the second writer’s salons', async () => {
    requireBuiltCli();
    const dir = path.join(await scratchDir('paused-cli-'), 'store');
    const sources = (group: Salon[]) => group.map((s) => s.source);
    const first = await runCliAsync([
      'index',
      ...sources(salons.slice(0, 2)),
      '--store',
      dir,
      '--embedder',
      'hashing',
      '--quiet',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const args = (group: Salon[], store: string) => [
      'index',
      ...sources(group),
      '--store',
      store,
      '--embedder',
      'hashing',
      '--quiet',
    ];
    const mine = salons.slice(2, 4);
    const theirs = salons.slice(4);
    // The save's steps, from a traced run on a copy: pause after its first data file.
    const traced = await runCliAsync(args(mine, await copyStore(dir)), {
      env: { SALON_LENS_FAULT_POINTS: 'trace' },
    });
    expect(traced.code, traced.stderr).toBe(0);
    const steps = [...traced.stderr.matchAll(/^\[fault-point\] (\d+) (.*)$/gm)];
    const pauseAt = steps.find(
      (m) => !/^(lock|manifest\.json)/.test(m[2] as string) && m[2]?.endsWith(': renamed'),
    );
    expect(pauseAt).toBeDefined();

    const writer = await cliHeldAt(args(mine, dir), Number(pauseAt?.[1]));
    expect(writer.held, writer.stderr()).toBe(true);
    writer.proc.kill('SIGSTOP');
    // Stopped: no heartbeat. After the takeover time another writer may take the lock.
    await ageLock(dir);
    const other = await runCliAsync(args(theirs, dir));
    expect(other.code, other.stderr).toBe(0);
    writer.proc.stdin.write('\n'); // lets the pause seam go on once the process runs again
    writer.proc.kill('SIGCONT');
    expect(await writer.exited).toBe(1);
    expect(writer.stderr()).toMatch(/no longer locked by this writer/);

    const verified = await runCliAsync(['verify', '--store', dir, '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout).ok).toBe(true);
    const reader = await openLens(dir, {
      embedder: await createEmbedder({ backend: 'hashing' }),
      readOnly: true,
    });
    const held = reader.salons().map((s) => s.id);
    await reader.close();
    expect(held.sort()).toEqual([...salons.slice(0, 2), ...theirs].map((s) => s.id).sort());
    expect((await verifyLens(dir)).ok).toBe(true);
  }, 120_000);
});

describe('the lock heartbeat through a long write', () => {
  it('keeps refreshing the lock during the statistics stage (k-NN searches that never wait for I/O)', async () => {
    // 1,600 items: the statistics stage runs 1,600 in-memory k-NN searches, long enough
    // for many beats of a 10 ms heartbeat (the real one beats every 5 s against a 60 s
    // takeover; at 60,000 items the old code went 84 s without one).
    const folder = await scratchDir('heartbeat-');
    const corpus = await writeLoadCorpus(path.join(folder, 'salons'), {
      salons: 40,
      itemsPerSalon: 40,
      seed: 5,
    });
    const dir = path.join(folder, 'store');
    const previous = setHeartbeatInterval(10);
    const refreshes: number[] = [];
    const started: number[] = [];
    try {
      const lens = await createLens(dir, { embedder });
      await lens.addSalons([corpus.dir], {
        onProgress: (p) => {
          if (p.stage !== 'statistics') return;
          started.push(performance.now());
          refreshes.push(statSync(path.join(dir, LOCK_FILE)).mtimeMs);
        },
      });
      await lens.close();
    } finally {
      setHeartbeatInterval(previous);
    }
    // Progress every 1,024 searches and at the end: 1024, 1600.
    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    const stage = (started.at(-1) as number) - (started[0] as number);
    // The lock was touched between the stage's first and last progress report.
    expect(new Set(refreshes).size, `stage of ${stage.toFixed(0)} ms`).toBeGreaterThan(1);
  }, 60_000);
});

describe('verify beside a writer', () => {
  it('a compaction that lands between verify reading the manifest and the files: verify checks the new generation and passes', async () => {
    requireBuiltCli();
    const dir = await copyStore(base);
    const before = (await verifyLens(dir)).generation as number;
    // Held right after reading the manifest (the seam's first point in a verify run).
    const verify = await cliHeldAt(['verify', '--store', dir, '--json'], 1);
    expect(verify.stderr()).toContain('verify: manifest read PAUSED');
    // Removing one of the two salons frees more than 20% of the labels: the write
    // compacts, and its clean-up deletes the files of the generation verify read.
    const writer = await openLens(dir, { embedder });
    await writer.removeSalons([(salons[0] as Salon).id]);
    await writer.close();
    verify.proc.stdin.end('\n');
    expect(await verify.exited, verify.stdout()).toBe(0);
    const report = JSON.parse(verify.stdout());
    expect(report.ok).toBe(true);
    expect(report.generation).toBeGreaterThan(before);
  }, 60_000);
});
