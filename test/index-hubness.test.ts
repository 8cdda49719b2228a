/**
 * CSLS in the lens store (fast `hashing` embedder, example salons): the neighbourhood
 * statistics are saved with the items, survive reopening, and after adds, changes
 * and removals equal a store built from scratch; every score says which scoring
 * produced it; recurring groups are complete-linkage and strongest first.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import {
  NEIGHBOURHOODS_STATE_KEY,
  StoredNeighbourhoods,
} from '../src/index/csls/neighbourhoods.js';
import { createLens, type Lens, openLens } from '../src/index/index.js';
import { openFileStore } from '../src/index/storage/file/file-open.js';
import type { Salon } from '../src/parse/index.js';
import { addAbortedAt, cslsView } from './helpers/csls-view.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { editSalon, exampleSalons, tempStoreDir } from './helpers/index-store.js';

let embedder: Embedder;
let salons: Salon[];
const open: Lens[] = [];

beforeAll(async () => {
  embedder = await hashingEmbedder(64);
  salons = await exampleSalons();
});

afterEach(async () => {
  for (const lens of open.splice(0)) await lens.close();
});

async function fresh(input: Salon[]): Promise<Lens> {
  const lens = await createLens(await tempStoreDir('hub-'), { embedder });
  open.push(lens);
  if (input.length > 0) await lens.addSalons(input);
  return lens;
}

describe('neighbourhood statistics in the store', () => {
  it('are updated in place, and a write that fails after updating them leaves the saved ones in use', async () => {
    const lens = await fresh(salons.slice(0, 3));
    const before = await cslsView(lens);
    // The statistics are already updated when the save starts.
    await addAbortedAt(lens, salons.slice(3), 'save');
    expect(await cslsView(lens)).toEqual(before);
    // The next write starts from the saved statistics and still equals a fresh build.
    await lens.addSalons(salons.slice(3));
    expect(await cslsView(lens)).toEqual(await cslsView(await fresh(salons)));
  });

  it('are saved with the items and equal a from-scratch build after adds, a change and a removal', async () => {
    const lens = await fresh([]);
    for (const salon of salons) await lens.addSalons([salon]);
    const changed = editSalon(salons[1] as Salon, (items) => items.slice(1));
    await lens.addSalons([changed]);
    await lens.removeSalons([(salons[3] as Salon).id]);
    const final = [salons[0], changed, salons[2], salons[4]] as Salon[];
    const scratch = await fresh(final);
    expect(await cslsView(lens)).toEqual(await cslsView(scratch));

    const saved = (await lens.readState(NEIGHBOURHOODS_STATE_KEY)) as { ids: string[]; k: number };
    expect(saved.k).toBe(5);
    expect(saved.ids.filter((id) => id !== '').sort()).toEqual(
      (await lens.snapshot()).items.map((i) => i.id).sort(),
    );
    // Reopened read-only: the saved statistics are used as they are.
    const dir = lens.dir;
    const before = await cslsView(lens);
    await lens.close();
    const reader = await openLens(dir, { embedder, readOnly: true });
    open.push(reader);
    expect(await cslsView(reader)).toEqual(before);
  });

  it('a store without saved statistics (older version) rebuilds them in memory', async () => {
    const lens = await fresh(salons);
    const view = await cslsView(lens);
    await lens.writeState(NEIGHBOURHOODS_STATE_KEY, null);
    const dir = lens.dir;
    await lens.close();
    const reader = await openLens(dir, { embedder, readOnly: true });
    open.push(reader);
    expect(await cslsView(reader)).toEqual(view);
  });
});

describe('statistics written one process per write (as the CLI runs)', () => {
  /** Open a writer, run one write, close: each write starts from the saved statistics. */
  async function write(dir: string, run: (lens: Lens) => Promise<unknown>): Promise<void> {
    const lens = await openLens(dir, { embedder });
    await run(lens);
    await lens.close();
  }

  /** A reader's saved statistics, or undefined when it would have to rebuild them. */
  async function savedStats(dir: string) {
    const store = await openFileStore(dir, { embedder, readOnly: true });
    try {
      return await StoredNeighbourhoods.load(store);
    } finally {
      await store.close();
    }
  }

  it('after an edit (a question becomes an insight), a growing add, a removal and an add, scores equal a fresh build and readers never rebuild', async () => {
    const [a, b, c, d, e] = salons as [Salon, Salon, Salon, Salon, Salon];
    const lens = await fresh([a, b, c, e]);
    const dir = lens.dir;
    await lens.close();
    open.splice(open.indexOf(lens), 1);
    // Same item count, but the item ids change: e's first question is now an insight.
    // (Small next to the store, so the write appends and saves a patch, not the whole state.)
    const first = e.items.findIndex((item) => item.section === 'question');
    const edited = editSalon(e, (items) =>
      items.map((item, i) => (i === first ? { ...item, section: 'insight' as const } : item)),
    );
    expect(edited.items.map((i) => i.id)).not.toEqual(e.items.map((i) => i.id));
    const steps: Array<{ name: string; run: (lens: Lens) => Promise<unknown>; now: Salon[] }> = [
      { name: 'edit', run: (l) => l.addSalons([edited]), now: [a, b, c, edited] },
      { name: 'add (grows)', run: (l) => l.addSalons([d]), now: [a, b, c, d, edited] },
      { name: 'remove', run: (l) => l.removeSalons([a.id]), now: [b, c, d, edited] },
      { name: 'add again', run: (l) => l.addSalons([a]), now: [a, b, c, d, edited] },
    ];
    for (const step of steps) {
      await write(dir, step.run);
      // A reader uses the saved statistics (no rebuild on every command)...
      expect(await savedStats(dir), step.name).toBeDefined();
      const reader = await openLens(dir, { embedder, readOnly: true });
      open.push(reader);
      // ...and they score like statistics built from scratch for the same salons.
      expect(await cslsView(reader), step.name).toEqual(await cslsView(await fresh(step.now)));
    }
  });
});

