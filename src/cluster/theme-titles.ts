/**
 * Theme titles of 2–4 words and key phrases that say what a theme is about, in the
 * spirit of BERTopic's representations: candidates are the key phrases of the theme's
 * items (keywords.ts, lemmatised, so "Student" and "Students" are one word), ranked by
 * class-based TF-IDF, re-ranked by how close they sit to the theme's centre, and
 * diversified by maximal marginal relevance (MMR) so a theme's title and key phrases are
 * not variants of one word.
 *
 * Closeness is measured in context: a phrase's vector is the mean of the theme's items
 * that use it, so its closeness to the centroid is the mean of those items' centroid
 * scores. The bundled model places a bare two-word phrase poorly among whole sentences
 * (README, guided themes), and the items' own vectors are at hand in the pure cluster
 * stage, where no model call is possible.
 *
 * Titles are chosen largest theme first, and no two titles share a lemma: a phrase whose
 * words another theme's title already uses is passed over. A title is the best
 * multi-word phrase, else two key words joined by "and"; a generic noun ("problem",
 * "label", "candidate") never stands in a title on its own.
 *
 *   const labels = themeLabels([{ texts, scores }], 5); // [{ title: 'Facial recognition', keywords: [...] }]
 */
import { type KeyPhrase, LABEL_ITEMS, taggedPhrases } from './keywords.js';

/**
 * Nouns that name no subject on their own: a phrase made only of these (and of words
 * like them) is no candidate, so none can be a title.
 */
export const GENERIC_NOUNS: ReadonlySet<string> = new Set([
  'answer',
  'announcement',
  'application',
  'article',
  'candidate',
  'change',
  'check',
  'claim',
  'detail',
  'entry',
  'experience',
  'form',
  'information',
  'individual',
  'item',
  'label',
  'line',
  'option',
  'organization',
  'output',
  'pattern',
  'program',
  'role',
  'tool',
  'work',
  'person',
  'piece',
  'problem',
  'reply',
  'result',
  'set',
  'step',
  'stuff',
  'system',
  'term',
  'thing',
  'topic',
  'type',
  'word',
]);

export interface TitleInput {
  /** The theme's item texts, most central first. */
  texts: readonly string[];
  /** Each text's closeness to the theme's centroid (cosine), same order. */
  scores: readonly number[];
  /** A guided theme: it keeps the user's name, so its title takes no words from others. */
  named?: boolean;
}

export interface ThemeLabel {
  /** 2–4 words, capitalised. */
  title: string;
  /** Key phrases, title's first, no two sharing a lemma. */
  keywords: string[];
}

/** Candidates re-ranked per theme (the best by class-based TF-IDF). */
const CANDIDATES = 30;
/** MMR trade-off: relevance against overlap with phrases already chosen. */
const MMR_LAMBDA = 0.7;

interface Candidate {
  phrase: KeyPhrase;
  /** Used by two or more items: only these rank; the others are a small theme's last resort. */
  common: boolean;
  lemmas: string[];
  /** Items of the theme (indices into its texts) that use the phrase. */
  items: Set<number>;
  relevance: number;
}

