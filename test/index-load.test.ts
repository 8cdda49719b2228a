/**
 * The store with many salons, for correctness (sizes, memory and speed are in
 * `npm run bench:load`, which does 200 and 2,000 salons and records peak RSS against
 * the store's size): 60 generated salons (2,400 items) through the real parser into
 * one store with the hashing embedder. The store verifies and reopens, search,
 * filters, similarTo and similarQuestions answer, and the recurring questions planted
 * across salons (15 of them, about 8 salons each, so some exceed the group size cap)
 * come back grouped. Also: the linear-time grouping of similar questions agrees with
 * the plain pairwise algorithm it replaced.
 */

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadCorpus, writeLoadCorpus } from '../bench/load-corpus.js';
import type { Embedder } from '../src/embed/index.js';
import { createLens, type Lens, openLens, verifyLens } from '../src/index/index.js';
import { groupPairs, type ScoredPair } from '../src/index/recurring/group-pairs.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { tempStoreDir } from './helpers/index-store.js';

const SALONS = 60;
const ITEMS = 40;
const RECURRING = 15;

let corpus: LoadCorpus;
let embedder: Embedder;
let store: string;
let lens: Lens;
let workDir: string;

beforeAll(async () => {
  const dir = await tempStoreDir('load-');
  workDir = dir;
  corpus = await writeLoadCorpus(path.join(dir, 'salons'), {
    salons: SALONS,
    itemsPerSalon: ITEMS,
    seed: 11,
    recurringQuestions: RECURRING,
  });
  embedder = await hashingEmbedder(64);
  store = path.join(dir, 'store');
  lens = await createLens(store, { embedder });
  await lens.addSalons([corpus.dir]);
});

