/**
 * The vector API for apps that embed elsewhere: `searchVector` answers like `search`
 * for the same query vector, and `addSalons({ vectorOf })` stores given vectors
 * without calling the embedder (only items without one are embedded).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import { createLens, type Lens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { countingEmbedder, hashingEmbedder } from './helpers/index-embedders.js';
import { exampleSalons, tempStoreDir } from './helpers/index-store.js';

let embedder: Embedder;
let salons: Salon[];
let lens: Lens;
let dir: string;
const dirs: string[] = [];

beforeAll(async () => {
  embedder = await hashingEmbedder(64);
  salons = await exampleSalons();
  dir = await tempStoreDir('vector-');
  dirs.push(dir);
  lens = await createLens(dir, { embedder });
  await lens.addSalons(salons);
});

afterAll(async () => {
  await lens.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const embed = async (text: string) => (await embedder.embed([text]))[0] as Float32Array;
const code = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (error) {
    return isSalonLensError(error) ? error.code : 'other';
  }
  return 'none';
};

describe('searchVector', () => {
  it('answers like vector-mode search for the same query vector, with and without filters', async () => {
    // searchVector has no text, so no keywords and no query feedback: it is search's
    // vector mode (the default fused mode adds both).
    const vector = { mode: 'vector' } as const;
    for (const text of ['who owns the models', 'privacy at work', 'elections and truth']) {
      const v = await embed(text);
      expect(await lens.searchVector(v, { k: 7 })).toEqual(
        await lens.search(text, { k: 7, ...vector }),
      );
      expect(await lens.searchVector(v, { k: 4, section: 'question' })).toEqual(
        await lens.search(text, { k: 4, section: 'question', ...vector }),
      );
      expect(await lens.searchVector(v, { exact: true })).toEqual(
        await lens.search(text, { exact: true, ...vector }),
      );
    }
  });

  it('takes plain arrays and any length of vector (it normalises)', async () => {
    const v = await embed('schools and jobs');
    const scaled = Array.from(v, (x) => x * 3);
    expect(await lens.searchVector(scaled, { k: 5 })).toEqual(await lens.searchVector(v, { k: 5 }));
  });

  it('refuses a wrong dimension, a zero vector, a text mode and unknown options', async () => {
    expect(await code(() => lens.searchVector(new Float32Array(63).fill(1)))).toBe(
      'INVALID_OPTIONS',
    );
    expect(await code(() => lens.searchVector(new Float32Array(64)))).toBe('INVALID_OPTIONS');
    const v = new Float32Array(64).fill(0.125);
    expect(await code(() => lens.searchVector(v, { mode: 'lexical' } as never))).toBe(
      'INVALID_OPTIONS',
    );
    expect(await code(() => lens.searchVector(v, { k: 0 }))).toBe('INVALID_OPTIONS');
    expect(await code(() => lens.searchVector(v, { kk: 3 } as never))).toBe('INVALID_OPTIONS');
    expect(await lens.searchVector(v, { k: 3 })).toHaveLength(3);
  });
});

describe('addSalons with precomputed vectors', () => {
  it('stores the given vectors without embedding; embeds only items without one', async () => {
    const counting = countingEmbedder(embedder);
    const d = await tempStoreDir('vector-add-');
    dirs.push(d);
    const store = await createLens(d, { embedder: counting });
    const given = new Map<string, Float32Array>();
    for (const salon of salons.slice(0, 3))
      for (const item of salon.items) given.set(item.id, await embed(item.text));
    counting.calls = 0;
    counting.texts = 0;
    const first = await store.addSalons(salons.slice(0, 3), {
      vectorOf: (item) => given.get(item.id),
    });
    expect(counting.texts).toBe(0);
    expect(first.embeddedItems).toBe(0);
    expect(first.added).toBe(3);

    // Two more salons: one with vectors given, one left to the embedder.
    const fourth = salons[3] as Salon;
    const fifth = salons[4] as Salon;
    for (const item of fourth.items) given.set(item.id, await embed(item.text));
    counting.texts = 0;
    const second = await store.addSalons(salons, { vectorOf: (item) => given.get(item.id) });
    expect(counting.texts).toBe(fifth.items.length);
    expect(second.embeddedItems).toBe(fifth.items.length);

    // Same vectors as the embedder's, so the same store as `lens`: same answers.
    expect(await store.snapshot()).toEqual(await lens.snapshot());
    expect(await store.search('who owns the models', { k: 6 })).toEqual(
      await lens.search('who owns the models', { k: 6 }),
    );
    await store.close();
  });

  it('refuses a given vector of the wrong dimension, naming the item', async () => {
    const d = await tempStoreDir('vector-bad-');
    dirs.push(d);
    const store = await createLens(d, { embedder });
    const salon = salons[0] as Salon;
    const bad = salon.items[2]?.id;
    const error = await store
      .addSalons([salon], {
        vectorOf: (item) => new Float32Array(item.id === bad ? 3 : 64).fill(1),
      })
      .catch((e: unknown) => e);
    expect(isSalonLensError(error, 'INVALID_OPTIONS')).toBe(true);
    expect(String((error as Error).message)).toContain(String(bad));
    expect(store.salons()).toEqual([]);
    await store.close();
  });
});