export function themeLabels(
  themes: readonly TitleInput[],
  count: number,
  abortCheck?: () => void,
): ThemeLabel[] {
  const perTheme = labelItemsPerTheme(themes.map((t) => t.texts.length));
  const tagged = tagAll(
    themes.map((t) => t.texts.slice(0, perTheme)),
    abortCheck,
  );
  // Items per theme using each lemma phrase, and its count over all themes.
  const uses = tagged.map((byText) => {
    const map = new Map<string, { phrase: KeyPhrase; items: Set<number> }>();
    byText.forEach((phrases, i) => {
      for (const p of phrases) {
        const entry = map.get(p.lemma) ?? { phrase: p, items: new Set<number>() };
        entry.items.add(i);
        map.set(p.lemma, entry);
      }
    });
    return map;
  });
  const total = new Map<string, number>();
  let words = 0;
  for (const map of uses) {
    for (const [lemma, { items }] of map) {
      total.set(lemma, (total.get(lemma) ?? 0) + items.size);
      if (!lemma.includes(' ')) words += items.size;
    }
  }
  const avgLength = themes.length > 0 ? words / themes.length : 0;

  const ranked = uses.map((map, t) =>
    rankCandidates(map, total, avgLength, (themes[t] as TitleInput).scores),
  );
  const used = new Set<string>();
  return ranked.map((candidates, t) => {
    const diverse = mmr(
      candidates.filter((c) => c.common),
      Math.max(count, 10),
    );
    const title = pickTitle(diverse, candidates, themes[t]?.named ? new Set() : used);
    if (!themes[t]?.named) for (const lemma of title.lemmas) used.add(lemma);
    const keywords = [...title.phrases];
    const taken = new Set(title.lemmas);
    for (const c of diverse) {
      if (keywords.length >= count) break;
      if (c.lemmas.some((l) => taken.has(l))) continue;
      keywords.push(c.phrase.text);
      for (const l of c.lemmas) taken.add(l);
    }
    return { title: title.text, keywords: keywords.slice(0, count) };
  });
}

/**
 * Texts tagged at most over all themes. Tagging is ~1 ms a text, so an archive of
 * 12,000 items spent 8 of its 54 s themes stage here; above the budget each theme is
 * named from its most central items only (20 each for the archive's 153 themes).
 */
export const LABEL_BUDGET = 3000;
/** The fewest central items a theme is named from when the budget is shared out. */
export const LABEL_MIN_ITEMS = 20;

/** Items read per theme: LABEL_ITEMS, or a share of LABEL_BUDGET when that would exceed it. */
export function labelItemsPerTheme(sizes: readonly number[]): number {
  const wanted = sizes.reduce((sum, size) => sum + Math.min(size, LABEL_ITEMS), 0);
  if (wanted <= LABEL_BUDGET) return LABEL_ITEMS;
  return Math.max(LABEL_MIN_ITEMS, Math.floor(LABEL_BUDGET / sizes.length));
}

/** Texts tagged per tagger call: each call has a fixed cost (20 texts a call took 2× the time of 100). */
const TAG_BATCH = 500;

/** Key phrases of each text of each group, tagging the texts of many groups per call. */
function tagAll(
  groups: ReadonlyArray<readonly string[]>,
  abortCheck?: () => void,
): KeyPhrase[][][] {
  const texts = groups.flat();
  const byText: KeyPhrase[][] = [];
  for (let at = 0; at < texts.length; at += TAG_BATCH) {
    abortCheck?.();
    for (const phrases of taggedPhrases(texts.slice(at, at + TAG_BATCH)).byText)
      byText.push(phrases);
  }
  let next = 0;
  return groups.map((group) => {
    const out = byText.slice(next, next + group.length);
    next += group.length;
    return out;
  });
}

/**
 * A theme's candidates, best first: phrases of at least two items (one sentence must
 * not name a theme), not all generic, the CANDIDATES best by class-based TF-IDF,
 *   tf(phrase, theme) / |theme| · log(1 + mean theme length / f(phrase)),
 * then scored by half that (as a share of the best) and half the closeness of their
 * items to the centroid (as a share of the closest).
 */
