/**
 * Theme clustering on the labelled corpus (../shared/corpus). Skips with a message when
 * the corpus is absent. Vectors come from the bundled USE-lite model (cached in the OS
 * temp dir after the first run).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LabelledCorpus, loadLabelledCorpus } from '../bench/lib/quality-corpus.js';
import { meanShuffledNmi } from '../bench/lib/quality-shuffle.js';
import {
  clusterThemes,
  guideText,
  normalizedMutualInfo,
  type ThemesResult,
} from '../src/cluster/index.js';
import { STOPWORDS } from '../src/cluster/keywords.js';
import { createEmbedder } from '../src/embed/index.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus');

let corpus: LabelledCorpus | undefined;
let auto: ThemesResult;
/** The 15 label names, dashes read as spaces, as the product owner passes them to --guide. */
let guideNames: string[] = [];
let guided: ThemesResult;

beforeAll(async () => {
  corpus = await loadLabelledCorpus(corpusDir);
  if (!corpus) {
    console.warn(`cluster corpus tests skipped: no labelled corpus at ${corpusDir}`);
    return;
  }
  auto = clusterThemes(corpus.input, { k: 'auto' }).result;
  guideNames = [...new Set(corpus.labels)].map((t) => t.replace(/-/g, ' '));
  const guide = guideNames.map((name) => ({ name }));
  const embedder = await createEmbedder();
  try {
    const guideVectors = await embedder.embed(guide.map(guideText));
    guided = clusterThemes({ ...corpus.input, guideVectors }, { guide }).result;
  } finally {
    await embedder.dispose();
  }
}, 120_000);

const predicted = (c: LabelledCorpus, r: ThemesResult): string[] =>
  c.input.items.map((item) => r.assignments[item.id] ?? '(unassigned)');

describe('#clusterThemes on the labelled corpus', () => {
  it('agrees with the hand labels at least twice as well as shuffled assignments', (ctx) => {
    if (!corpus) return ctx.skip();
    const pred = predicted(corpus, auto);
    const nmi = normalizedMutualInfo(pred, corpus.labels);
    const chance = meanShuffledNmi(pred, corpus.labels, 20, 3);
    expect(nmi).toBeGreaterThanOrEqual(2 * chance);
  });

  // The product owner's floors (bench/quality.ts prints these figures with variants).
  it('meets the floors: theme NMI >= 0.45 and theme-vs-salon NMI <= 0.25', (ctx) => {
    if (!corpus) return ctx.skip();
    const pred = predicted(corpus, auto);
    const salons = corpus.input.items.map((item) => item.salonId);
    expect(normalizedMutualInfo(pred, corpus.labels)).toBeGreaterThanOrEqual(0.45);
    expect(normalizedMutualInfo(pred, salons)).toBeLessThanOrEqual(0.25);
  });

  it('guided by the 15 label names: labels are the names, ids are stable, NMI >= 0.50', (ctx) => {
    if (!corpus) return ctx.skip();
    const named = guided.themes.filter((t) => t.kind === 'guided');
    expect(named.map((t) => t.label)).toEqual(guideNames);
    expect(named.map((t) => t.id)).toEqual(guideNames.map((n) => `g-${n.replace(/ /g, '-')}`));
    expect(
      guided.themes.filter((t) => t.kind === 'discovered').every((t) => /^t\d+$/.test(t.id)),
    ).toBe(true);
    const nmi = normalizedMutualInfo(predicted(corpus, guided), corpus.labels);
    // The product owner's floor (0.507 here with the hubness-discounted guide matching,
    // 0.498 with plain cosine; bench/quality.ts prints both).
    expect(nmi).toBeGreaterThanOrEqual(0.5);
  });

  it('titles are short, distinct and free of the words that made labels unreadable', (ctx) => {
    if (!corpus) return ctx.skip();
    const titles = auto.themes.map((t) => t.title ?? '');
    expect(new Set(titles).size).toBe(titles.length);
    for (const title of titles) {
      expect(title.split(' ').length).toBeLessThanOrEqual(4);
      for (const word of ['around', 'already', 'first', 'enabled', 'certain'])
        expect(title.toLowerCase().split(' ')).not.toContain(word);
    }
  });

  it("k:'auto' lands within 8..30 and reports its curve", (ctx) => {
    if (!corpus) return ctx.skip();
    expect(auto.k).toBeGreaterThanOrEqual(8);
    expect(auto.k).toBeLessThanOrEqual(30);
    const best = Math.max(...auto.kSelection.curve.map((p) => p.score));
    expect(auto.kSelection.curve.find((p) => p.k === auto.k)?.score).toBe(best);
  });

  it('gives identical output for the same seed (k-means path included)', (ctx) => {
    if (!corpus) return ctx.skip();
    expect(clusterThemes(corpus.input, { k: 'auto' }).result).toEqual(auto);
    const a = clusterThemes(corpus.input, { method: 'kmeans', k: 12, seed: 9, restarts: 2 });
    const b = clusterThemes(corpus.input, { method: 'kmeans', k: 12, seed: 9, restarts: 2 });
    expect(b).toEqual(a);
  });

  it('labels every theme with stopword-free keywords', (ctx) => {
    if (!corpus) return ctx.skip();
    for (const theme of auto.themes) {
      expect(theme.keywords.length).toBeGreaterThan(0);
      for (const word of theme.keywords.flatMap((k) => k.split(' ')))
        expect(STOPWORDS.has(word)).toBe(false);
    }
  });

  it('keeps theme ids stable when a salon is added', (ctx) => {
    if (!corpus) return ctx.skip();
    const last = corpus.input.salons.at(-1)?.id as string;
    const keep = corpus.input.items.map((item) => item.salonId !== last);
    const five = {
      ...corpus.input,
      salons: corpus.input.salons.filter((s) => s.id !== last),
      items: corpus.input.items.filter((_, i) => keep[i]),
      vectors: corpus.input.vectors.filter((_, i) => keep[i]),
    };
    const before = clusterThemes(five, {});
    const after = clusterThemes(corpus.input, {}, before.state);
    // A theme "still exists" when most of its old items are together again in one new theme.
    let survivors = 0;
    for (const old of before.result.themes) {
      const counts = new Map<string, number>();
      for (const id of old.itemIds) {
        const now = after.result.assignments[id];
        if (now) counts.set(now, (counts.get(now) ?? 0) + 1);
      }
      const [bestId, bestCount] = [...counts].sort((x, y) => y[1] - x[1])[0] ?? ['', 0];
      const newTheme = after.result.themes.find((t) => t.id === bestId);
      const oldInNew =
        newTheme?.itemIds.filter((id) => keep[corpus!.input.items.findIndex((i) => i.id === id)])
          .length ?? 0;
      if (bestCount >= 0.8 * old.size && bestCount >= 0.8 * oldInNew) {
        survivors++;
        expect(bestId).toBe(old.id);
      }
    }
    expect(survivors).toBeGreaterThan(0);
    const oldIds = new Set(before.result.themes.map((t) => t.id));
    const freshIds = after.result.themes.map((t) => t.id).filter((id) => !oldIds.has(id));
    for (const id of freshIds)
      expect(Number(id.slice(1))).toBeGreaterThanOrEqual(before.state.nextId);
  });
});
