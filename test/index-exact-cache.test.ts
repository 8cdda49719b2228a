/**
 * Repeated exact scans of one filtered subset read its rows once and then from
 * memory (file-store.ts, PACKED_SUBSET_BYTES): the answers must equal a brute-force
 * ranking of the stored vectors on every repeat, with and without exclusions, and
 * must follow the store after an add and a removal (no stale rows).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { createLens, type Lens } from '../src/index/index.js';
import { dot } from '../src/index/storage/seam.js';
import type { Salon } from '../src/parse/index.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { exampleSalons, tempStoreDir } from './helpers/index-store.js';

let embedder: Embedder;
let salons: Salon[];
let lens: Lens;
let dir: string;

beforeAll(async () => {
  embedder = await hashingEmbedder(64);
  salons = await exampleSalons();
  dir = await tempStoreDir('exact-cache-');
  lens = await createLens(dir, { embedder });
  await lens.addSalons(salons.slice(1));
});

afterAll(async () => {
  await lens.close();
  await rm(dir, { recursive: true, force: true });
});

/** Ids of the k best stored questions by cosine (ties by id), optionally outside one salon. */
async function bruteForce(v: Float32Array, k: number, excludeSalon?: string): Promise<string[]> {
  const { items, vectors } = await lens.snapshot();
  return items
    .map((item, i) => ({ item, score: dot(v, vectors[i] as Float32Array) }))
    .filter(({ item }) => item.section === 'question' && item.salonId !== excludeSalon)
    .sort((a, b) => b.score - a.score || (a.item.id < b.item.id ? -1 : 1))
    .slice(0, k)
    .map(({ item }) => item.id);
}

async function questionIds(v: Float32Array, k: number, excludeSalon?: string) {
  const hits = await lens.searchVector(v, {
    k,
    section: 'question',
    scoring: 'cosine',
    ...(excludeSalon ? { excludeSalon } : {}),
  });
  return hits.map((h) => h.item.id);
}

describe('exact scans of a filtered subset, repeated', () => {
  it('answer like brute force on every repeat, and follow an add and a removal', async () => {
    const texts = ['who owns the models', 'privacy at work', 'elections and truth'];
    const vectors = await embedder.embed(texts);
    const check = async () => {
      // Three rounds: the first reads rows from the file, the second packs them, the
      // third answers from memory; exclusions apply on top of the subset.
      for (let round = 0; round < 3; round++) {
        for (const v of vectors) {
          expect(await questionIds(v, 6)).toEqual(await bruteForce(v, 6));
          const other = lens.salons()[0]?.id as string;
          expect(await questionIds(v, 4, other)).toEqual(await bruteForce(v, 4, other));
        }
      }
    };
    await check();
    // An added salon's questions must be found (a stale packed subset would miss them).
    const added = salons[0] as Salon;
    await lens.addSalons([added]);
    const question = added.items.find((item) => item.section === 'question');
    expect(question).toBeDefined();
    const own = (await embedder.embed([question?.text as string]))[0] as Float32Array;
    expect((await questionIds(own, 1))[0]).toBe((await bruteForce(own, 1))[0]);
    await check();
    // A removed salon's questions must be gone.
    await lens.removeSalons([added.id]);
    const after = await questionIds(own, 10);
    expect(after.every((id) => !id.startsWith(`${added.id}#`))).toBe(true);
    expect(after).toEqual(await bruteForce(own, 10));
    await check();
  });
});