describe('scoring in results', () => {
  it('search, similarTo and hybrid say which scoring produced each score; cosine stays available', async () => {
    const lens = await fresh(salons);
    const fused = await lens.search('who owns the data a model was trained on', { k: 5 });
    expect(fused.every((h) => h.scoring === 'fused' && typeof h.cosine === 'number')).toBe(true);
    expect(fused.map((h) => h.score)).toEqual([...fused.map((h) => h.score)].sort((a, b) => b - a));
    const csls = await lens.search('who owns the data a model was trained on', {
      k: 5,
      mode: 'vector',
    });
    expect(csls.every((h) => h.scoring === 'csls' && typeof h.cosine === 'number')).toBe(true);
    expect(csls.map((h) => h.score)).toEqual([...csls.map((h) => h.score)].sort((a, b) => b - a));
    const cosine = await lens.search('who owns the data a model was trained on', {
      k: 5,
      mode: 'vector',
      scoring: 'cosine',
    });
    expect(cosine.every((h) => h.scoring === 'cosine' && h.score === h.cosine)).toBe(true);
    const hybrid = await lens.search('who owns the data', { k: 5, mode: 'hybrid' });
    expect(hybrid).toHaveLength(5);
    // Hybrid reports the fused rank score (rrf), with the plain cosine beside it.
    expect(hybrid.every((h) => h.scoring === 'rrf' && typeof h.cosine === 'number')).toBe(true);
    const lexical = await lens.search('who owns the data', { k: 5, mode: 'lexical' });
    expect(lexical.length).toBeGreaterThan(0);
    expect(lexical.every((h) => h.scoring === 'bm25' && h.cosine === undefined)).toBe(true);
    const first = csls[0]?.item.id as string;
    expect((await lens.similarTo(first, { k: 3 })).every((h) => h.scoring === 'csls')).toBe(true);
  });

  it('recurring groups: every link at or above the threshold, capped, one per salon, strongest first', async () => {
    const lens = await fresh(salons);
    for (const scoring of ['contrastive', 'csls', 'cosine'] as const) {
      const groups = await lens.similarQuestions({
        scoring,
        threshold: scoring === 'cosine' ? 0.2 : -0.2,
        maxSize: 3,
      });
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        expect(g.scoring).toBe(scoring);
        expect(g.questions.length).toBeLessThanOrEqual(3);
        expect(g.salons).toHaveLength(g.questions.length);
        expect(g.links).toHaveLength((g.questions.length * (g.questions.length - 1)) / 2);
        for (const l of g.links) expect(l.score).toBeGreaterThanOrEqual(g.threshold);
        expect(g.weakestLink).toBe(Math.min(...g.links.map((l) => l.score)));
      }
      // Most widely asked first, then strongest (weakest link) first.
      const ranks = groups.map((g) => [g.salons.length, g.weakestLink] as const);
      expect(ranks).toEqual([...ranks].sort((a, b) => b[0] - a[0] || b[1] - a[1]));
    }
  });

  it('contrastive is the default and falls back to CSLS above contrastMaxQuestions, saying so', async () => {
    const lens = await fresh(salons);
    const byDefault = await lens.similarQuestions({ threshold: -0.2 });
    expect(byDefault.length).toBeGreaterThan(0);
    expect(byDefault.every((g) => g.scoring === 'contrastive')).toBe(true);
    const capped = await lens.similarQuestions({ threshold: -0.2, contrastMaxQuestions: 1 });
    expect(capped.every((g) => g.scoring === 'csls')).toBe(true);
    expect(capped).toEqual(await lens.similarQuestions({ threshold: -0.2, scoring: 'csls' }));
  });
});
