/**
 * Theme labels: key phrases ranked by class-based TF-IDF (as in BERTopic). Candidates
 * are the noun phrases of each item (compromise's part-of-speech tagger), cut to their
 * last one to three words ("open-weight models", "student data", "copyright"), so an
 * adverb or a verb ("around", "already", "enabled") can never be a keyword. All items
 * of a theme form one document; a phrase scores
 *   tf(phrase, theme) / |theme| * log(1 + avgThemeLength / f(phrase)),
 * where f is the phrase's count over all themes. The best phrase, capitalised, is the
 * theme's short title.
 *
 *   themeKeywords([['Artists want consent...'], ['Schools ban phones...']], 3)
 *   // [['artists', 'consent', ...], ['schools', ...]]
 */
import { createRequire } from 'node:module';
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
    // Adverbs, ordinals and vague adjectives that made labels like "enabled · around".
    'around',
    'already',
    'first',
    'second',
    'enabled',
    'certain',
    'right',
    'own',
    'different',
    'specific',
    'particular',
    'important',
    'real',
    'good',
    'better',
    'best',
    'big',
    'large',
    'small',
    'able',
    'likely',
    'possible',
    'current',
    'existing',
    'saw',
    'today',
    'against',
    'side',
    'handful',
    'numbers',
    'number',
    'comparison',
    // Nouns every takeaway uses, whatever its theme.
    'question',
    'questions',
    'issue',
    'issues',
    'idea',
    'ideas',
    'point',
    'points',
    'example',
    'examples',
    'time',
    'part',
    'role',
    'concern',
    'concerns',
    'fact',
    'case',
    'cases',
    'sense',
    'level',
    'levels',
    'area',
    'areas',
    'aspect',
    'aspects',
    'matter',
    'approach',
    'approaches',
    'salon',
    'world',
    'ability',
    'potential',
    'impact',
    'impacts',
    'argument',
    'view',
    'views',
    'tension',
    'tensions',
    'debate',
    'risk',
  ],
]);

/** Lower-case word tokens; keeps inner hyphens and apostrophes ("open-source", "don't"). */
export function tokenize(text: string): string[] {
  // Possessive 's is dropped so "company's" counts as "company".
  return (text.toLowerCase().match(/[a-z0-9]+(?:['’-][a-z0-9]+)*/g) ?? []).map((t) =>
    t.replace(/’/g, "'").replace(/'s$/, ''),
  );
}

/** Longer "words" are pasted hashes, URLs run together or junk: never a theme's label. */
const MAX_KEYWORD_CHARS = 40;

function isContent(token: string): boolean {
  // Pure numbers and one-letter tokens make poor labels.
  return (
    token.length > 1 &&
    token.length <= MAX_KEYWORD_CHARS &&
    !/^\d+$/.test(token) &&
    !STOPWORDS.has(token)
  );
}

type Nlp = typeof import('compromise').default;
let nlp: Nlp | undefined;
// compromise is required on first use: it costs ~0.4 s to load (see parse/instructions.ts).
const loadNlp = (): Nlp => {
  nlp ??= createRequire(import.meta.url)('compromise') as Nlp;
  return nlp;
};

/** Longest phrase kept, in words, counted from the head noun backwards. */
const MAX_PHRASE_WORDS = 3;
/** Items read per theme for its labels (the most central ones): tagging is the costly part. */
export const LABEL_ITEMS = 200;

interface TaggedTerm {
  normal?: string;
  tags?: string[];
}

const BREAKS = ['Determiner', 'Comparative', 'Superlative', 'Pronoun', 'Adverb', 'Verb', 'Value'];

/**
 * Key-phrase candidates of some texts, one set per sentence: every run of nouns and
 * adjectives that ends in a noun gives its head noun and the head with up to two words
 * before it. Determiners, comparatives, superlatives, verbs, adverbs and stopwords break
 * a run. The texts are tagged as one document (one tagger pass is ~10x faster than one
 * per text), each ended with a full stop so none runs into the next.
 */
export function keyPhrases(texts: readonly string[]): string[][] {
  const joined = texts.map((t) => (/[.?!]\s*$/.test(t) ? t : `${t}.`)).join('\n');
  const sentences = loadNlp()(joined).json({ terms: { normal: true, tags: true } }) as Array<{
    terms?: TaggedTerm[];
  }>;
  return sentences.map((sentence) => {
    const out = new Set<string>();
    let run: Array<{ word: string; noun: boolean }> = [];
    const flush = (): void => {
      // Trim trailing adjectives: the phrase ends at its head noun.
      while (run.length > 0 && !run[run.length - 1]?.noun) run.pop();
      addPhrase(
        run.map((w) => w.word),
        out,
      );
      run = [];
    };
    for (const term of sentence.terms ?? []) {
      const tags = new Set(term.tags ?? []);
      const word = tokenize(term.normal ?? '').join('-');
      const noun = tags.has('Noun') && !tags.has('Pronoun');
      const usable =
        word.length > 0 &&
        isContent(word) &&
        (noun || tags.has('Adjective')) &&
        !BREAKS.some((b) => tags.has(b));
      if (usable) run.push({ word, noun });
      else flush();
    }
    flush();
    return [...out];
  });
}

function addPhrase(words: readonly string[], out: Set<string>): void {
  if (words.length === 0) return;
  const tail = words.slice(-MAX_PHRASE_WORDS);
  // The head alone and the head with 1..2 modifiers.
  for (let start = tail.length - 1; start >= 0; start--) out.add(tail.slice(start).join(' '));
}

/** Crude plural folding, only for the overlap check (labels keep the words as written). */
function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/**
 * Top `count` key phrases for each theme (given as its item texts, most central first),
 * best first. A phrase is skipped when it shares a word with a better one already chosen
 * ("data" after "training data"). Multi-word phrases must occur in at least two items so
 * one sentence does not dominate. Ties break alphabetically, so output is deterministic.
 */
export function themeKeywords(themes: readonly (readonly string[])[], count: number): string[][] {
  const perTheme = themes.map((texts) => {
    const tf = new Map<string, number>();
    for (const phrases of keyPhrases(texts.slice(0, LABEL_ITEMS)))
      for (const term of phrases) tf.set(term, (tf.get(term) ?? 0) + 1);
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

/**
 * A short title (1-3 words) per theme: its best key phrase not already another (larger)
 * theme's title, capitalised; themes come largest first, so the larger keeps the phrase.
 */
export function themeTitles(keywordLists: readonly (readonly string[])[]): string[] {
  const used = new Set<string>();
  return keywordLists.map((keywords) => {
    const pick = keywords.find((k) => !used.has(k)) ?? keywords[0] ?? 'miscellaneous';
    used.add(pick);
    return pick.charAt(0).toUpperCase() + pick.slice(1);
  });
}
