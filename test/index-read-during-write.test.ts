/**
 * Searches on a lens while the same lens writes: a write changes the lens's memory
 * in place (graph, vectors, items, statistics) before it commits, so every search
 * must answer from one complete state, the store before the write or after it,
 * never from the half-applied memory between (which a failed save never commits).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { type Lens, openLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { copyStore, removeCopies, storeWith } from './helpers/index-crash.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { editSalon, exampleSalons } from './helpers/index-store.js';

let embedder: Embedder;
let salons: Salon[];

beforeAll(async () => {
  embedder = await hashingEmbedder(64);
  salons = await exampleSalons();
});

afterAll(removeCopies);

const QUERY = 'who owns the models and the data';

/** What a search answers: ids and CSLS scores (the statistics count too). */
async function answer(lens: Lens, exact: boolean): Promise<string> {
  const hits = await lens.search(QUERY, { k: 12, exact });
  return hits.map((h) => `${h.item.id} ${h.score.toFixed(5)}`).join(', ');
}

describe('a search during the same lens’s write', () => {
  it('answers from the store before the write or after it, at every stage of the write', async () => {
    const base = await storeWith(embedder, salons.slice(0, 3), { prefix: 'rw-' });
    // The write replaces a stored salon (its old vectors are cleared first) and adds two.
    const edited = editSalon(salons[1] as Salon, (items) => items.slice(2));
    const write = [edited, ...salons.slice(3)];
    const states = new Map<string, string>();
    for (const [name, dir] of [
      ['before', base],
      ['after', await copyStore(base)],
    ] as const) {
      const lens = await openLens(dir, { embedder });
      if (name === 'after') await lens.addSalons(write);
      for (const exact of [true, false]) states.set(await answer(lens, exact), name);
      await lens.close();
    }

    const lens = await openLens(await copyStore(base), { embedder });
    const during: Array<{ stage: string; answer: Promise<string> }> = [];
    await lens.addSalons(write, {
      onProgress: (p) => {
        // Not awaited: the searches run while the write goes on.
        for (const exact of [true, false])
          during.push({ stage: p.stage, answer: answer(lens, exact) });
      },
    });
    const stages = new Set(during.map((d) => d.stage));
    for (const stage of ['embed', 'index', 'statistics', 'save']) expect(stages).toContain(stage);
    for (const { stage, answer } of during) {
      expect(states.get(await answer), `a search during ${stage}`).toBeDefined();
    }
    // And after the write: the new state.
    expect(states.get(await answer(lens, true))).toBe('after');
    await lens.close();
  });
});
