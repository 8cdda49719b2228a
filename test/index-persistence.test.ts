/**
 * Store durability: a writer SIGKILLed at every save step (and at timed points)
 * leaves the old or the new state; a flipped byte or truncation in any store
 * file is reported naming the file; readers keep a consistent view while a
 * writer saves.
 */
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { SalonLensError } from '../src/errors.js';
import {
  createLens,
  manifestFiles,
  openLens,
  readManifest,
  verifyLens,
} from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import {
  type ChildConfig,
  copyStore,
  crashChild,
  expectOneOf,
  removeCopies,
  runChild,
  writeSalonsFile,
} from './helpers/index-crash.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { exampleSalons, storeFingerprint, tempStoreDir } from './helpers/index-store.js';

let salons: Salon[];
let embedder: Embedder;
let child: string;
let salonsFile: string;
let baseDir: string; // two salons + state marker "before"
let before: string;
let after: string; // all salons added on top of baseDir
let afterState: string; // state marker "after" written on top of baseDir

beforeAll(async () => {
  child = await crashChild();
  salons = await exampleSalons();
  salonsFile = await writeSalonsFile(salons);
  embedder = await hashingEmbedder(64);
  baseDir = await tempStoreDir('base-');
  const lens = await createLens(baseDir, { embedder });
  await lens.addSalons(salons.slice(0, 2));
  await lens.writeState('marker', 'before');
  await lens.close();
  before = await storeFingerprint(baseDir, embedder);

  const full = await copyStore(baseDir);
  const writer = await openLens(full, { embedder });
  await writer.addSalons(salons);
  await writer.close();
  after = await storeFingerprint(full, embedder);

  const stated = await copyStore(baseDir);
  const w2 = await openLens(stated, { embedder });
  await w2.writeState('marker', 'after');
  await w2.close();
  afterState = await storeFingerprint(stated, embedder);
  expect(new Set([before, after, afterState]).size).toBe(3);
});

afterAll(async () => {
  await removeCopies();
  await rm(baseDir, { recursive: true, force: true });
});

function config(dir: string, action: 'add' | 'state', pauseAt = 'never'): ChildConfig {
  return { store: dir, action, salonsFile, pauseAt };
}

describe('crash consistency (child process SIGKILLed mid-write)', () => {
  it('addSalons killed after each stage and each durable save step: old or new state, never mixed', async () => {
    // parse, embed, index and every save step (an appended segment's items and vectors,
    // the patch with the salons and neighbourhood statistics it changed, the manifest
    // switch, then cleanup)
    const points = [
      'parse:1',
      'embed:74',
      'index:74',
      'save:1',
      'save:2',
      'save:3',
      'save:4',
      'save:5',
    ];
    const total = salons.slice(2).reduce((n, s) => n + s.items.length, 0);
    const outcomes: string[] = [];
    // Parse progress counts the salons handed in (all of them, parsed already).
    const parsed = (p: string) => (p === 'parse:1' ? `parse:${salons.length}` : p);
    for (const point of points.map((p) => parsed(p.replace(':74', `:${total}`)))) {
      const dir = await copyStore(baseDir);
      expect((await runChild(child, config(dir, 'add', point))).outcome).toBe('killed');
      outcomes.push(`${point}=${await expectOneOf(dir, { before, after }, embedder)}`);
    }
    // Up to the manifest switch (save step 4) the old state stays; from it on, the new one.
    expect(outcomes).toEqual([
      `parse:${salons.length}=before`,
      `embed:${total}=before`,
      `index:${total}=before`,
      'save:1=before',
      'save:2=before',
      'save:3=before',
      'save:4=after',
      'save:5=after',
    ]);
  }, 120_000);

  it('writers killed at timed points (inside file writes too) leave old or new state', async () => {
    let seen = 0;
    for (const [action, delay] of [
      ['add', 0],
      ['add', 10],
      ['add', 30],
      ['state', 0],
      ['state', 5],
    ] as const) {
      const dir = await copyStore(baseDir);
      await runChild(child, config(dir, action), { delayMs: delay });
      await expectOneOf(dir, { before, after: action === 'add' ? after : afterState }, embedder);
      seen++;
    }
    expect(seen).toBe(5);
  }, 120_000);
});

describe('corruption detection', () => {
  it('a flipped byte or a truncation in any store file is reported, naming the file', async () => {
    // The base files plus one appended segment (items and vectors) and two patches
    // (the base's state marker, then the add's salons and statistics).
    const appended = await copyStore(baseDir);
    const writer = await openLens(appended, { embedder });
    await writer.addSalons(salons);
    await writer.close();
    const manifest = await readManifest(appended);
    expect(manifest.delta).toHaveLength(1);
    expect(manifest.patches).toHaveLength(2);
    const files = ['manifest.json', ...manifestFiles(manifest).map((f) => f.name)];
    expect(files).toHaveLength(10);
    for (const name of files) {
      for (const damage of ['flip', 'truncate'] as const) {
        const dir = await copyStore(appended);
        const file = path.join(dir, name);
        const bytes = await readFile(file);
        if (damage === 'flip') {
          const at = Math.floor(bytes.length / 2);
          bytes[at] = (bytes[at] as number) ^ 0x01;
          await writeFile(file, bytes);
        } else {
          await truncate(file, Math.floor(bytes.length / 2));
        }
        const report = await verifyLens(dir);
        expect(report.ok, `${damage} ${name}`).toBe(false);
        expect(report.problems[0]?.file).toBe(file);
        expect(report.advice).toMatch(/--force/);
        let caught: unknown;
        try {
          await openLens(dir, { embedder, readOnly: true });
        } catch (error) {
          caught = error;
        }
        expect(caught, `${damage} ${name}`).toBeInstanceOf(SalonLensError);
        expect((caught as SalonLensError).code).toBe('STORE_CORRUPT');
        expect((caught as SalonLensError).message).toContain(file);
      }
    }
  });

  it('a missing data file is reported', async () => {
    const dir = await copyStore(baseDir);
    const manifest = await readManifest(dir);
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, manifest.files.hnsw.name));
    const report = await verifyLens(dir);
    expect(report.problems).toEqual([
      { file: path.join(dir, manifest.files.hnsw.name), problem: 'is missing' },
    ]);
  });
});

describe('readers beside a writer', () => {
  it('a reader opened before a save keeps its generation; one opened after sees the new one', async () => {
    const dir = await copyStore(baseDir);
    const writer = await openLens(dir, { embedder });
    const early = await openLens(dir, { embedder, readOnly: true });
    const save = writer.addSalons(salons);
    // Readers opening while the save runs always get a complete generation.
    const during = await Promise.all(
      [1, 2, 3].map(() => openLens(dir, { embedder, readOnly: true })),
    );
    await save;
    const late = await openLens(dir, { embedder, readOnly: true });
    expect(early.manifest.salonCount).toBe(2);
    expect((await early.search('who', { k: 1000 })).length).toBe(early.manifest.itemCount);
    for (const r of during) {
      expect([2, salons.length]).toContain(r.manifest.salonCount);
      expect((await r.search('who', { k: 1000 })).length).toBe(r.manifest.itemCount);
      await r.close();
    }
    expect(late.manifest.salonCount).toBe(salons.length);
    await Promise.all([early.close(), late.close(), writer.close()]);
  });
});
