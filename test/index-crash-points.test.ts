/**
 * Crash consistency at the write steps: the child writer is SIGKILLed right after
 * steps that change the store folder (temp file created, written, fsynced, renamed,
 * folder fsynced, leftover removed, lock taken or released), for addSalons,
 * removeSalons and writeState. The steps are not listed by hand: a first run with
 * SALON_LENS_FAULT_POINTS=trace enumerates them from the real code path, and
 * sampleKillPoints keeps every class of them (each lock and manifest step, the first
 * clean-up, each kind of data-file step and each data file), so a new kind of write
 * step is covered automatically; repeats of one step kind on other files are not
 * killed at (npm test stays short), the census still checks their order.
 *
 * After each kill: `verify` passes, the store equals exactly the state before or
 * after the write (items, vectors, state and two search answers), the old state
 * up to the manifest rename and the new one from it on, and the next writer takes
 * over the dead child's lock and removes its leftovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { openLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import {
  type ChildConfig,
  copyStore,
  crashFixture,
  expectOneOf,
  inPool,
  listFaultPoints,
  removeCopies,
  runChild,
  sampleKillPoints,
  writeSalonsFile,
} from './helpers/index-crash.js';
import { storeFingerprint } from './helpers/index-store.js';

const COMMIT = 'manifest.json: renamed';

let child: string;
let salonsFile: string;
let embedder: Embedder;
let salons: Salon[];
let baseDir: string; // two salons + state marker "before"
let before: string;
/** Kill points tried (of the steps counted), per write, for the summary line. */
const tried: Record<string, string> = {};

beforeAll(async () => {
  ({ child, embedder, salons, base: baseDir, before } = await crashFixture({ marker: 'before' }));
  salonsFile = await writeSalonsFile(salons);
});

afterAll(removeCopies);

/** The state the same write reaches when nothing kills it (run in-process). */
async function afterState(write: (dir: string) => Promise<void>): Promise<string> {
  const dir = await copyStore(baseDir);
  await write(dir);
  return storeFingerprint(dir, embedder);
}

/**
 * Enumerate the write steps of `action`, kill a child at each sampled one, check
 * every store. Returns how many steps the write has.
 */
async function killAtEveryStep(
  name: string,
  action: Omit<ChildConfig, 'store'>,
  after: string,
): Promise<number> {
  expect(after).not.toBe(before);
  const censusDir = await copyStore(baseDir);
  const points = await listFaultPoints(child, { ...action, store: censusDir });
  // The uninterrupted child reaches the same state as the in-process write.
  expect(await expectOneOf(censusDir, { after }, embedder)).toBe('after');
  const commit = points.indexOf(COMMIT);
  expect(commit).toBeGreaterThan(0);
  expect(points[0]).toBe('lock: created');
  expect(points.at(-1)).toBe('lock: released');

  const sample = sampleKillPoints(points);
  const outcomes = await inPool(sample, 2, async ({ label, i }) => {
    const dir = await copyStore(baseDir);
    const result = await runChild(child, { ...action, store: dir }, { faultPoint: i + 1 });
    expect(result.outcome).toBe('killed');
    expect(result.pausedAt).toBe(label);
    return `${label} => ${await expectOneOf(dir, { before, after }, embedder)}`;
  });
  // Old state up to the manifest rename, new state from it on: never a third one.
  expect(outcomes).toEqual(
    sample.map(({ label, i }) => `${label} => ${i < commit ? 'before' : 'after'}`),
  );
  tried[name] = `${sample.length}/${points.length}`;
  return points.length;
}

describe('SIGKILL after every write step', () => {
  it('addSalons (3 salons appended: a segment of items and vectors, manifest, cleanup)', async () => {
    const after = await afterState(async (dir) => {
      const lens = await openLens(dir, { embedder });
      await lens.addSalons(salons);
      await lens.close();
    });
    const steps = await killAtEveryStep('addSalons', { action: 'add', salonsFile }, after);
    // Every data file is written under its own new name: 2 segment files × their steps.
    expect(steps).toBeGreaterThanOrEqual(15);
  }, 240_000);

  it('removeSalons', async () => {
    const id = salons[1]?.id as string;
    const after = await afterState(async (dir) => {
      const lens = await openLens(dir, { embedder });
      await lens.removeSalons([id]);
      await lens.close();
    });
    await killAtEveryStep('removeSalons', { action: 'remove', ids: [id] }, after);
  }, 240_000);

  it('writeState (only the state file and the manifest change)', async () => {
    const after = await afterState(async (dir) => {
      const lens = await openLens(dir, { embedder });
      await lens.writeState('marker', 'after');
      await lens.close();
    });
    await killAtEveryStep('writeState', { action: 'state', value: 'after' }, after);
  }, 240_000);

  it('a second crash while the next writer sweeps the first one’s leftovers', async () => {
    const after = await afterState(async (dir) => {
      const lens = await openLens(dir, { embedder });
      await lens.addSalons(salons);
      await lens.close();
    });
    // First crash: every new data file and the manifest temp file are on disk.
    const crashed = await copyStore(baseDir);
    const add = { action: 'add' as const, salonsFile };
    const census = await listFaultPoints(child, { ...add, store: await copyStore(baseDir) });
    const first = census.indexOf('manifest.json: temp-fsynced') + 1;
    await runChild(child, { ...add, store: crashed }, { faultPoint: first });
    // The next writer takes the stale lock, then removes each leftover: kill it there.
    const points = await listFaultPoints(child, { ...add, store: await copyStore(crashed) });
    const firstWrite = points.findIndex((label) => label.endsWith(': temp-created'));
    const sweep = points.slice(0, firstWrite).map((label, i) => ({ label, i }));
    expect(sweep.map((s) => s.label)).toEqual([
      'lock: stale lock removed',
      'lock: created',
      ...sweep.slice(2).map((s) => s.label),
    ]);
    // The orphaned state file (neighbourhood statistics), the two segment files and
    // the manifest's temp file.
    expect(sweep.slice(2).every((s) => s.label.startsWith('cleanup: removed'))).toBe(true);
    expect(sweep.length - 2).toBe(4);
    const outcomes = await inPool(sweep, 2, async ({ i }) => {
      const dir = await copyStore(crashed);
      await runChild(child, { ...add, store: dir }, { faultPoint: i + 1 });
      return expectOneOf(dir, { before, after }, embedder);
    });
    expect(outcomes.every((o) => o === 'before')).toBe(true);
    tried.sweep = `${sweep.length}/${sweep.length}`;
    process.stderr.write(
      `[crash] kill points tried (of the write's steps): ${JSON.stringify(tried)}\n`,
    );
  }, 240_000);
});
