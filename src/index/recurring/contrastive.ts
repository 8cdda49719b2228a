/**
 * Contrastive scoring of question pairs: CSLS on the questions as asked, averaged
 * with CSLS on the questions with their shared content words taken out
 * (shared-words.ts), so two questions match when what differs between them means
 * the same too.
 *
 * Why: the bundled model ranks look-alikes ("same words, different question")
 * above true paraphrases. On the shared corpus this view grouped 16 of 40
 * paraphrase pairs against 13 for CSLS alone, and 6 of 20 look-alike negatives
 * against 11 (bench/quality.ts). The second view has its own neighbourhood
 * radius, the mean of a question's 5 best contrast cosines among its candidates,
 * so both halves are in CSLS units and 0 keeps its meaning: "as close as this
 * question's typical near neighbour".
 *
 * Cost: one extra embedding per candidate pair that shares a content word (cached
 * by text); pairs sharing none reuse the stored cosine. Only candidate pairs are
 * scored, so a group never joins questions that were not near neighbours.
 */
import { csls, NEIGHBOURHOOD_K, TopMean } from '../../util/csls.js';
import { tokenize } from '../search/bm25.js';
import { dot } from '../storage/seam.js';
import { withoutSharedWords } from './shared-words.js';

export interface ContrastInput {
  /** Question texts, by index. */
  texts: readonly string[];
  /** Candidate neighbours of each question (indices), with their plain cosine. */
  candidates: ReadonlyArray<ReadonlyArray<{ index: number; cosine: number }>>;
  /** CSLS of a pair on the questions as asked. */
  fullScore: (i: number, j: number, cosine: number) => number;
  /** Radius cap, as for the full view (near-verbatim repeats across many salons). */
  radiusCap: number;
  /** Unit vectors of texts, by the store's embedder. */
  embed: (texts: string[]) => Promise<Float32Array[]>;
}

/** Scores of the candidate pairs, keyed by the pair (either order). */
export interface PairScores {
  score(i: number, j: number): number | undefined;
}

export async function contrastiveScores(input: ContrastInput): Promise<PairScores> {
  const { texts, candidates } = input;
  const n = texts.length;
  const key = (i: number, j: number): number => (i < j ? i * n + j : j * n + i);

  // Contrast texts of every candidate pair that shares a word, embedded once each.
  const contrastOf = new Map<number, [string, string]>();
  const sameContent = new Set<number>();
  const wanted = new Set<string>();
  for (const [i, list] of candidates.entries()) {
    for (const { index: j } of list) {
      const k = key(i, j);
      if (contrastOf.has(k) || sameContent.has(k)) continue;
      const pair = withoutSharedWords(texts[i] as string, texts[j] as string);
      if (!pair) continue; // nothing shared: the plain cosine is the contrast
      const [left, right] = pair.map(hasContentWords);
      // Only function words differ ("So, who decides…?" against "Who decides…?"):
      // the same question. One side empty: it adds to the other, no evidence either way.
      if (!left && !right) sameContent.add(k);
      if (!left || !right) continue;
      const [a, b] = i < j ? pair : [pair[1], pair[0]];
      contrastOf.set(k, [a, b]);
      wanted.add(a);
      wanted.add(b);
    }
  }
  const unique = [...wanted];
  const vectors = unique.length > 0 ? await input.embed(unique) : [];
  const vectorOf = new Map(unique.map((text, x) => [text, vectors[x] as Float32Array]));

  const contrastCosineOf = (k: number, cosine: number): number => {
    if (sameContent.has(k)) return 1;
    const pair = contrastOf.get(k);
    return pair
      ? dot(vectorOf.get(pair[0]) as Float32Array, vectorOf.get(pair[1]) as Float32Array)
      : cosine;
  };
  const contrastCosine = new Map<number, number>();
  const fullCosine = new Map<number, number>();
  for (const [i, list] of candidates.entries()) {
    for (const { index: j, cosine } of list) {
      const k = key(i, j);
      fullCosine.set(k, cosine);
      contrastCosine.set(k, contrastCosineOf(k, cosine));
    }
  }
  const radius = candidates.map((list, i) => {
    const top = new TopMean(NEIGHBOURHOOD_K);
    for (const { index: j } of list) top.push(contrastCosine.get(key(i, j)) as number);
    return Math.min(top.mean(), input.radiusCap);
  });
  return {
    score(i, j) {
      const k = key(i, j);
      const cosine = fullCosine.get(k);
      if (cosine === undefined) return undefined;
      const contrast = csls(
        contrastCosine.get(k) as number,
        radius[i] as number,
        radius[j] as number,
      );
      return (input.fullScore(i, j, cosine) + contrast) / 2;
    },
  };
}

function hasContentWords(text: string): boolean {
  return tokenize(text).length > 0;
}
