/**
 * Incremental saves (store formats 2 and 3): a write appends a segment with only the
 * new items and vectors, records removals in the manifest, saves the salons and state
 * rows it changed as a patch, and leaves the graph, salon and state files alone;
 * readers replay segments and removals on the base graph, fold the patches, and see
 * exactly what the writer holds. Compaction rewrites the base when the appended part grows.
 * A format-1 store (test/fixtures/store-v1, written by the code before format 2)
 * opens, searches and is upgraded by its first write.
 */
import { cp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { NEIGHBOURHOODS_STATE_KEY } from '../src/index/csls/neighbourhoods.js';
import {
  createLens,
  type Lens,
  manifestFiles,
  openLens,
  readManifest,
  STORE_FORMAT_VERSION,
  verifyLens,
} from '../src/index/index.js';
import { MAX_SEGMENTS } from '../src/index/storage/file/store-files.js';
import type { Salon } from '../src/parse/index.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { editSalon, exampleSalons, tempStoreDir } from './helpers/index-store.js';
import { repoRoot } from './helpers/shared-data.js';

let embedder: Embedder;
let salons: Salon[];
const dirs: string[] = [];

beforeAll(async () => {
  embedder = await hashingEmbedder(64);
  salons = await exampleSalons();
});

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const dir = await tempStoreDir('incremental-');
  dirs.push(dir);
  return dir;
}

async function sizes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of await readdir(dir)) out.set(name, (await stat(path.join(dir, name))).size);
  return out;
}

/** The example salons `times` over under new ids (a store where one salon is a small share). */
function copies(times: number): Salon[] {
  return Array.from({ length: times }, (_, c) =>
    salons.map((salon) => renamed(salon, `${salon.id}-copy${c}`)),
  ).flat();
}

function renamed(salon: Salon, id: string, items = salon.items): Salon {
  return {
    ...salon,
    id,
    source: `${salon.source}#${id}`,
    items: items.map((item) => ({ ...item, salonId: id, id: `${id}#${item.id.split('#')[1]}` })),
  };
}

/** What a lens answers, as plain data: items in order, and a few searches through the graph. */
async function answers(lens: Lens): Promise<string> {
  const snap = await lens.snapshot();
  const queries = ['who owns the models', 'privacy', 'art and authorship', 'work'];
  const hits = [];
  for (const q of queries) {
    hits.push((await lens.search(q, { k: 8 })).map((h) => `${h.item.id} ${h.score}`));
    hits.push((await lens.search(q, { k: 5, section: 'question' })).map((h) => h.item.id));
  }
  return JSON.stringify({ items: snap.items.map((i) => i.id), vectors: snap.vectors, hits });
}

