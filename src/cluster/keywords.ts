/**
 * Theme labels by class-based TF-IDF (as in BERTopic): all items of a theme form one
 * document; a term scores tf(term, theme) / |theme| * log(1 + avgThemeLength / f(term)),
 * where f is the term's count over all themes. Unigrams and bigrams of adjacent
 * non-stopwords are both candidates, so labels read "copyright · artists · ownership"
 * or "training data · consent".
 *
 *   themeKeywords([['Artists want consent...'], ['Schools ban phones...']], 3)
 *   // [['artists', 'consent', ...], ['schools', ...]]
 */
import { eng } from 'stopword';

/**
 * The stopword package's English list plus words that are everywhere in salon
 * takeaways ("participants felt...") and so say nothing about a theme. Lower-case.
 */
export const STOPWORDS: ReadonlySet<string> = new Set([
  ...eng,
  ...[
    'ai',
    'also',
    'can',
    'could',
    'would',
    'should',
    'may',
    'might',
    'must',
    'will',
    'shall',
    'one',
    'many',
    'much',
    'more',
    'most',
    'less',
    'even',
    'rather',
    'whether',
    'without',
    'within',
    'really',
    'often',
    'still',
    'yet',
    'just',
    'like',
    'well',
    'things',
    'thing',
    'way',
    'ways',
    'something',
    'someone',
    'anyone',
    'everyone',
    'people',
    'participants',
    'participant',
    'group',
    'several',
    'some',
    'felt',
    'feel',
    'argued',
    'noted',
    'said',
    'suggested',
    'discussion',
    'discussed',
    'agreed',
    'disagreed',
    'others',
    'other',
    'when',
    'what',
    'which',
    'who',
    'whom',
    'whose',
    'how',
    'why',
    'where',
    'there',
    'their',
    'they',
    'them',
    'it',
    'its',
    "it's",
    'is',
    'are',
    'was',
    'were',
    'be',
    'the',
    'a',
    'an',
    'of',
    'to',
    'in',
    'on',
    'for',
    'and',
    'or',
    'but',
    'if',
    'than',
    'then',
    'that',
    'this',
    'these',
    'those',
    'with',
    'as',
    'by',
    'at',
    'from',
    'into',
    'about',
    'we',
    'our',
    'us',
    'you',
    'your',
    'i',
    'do',
    'does',
    'did',
    'not',
    'no',
    'so',
    'too',
    'very',
    'make',
    'makes',
    'made',
    'get',
    'gets',
    'got',
    'need',
    'needs',
    'based',
    'less',
    'new',
    'use',
    'used',
    'using',
    'mean',
    'means',
    'kind',
    'lot',
  ],
]);

/** Lower-case word tokens; keeps inner hyphens and apostrophes ("open-source", "don't"). */
export function tokenize(text: string): string[] {
  // Possessive 's is dropped so "company's" counts as "company".
  return (text.toLowerCase().match(/[a-z0-9]+(?:['’-][a-z0-9]+)*/g) ?? []).map((t) =>
    t.replace(/’/g, "'").replace(/'s$/, ''),
  );
}

function isContent(token: string): boolean {
  // Pure numbers and one-letter tokens make poor labels.
  return token.length > 1 && !/^\d+$/.test(token) && !STOPWORDS.has(token);
}

/** Unigram and bigram terms of one text; a bigram only joins two adjacent content words. */
export function termsOf(text: string): string[] {
  const tokens = tokenize(text);
  const terms: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (!isContent(t)) continue;
    terms.push(t);
    const next = tokens[i + 1];
    if (next !== undefined && isContent(next)) terms.push(`${t} ${next}`);
  }
  return terms;
}

/** Crude plural folding, only for the overlap check (labels keep the words as written). */
function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/**
 * Top `count` keywords for each theme (given as its item texts), best first. A term is
 * skipped when it overlaps a better one already chosen ("training" after "training
 * data"). Bigrams must occur at least twice in the theme so one phrase does not dominate.
 * Ties break alphabetically, so output is deterministic.
 */
export function themeKeywords(themes: readonly (readonly string[])[], count: number): string[][] {
  const perTheme = themes.map((texts) => {
    const tf = new Map<string, number>();
    for (const text of texts)
      for (const term of termsOf(text)) tf.set(term, (tf.get(term) ?? 0) + 1);
    return tf;
  });
  const total = new Map<string, number>();
  let words = 0;
  for (const tf of perTheme) {
    for (const [term, c] of tf) {
      total.set(term, (total.get(term) ?? 0) + c);
      if (!term.includes(' ')) words += c;
    }
  }
  const avgLength = themes.length > 0 ? words / themes.length : 0;

  return perTheme.map((tf) => {
    let length = 0;
    for (const [term, c] of tf) if (!term.includes(' ')) length += c;
    const scored: Array<{ term: string; score: number }> = [];
    for (const [term, c] of tf) {
      if (term.includes(' ') && c < 2) continue;
      const idf = Math.log(1 + avgLength / (total.get(term) as number));
      scored.push({ term, score: (c / Math.max(1, length)) * idf });
    }
    scored.sort((x, y) => y.score - x.score || (x.term < y.term ? -1 : x.term > y.term ? 1 : 0));
    const chosen: string[] = [];
    for (const { term } of scored) {
      if (chosen.length >= count) break;
      // "model" after "models" (or "data" after "training data") adds nothing.
      const words = term.split(' ').map(singular);
      const overlaps = chosen.some((c) => {
        const cw = c.split(' ').map(singular);
        return words.some((w) => cw.includes(w));
      });
      if (!overlaps) chosen.push(term);
    }
    return chosen;
  });
}
