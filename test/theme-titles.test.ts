/**
 * Theme titles a reader understands (theme-titles.ts), on the bundled examples and on
 * the labelled corpus (../shared/corpus, skipped when absent), with the bundled model:
 * 2–4 words, no generic noun standing alone, no two titles sharing a word (plurals
 * folded independently of the code under test), every title word used by the theme's
 * own items, and key phrases that are not variants of the title.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLabelledCorpus } from '../bench/lib/quality-corpus.js';
import { clusterThemes, type ThemeInput, type ThemesResult } from '../src/cluster/index.js';
import { GENERIC_NOUNS, themeLabels } from '../src/cluster/theme-titles.js';
import { createEmbedder } from '../src/embed/index.js';
import { loadSalons } from '../src/parse/index.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus');
const examplesDir = path.resolve(repoRoot, 'examples/salons');

/** A word's plain form for comparison: lower case, plural folded ("Students" → "student"). */
function fold(word: string): string {
  const w = word.toLowerCase().replace(/'s$/, '');
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}
const contentWords = (title: string) =>
  title
    .split(' ')
    .filter((w) => w.toLowerCase() !== 'and')
    .map(fold);

function expectReadableTitles(input: ThemeInput, result: ThemesResult): void {
  const textOf = new Map(input.items.map((item) => [item.id, item.text.toLowerCase()]));
  const owner = new Map<string, string>();
  for (const theme of result.themes) {
    const title = theme.title ?? '';
    const words = title.split(' ');
    expect(words.length, title).toBeGreaterThanOrEqual(2);
    expect(words.length, title).toBeLessThanOrEqual(4);
    expect(GENERIC_NOUNS.has(fold(title)), title).toBe(false);
    // Distinct themes, distinct words: no lemma in two titles.
    for (const word of contentWords(title)) {
      expect(owner.get(word), `"${word}" in "${title}" and "${owner.get(word)}"`).toBeUndefined();
      owner.set(word, title);
    }
    // Every title word occurs in one of the theme's own items.
    const texts = theme.itemIds.map((id) => textOf.get(id) ?? '').join(' ');
    for (const word of title.toLowerCase().split(' ')) expect(texts, title).toContain(word);
    // Key phrases beyond the title add words; none repeats another's word.
    const seen = new Set<string>();
    for (const phrase of theme.keywords) {
      const folded = phrase.split(' ').map(fold);
      for (const w of folded) expect(seen.has(w), `${title}: ${theme.keywords}`).toBe(false);
      for (const w of folded) seen.add(w);
    }
  }
}

describe('theme titles on the bundled examples', () => {
  let input: ThemeInput;
  let result: ThemesResult;
  beforeAll(async () => {
    const { salons } = await loadSalons([examplesDir]);
    const items = salons.flatMap((s) => s.items);
    const embedder = await createEmbedder();
    try {
      input = {
        salons: salons.map((s) => ({ id: s.id, title: s.title, date: s.date })),
        items,
        vectors: await embedder.embed(items.map((i) => i.text)),
        embedderId: embedder.id,
        thresholds: embedder.thresholds,
      };
    } finally {
      await embedder.dispose();
    }
    result = clusterThemes(input, {}).result;
  }, 120_000);

  it('are 2–4 words, distinct in every word, found in the theme, never a generic noun', () => {
    expect(result.themes.length).toBeGreaterThan(3);
    expectReadableTitles(input, result);
  });
});

describe('theme titles on the labelled corpus', () => {
  it('are 2–4 words, distinct in every word, found in the theme, never a generic noun', async (ctx) => {
    const corpus = await loadLabelledCorpus(corpusDir);
    if (!corpus) {
      console.warn(`theme title corpus test skipped: no labelled corpus at ${corpusDir}`);
      return ctx.skip();
    }
    expectReadableTitles(corpus.input, clusterThemes(corpus.input, {}).result);
  }, 120_000);
});

describe('themeLabels', () => {
  const texts = [
    'Students use chatbots for homework.',
    'A student asked whether homework help is cheating.',
    'Students say homework help feels like tutoring.',
    'Teachers worry that student essays are written by chatbots.',
  ];
  const scores = [0.9, 0.8, 0.7, 0.6];

  it('folds "Student" and "Students" into one word and keeps guided names out of the pool', () => {
    const [first] = themeLabels([{ texts, scores }], 5);
    const words = (first?.keywords ?? []).flatMap((k) => k.split(' ')).map(fold);
    expect(new Set(words).size).toBe(words.length);
    expect(words.filter((w) => w === 'student').length).toBeLessThanOrEqual(1);
    expect(first?.title.split(' ').length).toBeGreaterThanOrEqual(2);
    // Two themes on the same words: the second takes none of the first title's words.
    const [a, b] = themeLabels(
      [
        { texts, scores },
        { texts, scores },
      ],
      5,
    );
    const shared = contentWords(a?.title ?? '').filter((w) =>
      contentWords(b?.title ?? '').includes(w),
    );
    expect(shared).toEqual([]);
    // A guided theme's title is the user's name: it reserves no words.
    const [, c] = themeLabels(
      [
        { texts, scores, named: true },
        { texts, scores },
      ],
      5,
    );
    expect(c?.title).toBe(a?.title);
  });
});