afterAll(async () => {
  await lens?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe(`one store with ${SALONS} generated salons (${SALONS * ITEMS} items)`, () => {
  it('holds every item and verifies', async () => {
    expect(corpus.items).toBe(SALONS * ITEMS);
    expect(lens.manifest).toMatchObject({ itemCount: SALONS * ITEMS, salonCount: SALONS });
    const report = await verifyLens(store);
    expect(report.ok).toBe(true);
  });

  it('answers search, filtered search and similarTo, also after reopening', async () => {
    const query = 'who owns open weights models trained on artists work';
    const hits = await lens.search(query, { k: 10 });
    expect(hits).toHaveLength(10);
    const questions = await lens.search(query, { k: 10, section: 'question' });
    expect(questions).toHaveLength(10);
    expect(questions.every((h) => h.item.section === 'question')).toBe(true);
    const oneSalon = lens.salons()[17]?.id as string;
    const inSalon = await lens.search(query, { k: 5, salon: oneSalon });
    expect(inSalon.map((h) => h.item.salonId)).toEqual(Array(5).fill(oneSalon));
    const similar = await lens.similarTo(hits[0]?.item.id as string, {
      k: 5,
      crossSalonOnly: true,
    });
    expect(similar).toHaveLength(5);
    expect(similar.every((h) => h.item.salonId !== hits[0]?.item.salonId)).toBe(true);

    // Generated text repeats itself, so most queries tie at the k-th score (the set
    // overlap with exact top-10 is ~0.8 here); every ANN hit still scores like exact.
    expect((await lens.recallCheck({ sample: 100, k: 10 })).recall).toBeGreaterThanOrEqual(0.98);

    const reader = await openLens(store, { embedder, readOnly: true });
    expect(await reader.search(query, { k: 10 })).toEqual(hits);
    await reader.close();
  });

  it('groups the recurring questions planted across salons', async () => {
    // Default (contrastive, built on CSLS): groups capped at 8 questions. A question
    // repeated near-verbatim in more than 5 salons has those repeats as its 5 nearest
    // neighbours, so CSLS inside the cluster sits near 0; grouping caps r (lens.ts,
    // duplicateRadius), so the repeats still share a candidate group (before the cap,
    // half did not), up to the size cap.
    // The cap counts distinct wordings: repeats of one wording count once.
    const defaults = await lens.similarQuestions();
    expect(
      Math.max(...defaults.map((g) => (g.wordings ?? g.questions).length)),
    ).toBeLessThanOrEqual(8);
    const defaultGroupOf = new Map<string, number>();
    defaults.forEach((g, i) => {
      for (const q of g.questions) defaultGroupOf.set(q.item.id, i);
    });
    // Plain cosine with no size cap puts every planted question's repeats in one group.
    const groups = await lens.similarQuestions({ maxSize: 1000, scoring: 'cosine' });
    expect(groups.length).toBeGreaterThan(0);
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => {
      // Cross-salon groups span salons (repeats of one wording are kept together, so a
      // salon that asked it twice shows twice).
      expect(new Set(g.questions.map((q) => q.salon.id)).size).toBeGreaterThan(1);
      for (const q of g.questions) groupOf.set(q.item.id, i);
    });
    const items = (await lens.snapshot()).items;
    let checked = 0;
    corpus.planted.forEach((planted, r) => {
      if (planted.salonTitles.length < 2) return;
      const occurrences = items.filter(
        (i) => i.section === 'question' && i.text.endsWith(`(recurring ${r + 1})?`),
      );
      expect(occurrences).toHaveLength(planted.salonTitles.length);
      // All occurrences of one recurring question end up in one group.
      expect(new Set(occurrences.map((o) => groupOf.get(o.id))).size, planted.question).toBe(1);
      expect(groupOf.get(occurrences[0]?.id as string)).toBeDefined();
      // Default: each repeat shares a candidate group with another repeat of it; only
      // repeats past the size cap may stay out (rather than join the generator's
      // look-alikes, "…a model that was drones on…", as CSLS alone let them).
      const perGroup = new Map<number, number>();
      for (const o of occurrences) {
        const g = defaultGroupOf.get(o.id);
        if (g !== undefined) perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
      }
      const withSibling = [...perGroup.values()].filter((n) => n >= 2).reduce((s, n) => s + n, 0);
      expect(occurrences.length - withSibling, planted.question).toBeLessThanOrEqual(
        Math.max(0, occurrences.length - 8),
      );
      checked++;
    });
    // Every planted question asked in two salons or more was checked, and the cap was
    // exercised: at least one is asked in more than 8 salons.
    expect(checked).toBe(corpus.planted.filter((p) => p.salonTitles.length >= 2).length);
    expect(checked).toBeGreaterThanOrEqual(RECURRING - 1);
    expect(Math.max(...corpus.planted.map((p) => p.salonTitles.length))).toBeGreaterThan(8);
  });

  it('removes salons from results', async () => {
    const gone = lens
      .salons()
      .slice(0, 10)
      .map((s) => s.id);
    const summary = await lens.removeSalons(gone);
    expect(summary).toEqual({ removedSalons: 10, removedItems: 10 * ITEMS });
    const hits = await lens.search('privacy surveillance', { k: 50 });
    expect(hits.some((h) => gone.includes(h.item.salonId))).toBe(false);
    expect(lens.manifest.itemCount).toBe((SALONS - 10) * ITEMS);
    await lens.close();
    expect((await verifyLens(store)).ok).toBe(true);
  });
});

describe('groupPairs', () => {
  /** The pairwise algorithm groupPairs replaced: sums |A| × |B| dot products per merge. */
  function reference(
    vectors: Float32Array[],
    pairs: ScoredPair[],
    threshold: number,
    keyOf: (i: number) => string,
  ): number[][] {
    const parent = vectors.map((_, i) => i);
    const members = new Map<number, number[]>();
    const find = (x: number): number => (parent[x] === x ? x : find(parent[x] as number));
    const dot = (i: number, j: number) => {
      let s = 0;
      const a = vectors[i] as Float32Array;
      const b = vectors[j] as Float32Array;
      for (let d = 0; d < a.length; d++) s += (a[d] as number) * (b[d] as number);
      return s;
    };
    const ordered = [...pairs].sort((p, q) => q.score - p.score || p.a - q.a || p.b - q.b);
    for (const { a, b } of ordered) {
      const ra = find(a);
      const rb = find(b);
      if (ra === rb) continue;
      const ga = members.get(ra) ?? [ra];
      const gb = members.get(rb) ?? [rb];
      const seen = new Set(ga.map(keyOf));
      if (gb.some((j) => seen.has(keyOf(j)))) continue;
      if (ga.length + gb.length > 2) {
        let sum = 0;
        for (const i of ga) for (const j of gb) sum += dot(i, j);
        if (sum / (ga.length * gb.length) < threshold) continue;
      }
      const root = Math.min(ra, rb);
      parent[Math.max(ra, rb)] = root;
      members.set(root, [...ga, ...gb]);
      members.delete(Math.max(ra, rb));
    }
    return [...members.values()]
      .map((g) => [...g].sort((x, y) => x - y))
      .sort((x, y) => (x[0] as number) - (y[0] as number));
  }

  it('gives the same groups as the pairwise average-linkage reference', () => {
    let state = 7;
    const random = () => {
      state = (state * 16807) % 2147483647;
      return state / 2147483647;
    };
    for (let trial = 0; trial < 5; trial++) {
      // 400 vectors around 30 centres, in 40 "salons".
      const dim = 16;
      const centres = Array.from({ length: 30 }, () =>
        Float32Array.from({ length: dim }, () => random() - 0.5),
      );
      const vectors = Array.from({ length: 400 }, () => {
        const c = centres[Math.floor(random() * centres.length)] as Float32Array;
        const v = c.map((x) => x + (random() - 0.5) * 0.5);
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      });
      const keyOf = (i: number) => `s${i % 40}`;
      const pairs: ScoredPair[] = [];
      for (let i = 0; i < vectors.length; i++) {
        for (let j = i + 1; j < vectors.length; j++) {
          let s = 0;
          for (let d = 0; d < dim; d++)
            s += (vectors[i]?.[d] as number) * (vectors[j]?.[d] as number);
          if (s >= 0.7) pairs.push({ a: i, b: j, score: s });
        }
      }
      const threshold = 0.7;
      const expected = reference(vectors, pairs, threshold, keyOf);
      expect(expected.some((g) => g.length > 2)).toBe(true);
      expect(
        groupPairs(vectors.length, pairs, {
          threshold,
          vectorOf: (i) => vectors[i] as Float32Array,
          keyOf,
        }),
      ).toEqual(expected);
      // Single linkage: plain connected components of the pairs.
      const single = groupPairs(vectors.length, pairs, {
        threshold: Number.NEGATIVE_INFINITY,
        vectorOf: (i) => vectors[i] as Float32Array,
      });
      expect(single.flat().length).toBe(new Set(pairs.flatMap((p) => [p.a, p.b])).size);
    }
  });
});
