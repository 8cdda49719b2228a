/**
 * For each question, the insights of *other* salons that relate to it, without hubs.
 *
 * Plain "cosine ≥ threshold, best 3" let one insight ("If AI handles routine
 * cognitive tasks, schools need to rethink…") attach to 30 of the corpus's 151
 * questions: a few vectors are close to everything. Two rules stop that:
 *
 * - **Mutual k-NN**: an insight is shown for a question only if it is among the
 *   question's k best insights *and* the question is among the insight's k best
 *   questions. The insight side looks at most max(1, ⌊maxShare · questions⌋)
 *   deep, so no insight can attach to more than that share of the questions,
 *   whatever the model or corpus.
 * - **Scoring** (default CSLS): both rankings use 2·cos − r(q) − r(i), with r(q) =
 *   the question's mean cosine to its 5 nearest insights and r(i) = the insight's
 *   mean cosine to its 5 nearest questions (other salons only), so an insight near
 *   everything ranks lower from every question's side.
 *
 * The embedder's cosine threshold still applies: a pair below it is never shown.
 * Measured (bench/quality.ts): cosine top-3 → largest hub 30 questions, 33% of
 * attachments share the question's hand theme label; mutual CSLS (k 5, share 5%)
 * → largest hub 5, 38%, and 130 of 151 questions keep at least one insight.
 *
 * Cost: two passes over the (question, candidate insight) pairs, O(k) memory per
 * question and per insight.
 */
import type { Item } from '../parse/schema.js';
import { csls, NEIGHBOURHOOD_K, type Scoring, TopMean } from '../util/csls.js';
import { dot } from './vectors.js';

export interface RelatedInsightOptions {
  /** Minimum cosine for a pair to be shown at all (the embedder's relatedInsight). */
  threshold: number;
  /** Insights listed per question. */
  limit: number;
  scoring: Scoring;
  /** Depth of the question side of the mutual k-NN rule. */
  k: number;
  /** An insight attaches to at most max(1, ⌊maxShare · questions⌋) questions. */
  maxShare: number;
}

export interface RelatedInsight {
  row: number;
  /** The scoring's value (CSLS or cosine). */
  score: number;
  cosine: number;
}

interface Ranked {
  other: number;
  score: number;
  cosine: number;
}

/** Keeps the `size` best by score, ties by the smaller row. */
class TopList {
  readonly list: Ranked[] = [];
  constructor(readonly size: number) {}
  push(x: Ranked): void {
    const list = this.list;
    let i = list.length;
    while (i > 0 && better(x, list[i - 1] as Ranked)) i--;
    if (i >= this.size) return;
    list.splice(i, 0, x);
    if (list.length > this.size) list.pop();
  }
}

function better(a: Ranked, b: Ranked): boolean {
  return a.score > b.score || (a.score === b.score && a.other < b.other);
}

/**
 * Related insights of every question in `questions` (rows into items/vectors),
 * each looking among `candidatesOf(question)` (insight rows; other salons' only
 * are used). Returns question row → related insights, best first.
 */
export function relatedInsightsOf(
  questions: readonly number[],
  candidatesOf: (question: number) => readonly number[],
  items: readonly Item[],
  vectors: readonly Float32Array[],
  options: RelatedInsightOptions,
): Map<number, RelatedInsight[]> {
  const salonOf = (row: number): string => (items[row] as Item).salonId;
  const pairsOf = function* (q: number): Generator<[number, number]> {
    const salon = salonOf(q);
    const qv = vectors[q] as Float32Array;
    for (const i of candidatesOf(q)) {
      if (salonOf(i) !== salon) yield [i, dot(qv, vectors[i] as Float32Array)];
    }
  };

  // Pass 1: neighbourhood radii, r(q) toward insights and r(i) toward questions.
  const rq = new Map<number, number>();
  const riTop = new Map<number, TopMean>();
  if (options.scoring === 'csls') {
    for (const q of questions) {
      const top = new TopMean(NEIGHBOURHOOD_K);
      for (const [i, cosine] of pairsOf(q)) {
        top.push(cosine);
        let ti = riTop.get(i);
        if (!ti) riTop.set(i, (ti = new TopMean(NEIGHBOURHOOD_K)));
        ti.push(cosine);
      }
      rq.set(q, top.mean());
    }
  }
  const ri = new Map([...riTop].map(([i, top]) => [i, top.mean()]));
  const scoreOf = (q: number, i: number, cosine: number): number =>
    options.scoring === 'csls' ? csls(cosine, rq.get(q) ?? 0, ri.get(i) ?? 0) : cosine;

  // Pass 2: each side's best partners under the scoring.
  const insightDepth = Math.min(
    options.k,
    Math.max(1, Math.floor(options.maxShare * questions.length)),
  );
  const byQuestion = new Map<number, TopList>();
  const byInsight = new Map<number, TopList>();
  for (const q of questions) {
    const mine = new TopList(options.k);
    byQuestion.set(q, mine);
    for (const [i, cosine] of pairsOf(q)) {
      const score = scoreOf(q, i, cosine);
      mine.push({ other: i, score, cosine });
      let theirs = byInsight.get(i);
      if (!theirs) byInsight.set(i, (theirs = new TopList(insightDepth)));
      theirs.push({ other: q, score, cosine });
    }
  }

  const out = new Map<number, RelatedInsight[]>();
  for (const q of questions) {
    const related: RelatedInsight[] = [];
    for (const hit of (byQuestion.get(q) as TopList).list) {
      if (related.length >= options.limit) break;
      if (hit.cosine < options.threshold) continue;
      if (!byInsight.get(hit.other)?.list.some((h) => h.other === q)) continue;
      related.push({ row: hit.other, score: hit.score, cosine: hit.cosine });
    }
    out.set(q, related);
  }
  return out;
}