describe('incremental saves', () => {
  // Besides the segment, a write saves a patch: the salons it added or removed and the
  // rows of the derived state it changed (the neighbourhood statistics of CSLS scoring,
  // src/index/csls/neighbourhoods.ts, which must commit in the same write as the items).
  it('an add writes one segment (new items and vectors only) and a patch; every base file stays', async () => {
    const dir = await newDir();
    const lens = await createLens(dir, { embedder });
    await lens.addSalons(salons.slice(0, 3));
    const first = await readManifest(dir);
    expect(first.delta).toEqual([]);
    const before = await sizes(dir);

    await lens.addSalons(salons.slice(0, 4));
    const after = await readManifest(dir);
    expect(after.version).toBe(STORE_FORMAT_VERSION);
    expect(after.files).toEqual(first.files);
    expect(after.delta).toHaveLength(1);
    expect(after.patches).toHaveLength(1);
    expect(after.salonCount).toBe(4);
    const segment = after.delta[0];
    const added = salons[3] as Salon;
    expect(segment?.firstLabel).toBe(first.labelCount);
    expect(segment?.labelCount).toBe(added.items.length);
    expect(segment?.vectors.bytes).toBe(added.items.length * embedder.dim * 4);
    const now = await sizes(dir);
    const written = [...now.keys()].filter((name) => !before.has(name) && name !== 'lock');
    expect(written.sort()).toEqual(
      [segment?.items.name, segment?.vectors.name, after.patches[0]?.name].sort(),
    );
    // Every base file is untouched (same name, same size); only the manifest changed.
    for (const [name, size] of before)
      if (name !== 'manifest.json') expect(now.get(name)).toBe(size);

    const reader = await openLens(dir, { embedder, readOnly: true });
    expect(await answers(reader)).toBe(await answers(lens));
    expect(reader.manifest.itemCount).toBe(
      salons.slice(0, 4).reduce((n, s) => n + s.items.length, 0),
    );
    await reader.close();
    await lens.close();
    expect((await verifyLens(dir)).ok).toBe(true);
  });

  it('a removal writes only the manifest and a patch; replacing a salon appends its new items', async () => {
    const dir = await newDir();
    const lens = await createLens(dir, { embedder });
    const stored = copies(4);
    await lens.addSalons(stored);
    const base = await readManifest(dir);
    const names = new Set(await readdir(dir));

    const gone = stored[1] as Salon;
    await lens.removeSalons([gone.id]);
    const removed = await readManifest(dir);
    expect(removed.files).toEqual(base.files);
    expect(removed.delta).toEqual([]);
    expect(removed.deleted).toEqual([
      expect.objectContaining({ to: expect.any(Number), generation: removed.generation }),
    ]);
    const span = removed.deleted.reduce((n, r) => n + r.to - r.from, 0);
    expect(span).toBe(gone.items.length);
    expect(removed.patches).toHaveLength(1);
    expect([...(await readdir(dir))].filter((n) => !names.has(n))).toEqual([
      removed.patches[0]?.name,
    ]);

    // Replace one salon's content: its old labels are removed, its new items appended.
    const changed = editSalon(stored[2] as Salon, (items) => items.slice(0, 5));
    await lens.addSalons([changed]);
    const replaced = await readManifest(dir);
    expect(replaced.delta).toHaveLength(1);
    expect(replaced.delta[0]?.labelCount).toBe(5);

    const reader = await openLens(dir, { embedder, readOnly: true });
    expect(await answers(reader)).toBe(await answers(lens));
    expect(reader.salons().map((s) => s.id)).not.toContain(gone.id);
    const ids = (await reader.snapshot()).items.filter((i) => i.salonId === changed.id);
    expect(ids.map((i) => i.id)).toEqual(changed.items.map((i) => i.id));
    expect((await reader.recallCheck({ sample: 50 })).recall).toBeGreaterThanOrEqual(0.98);
    await reader.close();
    await lens.close();
  });

  it(`compacts (rewrites the base, graph included) after ${MAX_SEGMENTS} segments`, async () => {
    const dir = await newDir();
    const lens = await createLens(dir, { embedder });
    const first = salons[0] as Salon;
    await lens.addSalons([first]);
    const base = (await readManifest(dir)).files.hnsw.name;
    // Each add is a new one-item salon: one segment each.
    const one = (i: number): Salon =>
      renamed(first, `extra-${String(i).padStart(3, '0')}`, first.items.slice(i % 5, (i % 5) + 1));
    for (let i = 0; i < MAX_SEGMENTS; i++) await lens.addSalons([one(i)]);
    expect((await readManifest(dir)).delta).toHaveLength(MAX_SEGMENTS);
    await lens.addSalons([one(MAX_SEGMENTS)]);
    const compacted = await readManifest(dir);
    expect(compacted.delta).toEqual([]);
    expect(compacted.deleted).toEqual([]);
    expect(compacted.files.hnsw.name).not.toBe(base);
    // Only the new base's files (and the manifest) remain.
    const files = (await readdir(dir)).filter((n) => n !== 'manifest.json' && n !== 'lock');
    expect(files.sort()).toEqual(
      manifestFiles(compacted)
        .map((f) => f.name)
        .sort(),
    );
    const reader = await openLens(dir, { embedder, readOnly: true });
    expect(await answers(reader)).toBe(await answers(lens));
    await reader.close();
    await lens.close();
  });
});