function rankCandidates(
  map: ReadonlyMap<string, { phrase: KeyPhrase; items: Set<number> }>,
  total: ReadonlyMap<string, number>,
  avgLength: number,
  scores: readonly number[],
): Candidate[] {
  let length = 0;
  for (const [lemma, { items }] of map) if (!lemma.includes(' ')) length += items.size;
  const all = [...map.values()]
    .filter(({ phrase }) => !allGeneric(phrase.lemma))
    .map(({ phrase, items }) => ({
      phrase,
      items,
      common: items.size >= 2,
      lemmas: phrase.lemma.split(' '),
      ctfidf:
        (items.size / Math.max(1, length)) *
        Math.log(1 + avgLength / (total.get(phrase.lemma) as number)),
      closeness: [...items].reduce((s, i) => s + (scores[i] ?? 0), 0) / items.size,
    }))
    .sort((a, b) => b.ctfidf - a.ctfidf || compareText(a.phrase.lemma, b.phrase.lemma));
  const pool = all.filter((c) => c.common).slice(0, CANDIDATES);
  const rare = all.filter((c) => !c.common && c.lemmas.length >= 2);
  const bestTf = Math.max(1e-12, ...pool.map((c) => c.ctfidf));
  const bestClose = Math.max(1e-12, ...all.map((c) => c.closeness));
  const scored = (list: typeof all) =>
    list
      .map((c) => ({
        phrase: c.phrase,
        common: c.common,
        lemmas: c.lemmas,
        items: c.items,
        relevance:
          0.5 * Math.min(1, c.ctfidf / bestTf) + 0.5 * (Math.max(0, c.closeness) / bestClose),
      }))
      .sort((a, b) => b.relevance - a.relevance || compareText(a.phrase.lemma, b.phrase.lemma));
  // Phrases of one item come last: only a theme with no free common phrase is named by one.
  return [...scored(pool), ...scored(rare)];
}

/**
 * Maximal marginal relevance: each next phrase maximises λ·relevance − (1−λ)·overlap,
 * overlap being the Jaccard share of items it has in common with a phrase already
 * chosen; a phrase sharing a lemma with one already chosen is skipped outright.
 */
function mmr(candidates: readonly Candidate[], count: number): Candidate[] {
  const chosen: Candidate[] = [];
  const lemmas = new Set<string>();
  const left = [...candidates];
  while (chosen.length < count && left.length > 0) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    left.forEach((c, i) => {
      if (c.lemmas.some((l) => lemmas.has(l))) return;
      const overlap = Math.max(0, ...chosen.map((o) => jaccard(c.items, o.items)));
      const score = MMR_LAMBDA * c.relevance - (1 - MMR_LAMBDA) * overlap;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    if (best < 0) break;
    const [pick] = left.splice(best, 1) as [Candidate];
    chosen.push(pick);
    for (const l of pick.lemmas) lemmas.add(l);
  }
  return chosen;
}

interface PickedTitle {
  text: string;
  phrases: string[];
  lemmas: string[];
}

/**
 * The best multi-word phrase whose lemmas no earlier title used (MMR order, then the
 * other candidates), else the two best free single words joined by "and".
 */
function pickTitle(
  diverse: readonly Candidate[],
  candidates: readonly Candidate[],
  used: ReadonlySet<string>,
): PickedTitle {
  const free = (c: Candidate) => c.lemmas.every((l) => !used.has(l));
  const order = [...diverse, ...candidates.filter((c) => !diverse.includes(c))];
  const phrase = (common: boolean) =>
    order.find((c) => c.common === common && c.lemmas.length >= 2 && free(c));
  const title = (c: Candidate): PickedTitle => ({
    text: capitalise(c.phrase.text),
    phrases: [c.phrase.text],
    lemmas: c.lemmas,
  });
  const common = phrase(true);
  if (common) return title(common);
  const singles: Candidate[] = [];
  for (const c of order) {
    if (singles.length === 2) break;
    if (c.common && c.lemmas.length === 1 && free(c)) singles.push(c);
  }
  if (singles.length === 2) {
    const [a, b] = singles as [Candidate, Candidate];
    return {
      text: capitalise(`${a.phrase.text} and ${b.phrase.text}`),
      phrases: [a.phrase.text, b.phrase.text],
      lemmas: [...a.lemmas, ...b.lemmas],
    };
  }
  const rare = phrase(false);
  if (rare) return title(rare);
  // Nothing free is left (a theme of two or three items whose words all name larger
  // themes): its best phrases, said as they are.
  const fallback = order.slice(0, 2).map((c) => c.phrase.text);
  const text = fallback.length > 0 ? fallback.join(' and ') : 'unnamed theme';
  return {
    text: capitalise(text),
    phrases: fallback,
    lemmas: order.slice(0, 2).flatMap((c) => c.lemmas),
  };
}

function allGeneric(lemma: string): boolean {
  return lemma.split(' ').every((w) => GENERIC_NOUNS.has(w));
}

function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both || 1);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
