/**
 * Key-phrase candidates for theme labels (theme-titles.ts ranks them): the noun phrases
 * of each item (compromise's part-of-speech tagger), cut to their last one to three
 * words ("open-weight models", "student data", "copyright"), so an adverb or a verb
 * ("around", "already", "enabled") can never be a keyword, each with its lemmas.
 *
 *   taggedPhrases(['Artists want consent.']).byText // [[{ text: 'artists', lemma: 'artist' }, …]]
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
  root?: string;
  tags?: string[];
  pre?: string;
  post?: string;
}

/** Punctuation around a word that ends a phrase ("teachers, parents" is two). */
const PHRASE_BREAK = /[,;:()[\]"“”—–/]/;

const BREAKS = ['Determiner', 'Comparative', 'Superlative', 'Pronoun', 'Adverb', 'Verb', 'Value'];

/** A key phrase as written and as lemmas ("students' essays" → "student essay"). */
export interface KeyPhrase {
  text: string;
  lemma: string;
}

/**
 * Key-phrase candidates of some texts with their lemmas (compromise's root, else a
 * plural folded), per sentence and per text (`byText[i]`: the phrases of texts[i], each
 * once). Every run of nouns and adjectives that ends in a noun gives its head noun and
 * the head with up to two words before it. Determiners, comparatives, superlatives,
 * verbs, adverbs and stopwords break a run. The texts are tagged as one document (one
 * tagger pass is ~10x faster than one per text), each ended with a full stop so none
 * runs into the next.
 */
export function taggedPhrases(texts: readonly string[]): {
  sentences: KeyPhrase[][];
  byText: KeyPhrase[][];
} {
  const ended = texts.map((t) => (/[.?!]\s*$/.test(t) ? t : `${t}.`));
  // Where each text starts in the joined document, to map sentences back to texts.
  const starts: number[] = [];
  let at = 0;
  for (const t of ended) {
    starts.push(at);
    at += t.length + 1;
  }
  const doc = loadNlp()(ended.join('\n'));
  doc.compute('root');
  const json = doc.json({
    offset: true,
    terms: { normal: true, tags: true, text: true },
  }) as Array<{
    offset?: { start: number };
    terms?: TaggedTerm[];
  }>;
  const byText = texts.map(() => new Map<string, KeyPhrase>());
  const sentences = json.map((sentence) => {
    const out = new Map<string, KeyPhrase>();
    let run: Array<{ word: string; lemma: string; noun: boolean }> = [];
    const flush = (): void => {
      // Trim trailing adjectives: the phrase ends at its head noun.
      while (run.length > 0 && !run[run.length - 1]?.noun) run.pop();
      addPhrase(run, out);
      run = [];
    };
    for (const term of sentence.terms ?? []) {
      if (PHRASE_BREAK.test(term.pre ?? '')) flush();
      const tags = new Set(term.tags ?? []);
      const word = tokenize(term.normal ?? '').join('-');
      const noun = tags.has('Noun') && !tags.has('Pronoun');
      const usable =
        word.length > 0 &&
        isContent(word) &&
        (noun || tags.has('Adjective')) &&
        !BREAKS.some((b) => tags.has(b));
      if (usable) run.push({ word, lemma: lemmaOf(word, term.root), noun });
      else flush();
      if (PHRASE_BREAK.test(term.post ?? '')) flush();
    }
    flush();
    const phrases = [...out.values()];
    const index = textIndex(starts, sentence.offset?.start ?? 0);
    for (const p of phrases) byText[index]?.set(p.lemma, p);
    return phrases;
  });
  return { sentences, byText: byText.map((m) => [...m.values()]) };
}

/** The text a character offset of the joined document falls in (binary search). */
function textIndex(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** compromise's root when it has one ("companies" → "company"), else the plural folded. */
export function lemmaOf(word: string, root?: string): string {
  const r = root ? tokenize(root).join('-') : '';
  if (r.length > 0 && !r.includes(' ')) return r;
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  return singular(word);
}

function addPhrase(
  words: ReadonlyArray<{ word: string; lemma: string }>,
  out: Map<string, KeyPhrase>,
): void {
  if (words.length === 0) return;
  const tail = words.slice(-MAX_PHRASE_WORDS);
  // The head alone and the head with 1..2 modifiers.
  for (let start = tail.length - 1; start >= 0; start--) {
    const part = tail.slice(start);
    const lemma = part.map((w) => w.lemma).join(' ');
    if (!out.has(lemma)) out.set(lemma, { text: part.map((w) => w.word).join(' '), lemma });
  }
}

/** Crude plural folding, where compromise gives no root (labels keep the words as written). */
function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}