describe('patches (salon list and derived state)', () => {
  it('carry every changed row: a reader folds them into exactly the writer state, base files untouched', async () => {
    const dir = await newDir();
    const lens = await createLens(dir, { embedder });
    const stored = copies(3);
    await lens.addSalons(stored.slice(0, 8));
    const base = await readManifest(dir);
    // Adds change neighbour lists of items already stored; a change and a removal too.
    await lens.addSalons(stored.slice(8, 11));
    await lens.addSalons([editSalon(stored[2] as Salon, (items) => items.slice(2))]);
    await lens.removeSalons([(stored[5] as Salon).id]);
    await lens.writeState('marker', { n: 1 });
    const now = await readManifest(dir);
    expect(now.files).toEqual(base.files);
    expect(now.patches).toHaveLength(4);
    // The statistics as the writer holds them in memory...
    const writerStats = await lens.readState(NEIGHBOURHOODS_STATE_KEY);
    const reader = await openLens(dir, { embedder, readOnly: true });
    // ...and as a reader rebuilds them from the base state file plus the patches.
    expect(await reader.readState(NEIGHBOURHOODS_STATE_KEY)).toEqual(writerStats);
    expect(await reader.readState('marker')).toEqual({ n: 1 });
    expect(reader.salons()).toEqual(lens.salons());
    expect(await answers(reader)).toBe(await answers(lens));
    await reader.close();
    // A write that changes one small key saves that key, not the statistics beside it.
    expect(now.patches[3]?.bytes).toBeLessThan(200);
    expect(base.files.state.bytes).toBeGreaterThan(5_000);
    await lens.close();
    expect((await verifyLens(dir)).ok).toBe(true);
  });

  it(`are folded into whole salon and state files after ${MAX_SEGMENTS}`, async () => {
    const dir = await newDir();
    const lens = await createLens(dir, { embedder });
    await lens.addSalons(salons.slice(0, 2));
    const base = await readManifest(dir);
    for (let i = 0; i < MAX_SEGMENTS; i++) await lens.writeState('counter', i);
    expect((await readManifest(dir)).patches).toHaveLength(MAX_SEGMENTS);
    await lens.writeState('counter', MAX_SEGMENTS);
    const folded = await readManifest(dir);
    expect(folded.patches).toEqual([]);
    expect(folded.files.state.name).not.toBe(base.files.state.name);
    expect(folded.files.salons?.name).not.toBe(base.files.salons?.name);
    // Items, vectors and graph are not part of the fold.
    expect(folded.files.hnsw).toEqual(base.files.hnsw);
    const reader = await openLens(dir, { embedder, readOnly: true });
    expect(await reader.readState('counter')).toBe(MAX_SEGMENTS);
    expect(reader.salons()).toEqual(lens.salons());
    await reader.close();
    await lens.close();
  });
});

describe('a format-1 store (written before incremental saves)', () => {
  it('opens, verifies and answers; its first write saves it in the current format', async () => {
    const dir = await newDir();
    await cp(path.join(repoRoot, 'test/fixtures/store-v1'), dir, { recursive: true });
    expect((await readManifest(dir)).version).toBe(1);
    expect((await verifyLens(dir)).ok).toBe(true);
    const reader = await openLens(dir, { embedder, readOnly: true });
    expect(reader.salons().map((s) => s.id)).toEqual([
      '2024-09-14-who-owns-the-models',
      '2024-10-19-art-and-authorship',
    ]);
    expect(await reader.readState('marker')).toBe('v1');
    const hits = await reader.search('who owns the models', { k: 3 });
    expect(hits).toHaveLength(3);
    const v1Answers = await answers(reader);
    await reader.close();

    const writer = await openLens(dir, { embedder });
    await writer.addSalons(salons.slice(0, 3));
    await writer.close();
    const upgraded = await readManifest(dir);
    expect(upgraded.version).toBe(STORE_FORMAT_VERSION);
    expect(upgraded.delta).toHaveLength(1);
    // The salon list moves out of the manifest into its own file on the first write.
    expect(upgraded.salons).toBeUndefined();
    expect(upgraded.files.salons).toBeDefined();
    expect(upgraded.salonCount).toBe(3);
    const again = await openLens(dir, { embedder, readOnly: true });
    expect(again.salons()).toHaveLength(3);
    expect(await again.readState('marker')).toBe('v1');
    await again.close();
    expect(v1Answers).toContain('who-owns-the-models');
  });
});
