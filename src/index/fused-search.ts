/**
 * The default text search ('fused' mode): one ranking that serves both kinds of
 * query users type, a topic in their own words ("bosses using software to watch
 * staff") and a question looking for its like in other salons. Three steps over the
 * vector hits, each a known, model-independent correction:
 *
 * 1. Hubs and section style discounted. An item scores cos(q, y) − α·r(y) (α ½ with
 *    CSLS: the item side of CSLS; the query's own r is the same for every hit), less
 *    the same for its section's centre (section-centres.ts), so a question-shaped query
 *    does not favour every stored question over the insights on its topic. With one
 *    section in scope that offset is a constant and changes nothing.
 * 2. Pseudo-relevance feedback (Rocchio), by the kind of query: the query moves towards
 *    the mean of its best FEEDBACK_HITS hits and the hits are scored again. A short topic
 *    phrase embeds poorly and its best hits say better what it is about; a question
 *    looking for its like is already an item of the kind it seeks, and moving it
 *    towards look-alikes costs the true paraphrase. Which kind a query is comes from
 *    CSLS's own statistics: r(query) − mean r(its nearest hits), how much less the
 *    query resembles its neighbours than they resemble theirs. On the shared corpus
 *    that gap is −0.10 at the median for the 30 free-text queries and −0.02 for the 80
 *    question look-ups; the weight grows from 0 at a gap of 0 to FEEDBACK_WEIGHT at
 *    −FEEDBACK_GAP.
 * 3. A light share of BM25: + LEXICAL_WEIGHT × (BM25 / the best BM25 of the query),
 *    so shared rare words lift an item without a keyword-only hit outranking meaning
 *    (reciprocal-rank fusion gave keywords an equal vote and lost look-up recall).
 *
 * Measured on the shared corpus (bench/quality.ts, both sets side by side): free-text
 * nDCG@10 0.443 (CSLS vector search) → 0.518, cross-salon question recall@5 0.750 kept.
 *
 *   const ranked = fuseHits({ pool, lexical, ... });
 */
import type { Section } from '../parse/index.js';
import { NEIGHBOURHOOD_K } from '../util/csls.js';
import type { SectionCentres } from './section-centres.js';

/** Hits whose mean the query moves towards. */
export const FEEDBACK_HITS = 3;
/** How far it moves at most (Rocchio β; the query itself weighs 1). */
export const FEEDBACK_WEIGHT = 0.5;
/** Gap r(query) − mean r(nearest hits) at and below which the full weight applies. */
export const FEEDBACK_GAP = 0.15;
/** Weight of the lexical share (BM25 over the query's best BM25, 0–1). */
export const LEXICAL_WEIGHT = 0.1;

export interface FusedCandidate {
  id: string;
  section: Section;
  /** Cosine to the query vector as used in this pass. */
  cosine: number;
  /** CSLS radius r of the item (0 with plain cosine). */
  radius: number;
}

/**
 * Hub and section-style corrected score: cos − α·r − (q·centre − α·r̄) of the item's
 * section. `queryDotCentre` is q·centre per section (absent sections count 0).
 */
export function correctedScore(
  c: FusedCandidate,
  alpha: number,
  centres: SectionCentres,
  queryDotCentre: ReadonlyMap<Section, number>,
): number {
  const centre = centres.get(c.section);
  const offset = centre ? (queryDotCentre.get(c.section) ?? 0) - alpha * centre.meanRadius : 0;
  return c.cosine - alpha * c.radius - offset;
}

/** q·centre for every section centre. */
export function dotCentres(q: Float32Array, centres: SectionCentres): Map<Section, number> {
  const out = new Map<Section, number>();
  for (const [section, { mean }] of centres) {
    let s = 0;
    for (let d = 0; d < q.length; d++) s += (q[d] as number) * (mean[d] as number);
    out.set(section, s);
  }
  return out;
}

/**
 * Feedback weight of a query from its nearest hits (best first by cosine): the gap
 * between its own radius (the mean cosine of its first NEIGHBOURHOOD_K hits, an
 * identical stored text skipped) and those hits' radii, mapped to 0…FEEDBACK_WEIGHT.
 */
export function feedbackWeight(
  hits: ReadonlyArray<{ cosine: number; radius: number }>,
  k = NEIGHBOURHOOD_K,
): number {
  const near = hits.filter((h) => h.cosine < 1 - 1e-6).slice(0, k);
  if (near.length === 0) return 0;
  const mean = (f: (h: { cosine: number; radius: number }) => number) =>
    near.reduce((sum, h) => sum + f(h), 0) / near.length;
  const gap = mean((h) => h.cosine) - mean((h) => h.radius);
  return FEEDBACK_WEIGHT * Math.min(1, Math.max(0, -gap / FEEDBACK_GAP));
}

/** The query moved towards the mean of `hits` (unit vectors): unit(q + β·mean). */
export function feedbackQuery(
  q: Float32Array,
  hits: readonly Float32Array[],
  weight: number,
): Float32Array {
  const out = Float32Array.from(q);
  if (hits.length === 0 || weight === 0) return out;
  for (const v of hits) {
    for (let d = 0; d < out.length; d++)
      (out[d] as number) += (weight * (v[d] as number)) / hits.length;
  }
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < out.length; d++) (out[d] as number) /= norm;
  return out;
}

/** Each item's BM25 as a share of the query's best (0–1), times LEXICAL_WEIGHT. */
export function lexicalShares(
  lexical: ReadonlyArray<{ id: string; score: number }>,
  weight = LEXICAL_WEIGHT,
): Map<string, number> {
  const best = lexical[0]?.score ?? 0;
  const out = new Map<string, number>();
  if (!(best > 0)) return out;
  for (const h of lexical) out.set(h.id, (weight * h.score) / best);
  return out;
}
