/**
 * Repeats of a question: the same wording asked in many salons (verbatim, or with
 * case, punctuation, stopwords or a plural "s" changed) is one *wording*, so recurring
 * questions count every salon that asked it while the group-size cap and the k-NN
 * search see each wording once. Without this, a question asked in 60 salons filled
 * every copy's neighbour list with its own copies and came out as several capped groups
 * of 8 ("asked in 8 salons").
 *
 * Words are compared as the lexical index tokenizes them (bm25.ts), except that
 * negations stay: "Should X be allowed?" and "Should X not be allowed?" differ.
 *
 *   const { wordingOf, members } = questionWordings(['Is AI art?', 'is AI art ?', 'Is AI fun?']);
 *   // wordingOf = [0, 0, 1]; members = [[0, 1], [2]]
 */
import { tokenize } from '../search/bm25.js';

const NEGATIONS = new Set(['not', 'no', 'never', 'nor', 'without', 'cannot', "n't", 'nt']);

/** The key two repeats share. */
export function wordingKey(text: string): string {
  const negations = (text.toLowerCase().match(/[\p{L}']+/gu) ?? []).filter(
    (w) => NEGATIONS.has(w) || w.endsWith("n't"),
  );
  return `${tokenize(text).join(' ')}|${negations.length}`;
}

export interface QuestionWordings {
  /** Wording index of each text. */
  wordingOf: number[];
  /** Text indices of each wording, ascending; the first is its representative. */
  members: number[][];
}

export function questionWordings(texts: readonly string[]): QuestionWordings {
  const byKey = new Map<string, number>();
  const wordingOf: number[] = [];
  const members: number[][] = [];
  texts.forEach((text, i) => {
    const key = wordingKey(text);
    let w = byKey.get(key);
    if (w === undefined) {
      w = members.length;
      byKey.set(key, w);
      members.push([]);
    }
    (members[w] as number[]).push(i);
    wordingOf.push(w);
  });
  return { wordingOf, members };
}
