/**
 * Theme clustering on the labelled corpus (../shared/corpus). Skips with a message when
 * the corpus is absent. Vectors come from the bundled USE-lite model (cached in the OS
 * temp dir after the first run).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LabelledCorpus, loadLabelledCorpus } from '../bench/lib/quality-corpus.js';
import { meanShuffledNmi } from '../bench/lib/quality-shuffle.js';
import { clusterThemes, normalizedMutualInfo, type ThemesResult } from '../src/cluster/index.js';
import { STOPWORDS } from '../src/cluster/keywords.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus');

let corpus: LabelledCorpus | undefined;
let auto: ThemesResult;

beforeAll(async () => {
  corpus = await loadLabelledCorpus(corpusDir);
  if (!corpus) console.warn(`cluster corpus tests skipped: no labelled corpus at ${corpusDir}`);
  else auto = clusterThemes(corpus.input, { k: 'auto' }).result;
});

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
