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
 * nDCG@10 0.443 (CSLS vector search) → 0.524, cross-salon question recall@5 0.750 → 0.762.
 *
 *   const ranked = await fusedRanking({ q, k, pool, lexical, alpha, centres, reader });
 *
 * Cost (bench:fused-floor and bench:ann's salon-lens-text engine, beside raw hnswlib on
 * the same graph): the walk fetches fusedDepth(k) hits, as raw hnswlib fetches k, so
 * its recall against this ranking's own exact answers is the walk's. Beyond the walk a
 * query reads each candidate's radius from a table by row number, takes three section-
 * centre dot products per pass, adds the best FEEDBACK_HITS rows into the moved query
 * and takes one dot product per candidate against it (rows from memory in a store whose
 * vectors fit RESIDENT_BYTES, else from the file: vector-rows.ts); only the k hits
 * returned become objects. That re-score reads rows the walk did not warm (hnswlib
 * walks its own copy), and it is most of what this ranking adds to a walk.
 */
import type { Item, Section } from '../../parse/index.js';
import { NEIGHBOURHOOD_K } from '../../util/csls.js';
import { dot, type ScoredItem } from '../storage/seam.js';
import type { CandidateReader } from './candidate-reader.js';
import type { SectionCentre, SectionCentres } from './section-centres.js';

/**
 * Vector hits the fused ranking re-scores: the k nearest by cosine, and never fewer
 * than this (a short list still lets a less hub-like item climb into the top 5).
 * CSLS vector search fetches max(2k, k + 10); the fused ranking gains nothing from
 * the extra depth on the shared corpus (fetched as deep as CSLS: free-text nDCG@10
 * 0.518, cross-salon look-up recall@5 0.750; at max(k, 10): 0.524 and 0.762; with
 * k = 5 and the query's salon excluded, look-up recall@5 0.713 → 0.700), and a graph
 * walk for k hits costs what raw hnswlib's does, where 2k hits made it walk at ef ≥ 2k.
 */
export const FUSED_MIN_DEPTH = 10;

/** How many vector hits the fused ranking of a top-k re-scores. */
export function fusedDepth(k: number): number {
  return Math.max(k, FUSED_MIN_DEPTH);
}

/** Hits whose mean the query moves towards. */
export const FEEDBACK_HITS = 3;
/** How far it moves at most (Rocchio β; the query itself weighs 1). */
export const FEEDBACK_WEIGHT = 0.5;
/** Gap r(query) − mean r(nearest hits) at and below which the full weight applies. */
export const FEEDBACK_GAP = 0.15;
/** Weight of the lexical share (BM25 over the query's best BM25, 0–1). */
export const LEXICAL_WEIGHT = 0.1;

/**
 * Feedback weight of a query from its nearest hits (best first by cosine): the gap
 * between its own radius (the mean cosine of its first NEIGHBOURHOOD_K hits, an
 * identical stored text skipped) and those hits' radii, mapped to 0…FEEDBACK_WEIGHT.
 */
export function feedbackWeight(
  hits: ReadonlyArray<{ cosine: number; radius: number }>,
  k = NEIGHBOURHOOD_K,
): number {
  return feedbackWeightOf(
    hits.map((h) => h.cosine),
    hits.map((h) => h.radius),
    k,
  );
}

/** feedbackWeight over parallel arrays (cosines best first, radii), summed in the same order. */
function feedbackWeightOf(
  cosines: ArrayLike<number>,
  radii: ArrayLike<number>,
  k = NEIGHBOURHOOD_K,
): number {
  let count = 0;
  let cosineSum = 0;
  let radiusSum = 0;
  for (let i = 0; i < cosines.length && count < k; i++) {
    if (!((cosines[i] as number) < 1 - 1e-6)) continue;
    cosineSum += cosines[i] as number;
    radiusSum += radii[i] as number;
    count++;
  }
  if (count === 0) return 0;
  const gap = cosineSum / count - radiusSum / count;
  return FEEDBACK_WEIGHT * Math.min(1, Math.max(0, -gap / FEEDBACK_GAP));
}

/** The query moved towards the mean of `hits` (unit vectors): unit(q + β·mean). */
async function movedQuery(
  q: Float32Array,
  hits: readonly ScoredItem[],
  weight: number,
  reader: CandidateReader,
): Promise<Float32Array> {
  const out = q.slice();
  if (hits.length === 0 || weight === 0) return out;
  await reader.addRows(out, hits, weight / hits.length);
  const scale = 1 / (Math.sqrt(dot(out, out)) || 1);
  for (let d = 0; d < out.length; d++) (out[d] as number) *= scale;
  return out;
}

/** What `fusedRanking` needs from the store, for one query. */
export interface FusedQuery {
  /** The query's unit vector. */
  q: Float32Array;
  k: number;
  /** Vector hits, best first by cosine (score: the cosine), `fusedDepth(k)` of them. */
  pool: readonly ScoredItem[];
  /** BM25 hits, best first. */
  lexical: readonly ScoredItem[];
  /** α of the item-side CSLS discount (0 with plain cosine). */
  alpha: number;
  centres: SectionCentres;
  /** Each candidate's radius, stored row and cosines (candidate-reader.ts). */
  reader: CandidateReader;
}

