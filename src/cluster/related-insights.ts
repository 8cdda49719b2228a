/**
 * For each question, the insights of *other* salons that relate to it, without hubs.
 *
 * Plain "cosine ≥ threshold, best 3" let one insight ("If AI handles routine
 * cognitive tasks, schools need to rethink…") attach to 30 of the corpus's 151
 * questions: a few vectors are close to everything. Two rules stop that:
 *
 * - **Mutual k-NN**: among pairs at or above the embedder's cosine threshold, an
 *   insight is shown for a question only if it is among the question's k best
 *   insights *and* the question is among the insight's k best questions. The insight side looks at most max(1, ⌊maxShare · questions⌋)
 *   deep, so no insight can attach to more than that share of the questions,
 *   whatever the model or corpus.
 * - **Scoring** (default CSLS): both rankings use 2·cos − r(q) − r(i), with r(q) =
 *   the question's mean cosine to its 5 nearest insights and r(i) = the insight's
 *   mean cosine to its 5 nearest questions (other salons only), so an insight near
 *   everything ranks lower from every question's side.
 *
 * Measured (bench/quality.ts): cosine top-3 → largest hub 30 questions, 33% of
 * attachments share the question's hand theme label; mutual CSLS (k 5, share 5%)
 * → largest hub 5, 38%, and 130 of 151 questions keep at least one insight.
 *
 * Cost: two passes over the (question, candidate insight) pairs for CSLS (one for
 * cosine), O(k) memory per question and per insight; on 20,000 synthetic items
 * (6,500 questions × 2,333 insights) 1.9× the old single-pass lookup.
 */
import type { Item } from '../parse/schema.js';
import { csls, NEIGHBOURHOOD_K, type Scoring, TopMean } from '../util/csls.js';
import { dotF32 } from '../util/vector.js';

/** Questions between abort checks. */
const ABORT_QUESTIONS = 256;

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
  /** Called every few hundred questions; throws to stop (an aborted run). */
  abortCheck?: () => void;
}

export interface RelatedInsight {
  row: number;
  /** The scoring's value (CSLS or cosine). */
  score: number;
  cosine: number;
}

/**
 * The `size` best (other, score, cosine) triples by score, ties by the smaller
 * row, in parallel arrays; a push that cannot enter returns after one comparison
 * (this runs once per question × candidate pair, millions of times at scale).
 */
class TopList {
  readonly others: number[] = [];
  readonly scores: number[] = [];
  readonly cosines: number[] = [];
  constructor(readonly size: number) {}

  push(other: number, score: number, cosine: number): void {
    const { others, scores } = this;
    let i = others.length;
    if (i === this.size) {
      const last = scores[i - 1] as number;
      if (score < last || (score === last && other > (others[i - 1] as number))) return;
    }
    while (
      i > 0 &&
      (score > (scores[i - 1] as number) ||
        (score === scores[i - 1] && other < (others[i - 1] as number)))
    )
      i--;
    others.splice(i, 0, other);
    scores.splice(i, 0, score);
    this.cosines.splice(i, 0, cosine);
    if (others.length > this.size) {
      others.pop();
      scores.pop();
      this.cosines.pop();
    }
  }
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
  const csls_ = options.scoring === 'csls';
  /** Calls visit(insight, cosine) for each candidate of q from another salon. */
  const eachPair = (q: number, visit: (i: number, cosine: number) => void): void => {
    const salon = (items[q] as Item).salonId;
    const qv = vectors[q] as Float32Array;
    for (const i of candidatesOf(q)) {
      if ((items[i] as Item).salonId !== salon) visit(i, dotF32(qv, vectors[i] as Float32Array));
    }
  };

  // Pass 1 (CSLS only): neighbourhood radii, r(q) toward insights, r(i) toward questions.
  const radius = new Float64Array(items.length);
  if (csls_) {
    const insightTop: Array<TopMean | undefined> = new Array(items.length);
    for (const [index, q] of questions.entries()) {
      if (index % ABORT_QUESTIONS === 0) options.abortCheck?.();
      const top = new TopMean(NEIGHBOURHOOD_K);
      eachPair(q, (i, cosine) => {
        top.push(cosine);
        insightTop[i] ??= new TopMean(NEIGHBOURHOOD_K);
        insightTop[i].push(cosine);
      });
      radius[q] = top.mean();
    }
    insightTop.forEach((top, i) => {
      if (top) radius[i] = top.mean();
    });
  }

  // Pass 2: each side's best partners under the scoring.
  const insightDepth = Math.min(
    options.k,
    Math.max(1, Math.floor(options.maxShare * questions.length)),
  );
  const byQuestion = new Map<number, TopList>();
  const byInsight: Array<TopList | undefined> = new Array(items.length);
  for (const [index, q] of questions.entries()) {
    if (index % ABORT_QUESTIONS === 0) options.abortCheck?.();
    const mine = new TopList(options.k);
    byQuestion.set(q, mine);
    const rq = radius[q] as number;
    eachPair(q, (i, cosine) => {
      // Below the embedder's threshold a pair is never shown, so it takes no slot either.
      if (cosine < options.threshold) return;
      const score = csls_ ? csls(cosine, rq, radius[i] as number) : cosine;
      mine.push(i, score, cosine);
      byInsight[i] ??= new TopList(insightDepth);
      byInsight[i].push(q, score, cosine);
    });
  }

  const out = new Map<number, RelatedInsight[]>();
  for (const q of questions) {
    const related: RelatedInsight[] = [];
    const mine = byQuestion.get(q) as TopList;
    mine.others.forEach((i, j) => {
      const cosine = mine.cosines[j] as number;
      if (related.length >= options.limit) return;
      if (!byInsight[i]?.others.includes(q)) return;
      related.push({ row: i, score: mine.scores[j] as number, cosine });
    });
    out.set(q, related);
  }
  return out;
}
