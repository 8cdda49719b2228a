/**
 * Library conventions: `await using`, items as an async iterable, vector export and
 * its round trip into another store, `openOrCreate({ readOnly: true })` refusing
 * writes, and a guide of plain names. Hashing embedder on the example salons.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Item,
  isSalonLensError,
  loadSalons,
  readVectorExport,
  type Salon,
  SalonLens,
} from '../src/index.js';
import { tempStoreDir } from './helpers/index-store.js';
import { examplesDir, fixturesDir } from './helpers/shared-data.js';

const hashing = { backend: 'hashing' } as const;
let work: string;
let store: string;
let salons: Salon[];

beforeAll(async () => {
  work = await tempStoreDir('conventions-');
  store = path.join(work, 'store');
  salons = (await loadSalons([examplesDir])).salons;
  const lens = await SalonLens.create(store, { embedder: hashing });
  await lens.add(salons);
  await lens.close();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('library conventions', () => {
  it('await using closes the lens (its write lock is free after the block)', async () => {
    {
      await using lens = await SalonLens.open(store);
      expect(lens.info.itemCount).toBe(80);
      // While it is open, a second writer is refused.
      await expect(SalonLens.open(store)).rejects.toSatisfy((e) =>
        isSalonLensError(e, 'STORE_LOCKED'),
      );
    }
    await using again = await SalonLens.open(store);
    expect(again.info.itemCount).toBe(80);
  });

  it('items() iterates every stored item with its vector, in salon then document order', async () => {
    await using lens = await SalonLens.open(store, { readOnly: true });
    const seen: Item[] = [];
    for await (const { item, vector } of lens.items()) {
      expect(vector).toHaveLength(lens.embedder.dim);
      seen.push(item);
    }
    expect(seen.map((i) => i.id)).toEqual(salons.flatMap((s) => s.items.map((i) => i.id)));
  });

  it.each(['vectors.jsonl', 'vectors.f32'])(
    'exportVectors(%s) round-trips: same vectors, and a new store built from them embeds nothing',
    async (name) => {
      const file = path.join(work, name);
      await using lens = await SalonLens.open(store, { readOnly: true });
      const exported = await lens.exportVectors(file);
      expect(exported.count).toBe(80);
      const back = await readVectorExport(file);
      expect(back).toMatchObject({ embedder: 'hashing@512', dim: 512 });
      for await (const { item, vector } of lens.items()) {
        expect(back.vectors.get(item.id)).toEqual(vector);
      }
      await using copy = await SalonLens.create(path.join(work, `copy-${name}`), {
        embedder: hashing,
      });
      const added = await copy.add(salons, { vectorOf: (item) => back.vectors.get(item.id) });
      expect(added.embeddedItems).toBe(0);
      const query = 'who owns the models trained on artists work';
      const ids = async (l: SalonLens) => (await l.search(query, { k: 10 })).map((h) => h.item.id);
      expect(await ids(copy)).toEqual(await ids(lens));
    },
  );

  it('openOrCreate({ readOnly: true }) opens read-only and refuses writes; creates nothing', async () => {
    await using lens = await SalonLens.openOrCreate(store, { readOnly: true });
    const edited = { ...(salons[0] as Salon), items: (salons[0] as Salon).items.slice(1) };
    await expect(lens.add([edited])).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'STORE_READ_ONLY'),
    );
    expect(lens.info.itemCount).toBe(80);
    const missing = path.join(work, 'missing');
    await expect(SalonLens.openOrCreate(missing, { readOnly: true })).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'STORE_NOT_FOUND'),
    );
    expect(existsSync(missing)).toBe(false);
  });

  it("a wrong option is named in the caller's terms, with the options that exist", async () => {
    await using lens = await SalonLens.open(store, { readOnly: true });
    const error = await lens.search('x', { limit: 3 } as never).catch((e: unknown) => e);
    expect(isSalonLensError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toMatch(
      /^search options: unknown option "limit" \(known: .*\bk\b/,
    );
    const wrongType = await lens.search('x', { k: 'ten' } as never).catch((e: Error) => e.message);
    expect(wrongType).toBe('search options.k: expected number, received string');
  });

  it('sync(paths, { prune }) removes the salons whose document was deleted, and only those', async () => {
    const docs = path.join(work, 'sync-docs');
    await mkdir(docs);
    await cp(examplesDir, docs, { recursive: true });
    await using lens = await SalonLens.create(path.join(work, 'sync-store'), {
      embedder: hashing,
    });
    // Indexed from another folder: never pruned.
    const other = (await loadSalons([path.join(fixturesDir, 'warnings')])).salons[0] as Salon;
    await lens.add([other]);
    const first = await lens.sync([docs]);
    expect(first).toMatchObject({ added: 5, pruned: [] });
    expect(first.warnings.length).toBeGreaterThan(0);
    const gone = (await loadSalons([docs])).salons[1] as Salon;
    await rm(gone.source);
    const second = await lens.sync([docs], { prune: true });
    expect(second.pruned).toEqual([{ id: gone.id, source: gone.source }]);
    expect(second.removedItems).toBe(gone.items.length);
    expect(lens.salons().map((s) => s.id)).not.toContain(gone.id);
    expect(lens.salons().map((s) => s.id)).toContain(other.id);
  });

  it('an unknown salon id in a filter is an error listing the closest ids, not an empty result', async () => {
    await using lens = await SalonLens.open(store, { readOnly: true });
    const known = (salons[2] as Salon).id; // 2024-11-23-privacy-at-work
    expect((await lens.search('privacy', { k: 3, salon: known })).length).toBe(3);
    const typo = await lens
      .search('privacy', { salon: 'privacy-at-work' })
      .catch((e: unknown) => e);
    expect(isSalonLensError(typo, 'INVALID_OPTIONS')).toBe(true);
    expect((typo as Error).message).toBe(
      `search options.salon: no such salon "privacy-at-work"; closest ids: ${known}`,
    );
    await expect(lens.similarQuestions({ salon: ['nope'] })).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'INVALID_OPTIONS'),
    );
  });

  it('themes({ guide }) takes plain names, as the guide file does', async () => {
    await using lens = await SalonLens.open(store, { readOnly: true });
    const result = await lens.themes({ guide: ['privacy', 'copyright'], persist: false });
    expect(result.themes.filter((t) => t.kind === 'guided').map((t) => t.label)).toEqual([
      'privacy',
      'copyright',
    ]);
    await expect(lens.themes({ guide: [''], persist: false })).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'INVALID_OPTIONS'),
    );
  });
});