export interface FusedHit {
  item: Item;
  /** Fused score. */
  score: number;
  /** Plain cosine to the query. */
  cosine: number;
}

/** v·centre − α·r̄ of each section, in `sections` order: the section-style offset its items pay. */
function sectionOffsets(
  v: Float32Array,
  sections: readonly Section[],
  centres: SectionCentres,
  alpha: number,
): Float64Array {
  return Float64Array.from(sections, (section) => {
    const centre = centres.get(section) as SectionCentre;
    return dot(v, centre.mean) - alpha * centre.meanRadius;
  });
}

/** Candidate order: higher score first, ties by item id (as compareScored). */
function byScore(scores: Float64Array, items: readonly Item[]) {
  return (a: number, b: number): number => {
    const sa = scores[a] as number;
    const sb = scores[b] as number;
    if (sb !== sa) return sb - sa;
    const ia = (items[a] as Item).id;
    const ib = (items[b] as Item).id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
}

/**
 * The fused ranking of one query (steps 1–3 above): the pool and the lexical-only
 * hits scored by corrected cosine to the query moved towards its best pool hits,
 * plus the lexical share; the best k, ties by item id.
 */
export async function fusedRanking(f: FusedQuery): Promise<FusedHit[]> {
  const { q, pool, lexical, alpha, centres, reader } = f;
  const inPool = pool.length;
  const candidates: ScoredItem[] = pool.slice();
  // Lexical hits the pool lacks are further candidates (no id table when there are none).
  let slot: Map<string, number> | undefined;
  if (lexical.length > 0) {
    slot = new Map();
    for (let i = 0; i < inPool; i++) slot.set((candidates[i] as ScoredItem).item.id, i);
    for (const h of lexical) {
      if (slot.has(h.item.id)) continue;
      slot.set(h.item.id, candidates.length);
      candidates.push(h);
    }
  }
  const items = candidates.map((c) => c.item);
  const n = candidates.length;
  const plain = new Float64Array(n);
  const radii = new Float64Array(n);
  for (let i = 0; i < inPool; i++) plain[i] = (pool[i] as ScoredItem).score;
  for (let i = 0; i < n; i++) radii[i] = reader.radius(candidates[i] as ScoredItem);
  // Each candidate's section as an index into the centres (−1: a section without one).
  const sections = [...centres.keys()];
  const sectionOf = Int8Array.from(items, (item) => sections.indexOf(item.section));
  const corrected = (cosines: ArrayLike<number>, offsets: Float64Array, out: Float64Array) => {
    for (let i = 0; i < out.length; i++) {
      const s = sectionOf[i] as number;
      const offset = s < 0 ? 0 : (offsets[s] as number);
      out[i] = (cosines[i] as number) - alpha * (radii[i] as number) - offset;
    }
  };
  // First pass over the pool only: its best hits are the feedback.
  const first = new Float64Array(inPool);
  corrected(plain, sectionOffsets(q, sections, centres, alpha), first);
  // Pool hits come best first by cosine, as the query's radius wants them.
  const weight = feedbackWeightOf(plain.subarray(0, inPool), radii);
  let moved = q;
  let movedCosines: ArrayLike<number> = plain;
  if (weight > 0) {
    const best = indices(inPool)
      .sort(byScore(first, items))
      .slice(0, FEEDBACK_HITS)
      .map((i) => candidates[i] as ScoredItem);
    moved = await movedQuery(q, best, weight, reader);
    movedCosines = await reader.scores(moved, candidates);
  } else if (n > inPool) {
    // The query did not move: the pool's cosines are in hand, the rest are read.
    plain.set(await reader.scores(q, candidates.slice(inPool)), inPool);
  }
  const scores = new Float64Array(n);
  corrected(movedCosines, sectionOffsets(moved, sections, centres, alpha), scores);
  const bestLexical = lexical[0]?.score ?? 0;
  if (slot && bestLexical > 0) {
    for (const h of lexical) {
      const i = slot.get(h.item.id) as number;
      scores[i] = (scores[i] as number) + (LEXICAL_WEIGHT * h.score) / bestLexical;
    }
  }
  const top = indices(n).sort(byScore(scores, items)).slice(0, f.k);
  // With feedback, a lexical-only hit's plain cosine is read only if it is returned.
  const unread = weight > 0 ? top.filter((i) => i >= inPool) : [];
  if (unread.length > 0) {
    const cosines = await reader.scores(
      q,
      unread.map((i) => candidates[i] as ScoredItem),
    );
    unread.forEach((i, j) => {
      plain[i] = cosines[j] as number;
    });
  }
  return top.map((i) => ({
    item: items[i] as Item,
    score: scores[i] as number,
    cosine: plain[i] as number,
  }));
}

/** 0 … n − 1. */
function indices(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i);
  return out;
}
