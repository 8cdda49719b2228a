/**
 * Long runs through the built CLI off a terminal: `themes` and `similar` print progress
 * lines on stderr, and Ctrl-C (SIGINT) during the clustering of `report` or `themes` ends
 * the process within 2 s (clustering is synchronous, so both let the signal end it:
 * nothing is written until their last, atomic, steps).
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeArchive, writeArchive } from '../bench/lib/archive-corpus.js';
import { CACHE_CHUNK } from '../src/embed/cache.js';
import { runCli } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { cliPath, examplesDir } from './helpers/shared-data.js';

describe('long runs off a terminal', () => {
  let store: string;

  beforeAll(async () => {
    store = path.join(await tempStoreDir('long-'), 'store');
    const built = runCli(['index', examplesDir, '--store', store, '--embedder', 'hashing']);
    expect(built.code).toBe(0);
  }, 120_000);

  it('themes and similar print progress lines on stderr, stdout stays clean', () => {
    const themes = runCli(['themes', '--store', store, '--json']);
    expect(themes.code).toBe(0);
    expect(themes.stderr).toMatch(/^salon-lens themes: cluster prepare 0\/1/m);
    expect(themes.stderr).toMatch(/^salon-lens themes: cluster describe \d+\/\d+/m);
    expect(() => JSON.parse(themes.stdout)).not.toThrow();
    const similar = runCli(['similar', '--store', store]);
    expect(similar.code).toBe(0);
    expect(similar.stderr).toMatch(/^salon-lens similar: similar 0\/\d+ questions/m);
    expect(similar.stderr).toMatch(/^salon-lens similar: similar (\d+)\/\1 questions/m);
    expect(runCli(['similar', '--store', store, '--quiet']).stderr).toBe('');
  });

  it('Ctrl-C during the clustering of `report` and of `themes` ends each within 2 s', async () => {
    // 40 salons × 40 items: 1,600 items, clustering takes seconds.
    const dir = await tempStoreDir('long-sigint-');
    await writeArchive(makeArchive({ salons: 40 }), path.join(dir, 'salons'));
    const store = path.join(dir, 'store');
    const report = await interruptWhenClustering([
      'report',
      path.join(dir, 'salons'),
      '--store',
      store,
      '--out',
      path.join(dir, 'out'),
      '--embedder',
      'hashing',
    ]);
    // The report's store was complete before clustering began: `themes` clusters it.
    const themes = await interruptWhenClustering(['themes', '--store', store, '--json']);
    for (const [command, run] of Object.entries({ report, themes })) {
      console.log(
        `cli-long-runs: SIGINT during clustering ended ${command} in ${run.took.toFixed(0)} ms`,
      );
      // Ended by the signal: a shell reports exit status 130 (128 + SIGINT).
      expect(run.signal === 'SIGINT' || run.code === 130, `${command}:\n${run.stderr}`).toBe(true);
      expect(run.took).toBeLessThan(2000);
    }
  }, 300_000);
});

/** Runs the CLI, sends SIGINT once clustering has started, and times signal → exit. */
async function interruptWhenClustering(argv: string[]): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  took: number;
  stderr: string;
}> {
  const child = spawn(process.execPath, [cliPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sentAt = 0;
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  child.stderr.on('data', (d) => {
    stderr += d;
    if (!sentAt && /cluster prepare 1\/1/.test(stderr)) {
      sentAt = performance.now();
      child.kill('SIGINT');
    }
  });
  const { code, signal } = await ended;
  expect(sentAt, `${argv[0]} never reached clustering:\n${stderr}`).toBeGreaterThan(0);
  return { code, signal, took: performance.now() - sentAt, stderr };
}

describe('an interrupted index run', () => {
  it('keeps what it embedded: after Ctrl-C a rerun embeds only the rest', async () => {
    // 100 salons × 4 items = 400 items with the bundled model; the cache keeps vectors
    // a chunk (CACHE_CHUNK) at a time.
    const dir = await tempStoreDir('long-resume-');
    const docs = path.join(dir, 'salons');
    await writeArchive(makeArchive({ salons: 100, itemsPerSalon: 4, seed: 7 }), docs);
    const cacheDir = path.join(dir, 'cache');
    const env = { ...process.env, SALON_LENS_EMBED_CACHE: cacheDir };
    const store = path.join(dir, 'store');
    const child = spawn(process.execPath, [cliPath, 'index', docs, '--store', store], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Interrupt once the first chunk of vectors is in the cache.
    let sentAt = 0;
    while (!sentAt) {
      const segments = (await readdir(cacheDir, { recursive: true }).catch(() => [])).filter((f) =>
        /seg-[^/]*\.bin$/.test(String(f)),
      );
      if (segments.length > 0) {
        sentAt = performance.now();
        child.kill('SIGINT');
      } else await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode !== null) break;
    }
    const code = await ended;
    expect(sentAt, `index ended before a chunk was cached:\n${stderr}`).toBeGreaterThan(0);
    expect(code, stderr).toBe(130);
    expect(performance.now() - sentAt).toBeLessThan(2000);

    const rerun = runCli(['index', docs, '--store', store, '--json', '--quiet'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout);
    expect(summary.itemCount).toBe(400);
    // What the first run embedded came from the cache; the model embedded only the rest.
    expect(summary.embeddedFromCache).toBeGreaterThanOrEqual(CACHE_CHUNK);
    expect(summary.embeddedFromCache).toBeLessThan(400);
    console.log(
      `cli-long-runs: rerun after Ctrl-C took ${summary.embeddedFromCache} of 400 vectors from the cache`,
    );
  }, 300_000);
});
