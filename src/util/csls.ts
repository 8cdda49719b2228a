/**
 * Scoring primitives shared by the index stage (search, similar questions) and the
 * cluster stage (related insights): plain cosine, or cross-domain similarity local
 * scaling (CSLS, Conneau et al. 2018) that discounts "hubs", vectors close to
 * everything. See src/index/csls/hubness.ts for why and what was measured.
 *
 *   csls(0.71, 0.62, 0.55) // 2·0.71 − 0.62 − 0.55 = 0.25
 */

export const SCORINGS = ['cosine', 'csls'] as const;
export type Scoring = (typeof SCORINGS)[number];

/** Default scoring: CSLS beat cosine on every measure in bench/quality.ts. */
export const DEFAULT_SCORING: Scoring = 'csls';

/**
 * Recurring-question groups can also score pairs contrastively: CSLS averaged
 * with CSLS on the two questions without their shared words (src/index/recurring/contrastive.ts).
 * It needs both texts and extra embeddings, so it is offered where pairs of stored
 * questions are scored, not for searches.
 */
export const QUESTION_SCORINGS = ['contrastive', ...SCORINGS] as const;
export type QuestionScoring = (typeof QUESTION_SCORINGS)[number];

/** Default for recurring questions: contrastive beat CSLS on pairs and look-alikes in bench/quality.ts. */
export const DEFAULT_QUESTION_SCORING: QuestionScoring = 'contrastive';

/** Neighbours behind r(v): 5 is the CSLS paper's choice and measured best among 3, 5, 10, 20. */
export const NEIGHBOURHOOD_K = 5;

/** 2·cos − r(x) − r(y), where r is a vector's mean cosine to its k nearest neighbours. */
export function csls(cosine: number, rx: number, ry: number): number {
  return 2 * cosine - rx - ry;
}

/** Keeps the k largest numbers seen; `mean()` is 0 when none were. */
export class TopMean {
  readonly #top: number[] = [];
  constructor(readonly k: number = NEIGHBOURHOOD_K) {}

  push(x: number): void {
    const top = this.#top;
    if (top.length === this.k && x <= (top[this.k - 1] as number)) return;
    let i = top.length;
    while (i > 0 && x > (top[i - 1] as number)) i--;
    top.splice(i, 0, x);
    if (top.length > this.k) top.pop();
  }

  mean(): number {
    const top = this.#top;
    return top.length === 0 ? 0 : top.reduce((s, x) => s + x, 0) / top.length;
  }
}
