/**
 * Okapi BM25 over item texts, for lexical and hybrid search. Built in memory from
 * the store's items (cheap: one pass over the text), never persisted.
 *
 *   const bm25 = buildBm25(items.map((i) => i.text));
 *   bm25.search('open weights license', 10, (doc) => keep[doc]); // [{ doc, score }]
 *
 * Written here rather than taken from npm: the maintained packages either pull in
 * a full NLP pipeline and model (wink-bm25-text-search) or rescore every document
 * per query without an index (okapibm25).
 */
import { eng } from 'stopword';

/** Standard Okapi parameters: term-frequency saturation and length normalisation. */
export const K1 = 1.2;
export const B = 0.75;
const STOPWORDS = new Set(eng);
const NON_ASCII = /[\u0080-\uffff]/;

export interface Bm25Hit {
  doc: number;
  score: number;
}

export interface Bm25Index {
  /** Top `k` documents by BM25 score (> 0) among those passing `keep`; ties by lower doc number. */
  search(query: string, k: number, keep?: (doc: number) => boolean): Bm25Hit[];
}

/**
 * Lower-case word tokens without stopwords. A trailing plural "s" is dropped so
 * "models" meets "model"; nothing heavier, to stay predictable.
 */
export function tokenize(text: string): string[] {
  // ASCII has no marks to strip: skip the Unicode normalisation (most of a short query's cost).
  const folded = NON_ASCII.test(text) ? text.normalize('NFKD').replace(/\p{M}+/gu, '') : text;
  const words = folded.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return [];
  const out: string[] = [];
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    out.push(
      word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word,
    );
  }
  return out;
}

/** Lucene's idf variant: log(1 + …) stays positive even for terms in most documents. */
export function bm25Idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/**
 * One term's BM25 contribution to one document: term frequency `tf`, document
 * frequency `df`, document length, document count `n`, mean length.
 */
export function bm25Term(
  tf: number,
  df: number,
  length: number,
  n: number,
  avgLength: number,
): number {
  const idf = bm25Idf(df, n);
  const norm = tf + K1 * (1 - B + (B * length) / (avgLength || 1));
  return (idf * (tf * (K1 + 1))) / norm;
}

export function buildBm25(texts: readonly string[]): Bm25Index {
  const postings = new Map<string, { docs: number[]; tf: number[] }>();
  const lengths = new Float64Array(texts.length);
  texts.forEach((text, doc) => {
    const tokens = tokenize(text);
    lengths[doc] = tokens.length;
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [term, tf] of counts) {
      let list = postings.get(term);
      if (!list) {
        list = { docs: [], tf: [] };
        postings.set(term, list);
      }
      list.docs.push(doc);
      list.tf.push(tf);
    }
  });
  const n = texts.length;
  const avgLength = n === 0 ? 0 : lengths.reduce((a, b) => a + b, 0) / n;

  return {
    search(query, k, keep) {
      const scores = new Map<number, number>();
      for (const term of new Set(tokenize(query))) {
        const list = postings.get(term);
        if (!list) continue;
        for (let j = 0; j < list.docs.length; j++) {
          const doc = list.docs[j] as number;
          if (keep && !keep(doc)) continue;
          const term = bm25Term(
            list.tf[j] as number,
            list.docs.length,
            lengths[doc] as number,
            n,
            avgLength,
          );
          scores.set(doc, (scores.get(doc) ?? 0) + term);
        }
      }
      return [...scores]
        .map(([doc, score]) => ({ doc, score }))
        .sort((a, b) => b.score - a.score || a.doc - b.doc)
        .slice(0, k);
    },
  };
}

export interface Bm25Stats {
  n: number;
  avgLength: number;
  df: ReadonlyMap<string, number>;
}

/** One document's BM25 score, term by term in query order so sums round as in `search`. */
export function bm25Score(
  queryTerms: readonly string[],
  docTerms: readonly string[],
  s: Bm25Stats,
): number {
  const tf = new Map<string, number>();
  for (const t of docTerms) tf.set(t, (tf.get(t) ?? 0) + 1);
  let score = 0;
  for (const term of queryTerms) {
    const f = tf.get(term);
    const df = s.df.get(term) ?? 0;
    if (!f || df === 0) continue;
    score += bm25Term(f, df, docTerms.length, s.n, s.avgLength);
  }
  return score;
}
