/**
 * The lens's queries: vector, fused, lexical and hybrid search, similar items and
 * recurring questions, ranked once for every store above the storage seam. The
 * exact-vs-graph plan is planner.ts; the lens (lens.ts) owns opening, the read/write
 * queue and writes, and hands each read here.
 *
 *   const queries = new LensQueries(storage, embedder, vectors, statistics);
 *   const hits = await queries.search('who owns model weights?', { k: 5 });
 */
import { z } from 'zod';
import type { Embedder } from '../../embed/index.js';
import { parseOptions, SalonLensError } from '../../errors.js';
import { unitVector } from '../../util/vector.js';
import { csls, queryRadius, type Scoring } from '../csls/hubness.js';
import type { LensStatistics } from '../csls/lens-statistics.js';
import type { StoredNeighbourhoods } from '../csls/neighbourhoods.js';
import type { LensVectors } from '../lens-embed.js';
import {
  LENS_DEFAULTS,
  parseSearchOptions,
  type SearchOptions,
  type SimilarQuestionsOptions,
  SimilarQuestionsOptionsSchema,
  type SimilarToOptions,
  SimilarToOptionsSchema,
  scoringThreshold,
  type VectorSearchOptions,
  VectorSearchOptionsSchema,
} from '../options.js';
import { findSimilarQuestions, salonRef } from '../recurring/similar-questions.js';
import type { SearchHit, SimilarQuestionGroup } from '../schema.js';
import {
  compareScored,
  type LensStorage,
  type ScoredItem,
  type StorageFilter,
} from '../storage/seam.js';
import { type CandidateReader, candidateReader, refTable } from './candidate-reader.js';
import { fusedDepth, fusedRanking } from './fused-search.js';
import { hybridRanking, type RankedItem } from './hybrid.js';
import { nearest } from './planner.js';
import { type SectionCentres, sectionCentres } from './section-centres.js';

/** What fused ranking reads, as of one generation: candidates' radii and rows, section centres. */
interface RankingContext {
  generation: number;
  reader: CandidateReader;
  centres: SectionCentres;
}

/** Built once: constructing a zod schema per query showed up in search latency. */
const QUERY_SCHEMA = z.string().trim().min(1, 'expected a non-empty query');

export class LensQueries {
  readonly #storage: LensStorage;
  readonly #embedder: Embedder;
  readonly #vectors: LensVectors;
  readonly #statistics: LensStatistics;
  /** The store's vector dimension. */
  readonly #dim: number;
  /** Section centres for fused search; computed on first use, dropped after each write. */
  #centres: Promise<SectionCentres> | undefined;
  /** What fused ranking needs of one generation, once loaded (see #heldContext). */
  #context: RankingContext | undefined;

  constructor(
    storage: LensStorage,
    embedder: Embedder,
    vectors: LensVectors,
    statistics: LensStatistics,
  ) {
    this.#storage = storage;
    this.#embedder = embedder;
    this.#vectors = vectors;
    this.#statistics = statistics;
    this.#dim = storage.info().embedder.dim;
  }

  /** Forget what depends on the stored items (called when a write starts). */
  invalidate(): void {
    this.#centres = undefined;
    this.#context = undefined;
  }

  async search(text: string, options: SearchOptions): Promise<SearchHit[]> {
    const query = parseOptions(QUERY_SCHEMA, text, 'search query');
    const { k, exact, mode, scoring, ...filter } = parseSearchOptions(options);
    if (mode === 'lexical') {
      return this.#hits(await this.#storage.lexical(query, k, filter), 'bm25');
    }
    const [q] = await this.#vectors.embed([query]);
    if (!q) return [];
    const method = exact ? 'exact' : 'auto';
    // A query is not stored: its own r comes from the nearest hits we fetch anyway.
    const vectorHits = async (want: number) =>
      this.#ranked(
        await nearest(this.#storage, { vector: q, k: rerankDepth(want, scoring), filter, method }),
        scoring,
        want,
      );
    if (mode === 'vector') return this.#hits(await vectorHits(k), scoring);
    if (mode === 'fused') {
      return this.#hits(await this.#fused(query, q, k, filter, scoring, method), 'fused');
    }
    return this.#hits(await hybridRanking(this.#storage, query, q, k, filter, vectorHits), 'rrf');
  }

  async searchVector(
    vector: ArrayLike<number>,
    options: VectorSearchOptions,
  ): Promise<SearchHit[]> {
    const {
      k,
      exact,
      scoring,
      mode: _,
      ...filter
    } = parseSearchOptions(options, VectorSearchOptionsSchema, 'searchVector options');
    const q = unitVector(vector, this.#dim, (problem) => {
      return new SalonLensError('INVALID_OPTIONS', `searchVector: ${problem}`, {
        details: { dim: this.#dim },
      });
    });
    const method = exact ? 'exact' : 'auto';
    const hits = await nearest(this.#storage, {
      vector: q,
      k: rerankDepth(k, scoring),
      filter,
      method,
    });
    return this.#hits(await this.#ranked(hits, scoring, k), scoring);
  }

  async similarTo(itemId: string, options: SimilarToOptions): Promise<SearchHit[]> {
    const { k, exact, crossSalonOnly, scoring, ...filter } = parseOptions(
      SimilarToOptionsSchema,
      options,
      'similarTo options',
    );
    const row = await this.#storage.row(itemId);
    if (row === undefined) {
      throw new SalonLensError(
        'ITEM_NOT_FOUND',
        `No item "${itemId}" in store ${this.#storage.location}.`,
        {
          details: { itemId, dir: this.#storage.location },
        },
      );
    }
    const excludeSalon = [filter.excludeSalon ?? []]
      .flat()
      .concat(crossSalonOnly ? [row.item.salonId] : []);
    const hits = await nearest(this.#storage, {
      vector: row.vector,
      k: rerankDepth(k, scoring),
      method: exact ? 'exact' : 'auto',
      filter: {
        ...filter,
        ...(excludeSalon.length > 0 ? { excludeSalon } : {}),
        excludeItems: [itemId],
      },
    });
    return this.#hits(await this.#ranked(hits, scoring, k, itemId), scoring);
  }

  async similarQuestions(options: SimilarQuestionsOptions): Promise<SimilarQuestionGroup[]> {
    const o = parseOptions(SimilarQuestionsOptionsSchema, options, 'similarQuestions options');
    const threshold =
      o.threshold ?? scoringThreshold(o.scoring, this.#embedder.thresholds.similarQuestion);
    const stats = o.scoring === 'cosine' ? undefined : await this.#stats();
    const cap = duplicateRadius(this.#embedder.thresholds.similarQuestion);
    const contrast =
      o.scoring === 'contrastive'
        ? {
            embed: (texts: string[]) => this.#vectors.embed(texts),
            radiusCap: cap,
            maxQuestions: o.contrastMaxQuestions,
          }
        : undefined;
    return findSimilarQuestions(
      this.#storage,
      o,
      threshold,
      (a, b, cosine) =>
        stats
          ? csls(cosine, Math.min(stats.radius(a), cap), Math.min(stats.radius(b), cap))
          : cosine,
      contrast,
    );
  }

  /**
   * Fused search (fused-search.ts): the `fusedDepth(k)` nearest vector hits and the
   * BM25 hits of the query, scored by corrected cosine to the query moved towards its
   * best hits, plus the lexical share.
   */
  async #fused(
    query: string,
    q: Float32Array,
    k: number,
    filter: StorageFilter,
    scoring: Scoring,
    method: 'exact' | 'auto',
  ): Promise<RankedItem[]> {
    const depth = fusedDepth(k);
    const pool = await nearest(this.#storage, { vector: q, k: depth, filter, method });
    const lexical = await this.#storage.lexical(query, depth, filter);
    const { reader, centres } = this.#heldContext() ?? (await this.#rankingContext());
    return fusedRanking({
      q,
      k,
      pool,
      lexical,
      // α: the item side of CSLS (2·cos − r(q) − r(y), halved; r(q) ranks nothing).
      alpha: scoring === 'csls' ? 0.5 : 0,
      centres,
      reader,
    });
  }

  /**
   * What fused ranking reads, if held for the store's current generation: the
   * radius of every item by row number is built once per generation (6–10 ms at 20k
   * items, so about half a second at a million, on the first fused search after an
   * open or a write), not looked up by id per candidate and query.
   */
  #heldContext(): RankingContext | undefined {
    const held = this.#context;
    return held && held.generation === this.#storage.info().generation ? held : undefined;
  }

  async #rankingContext(): Promise<RankingContext> {
    const generation = this.#storage.info().generation;
    const stats = await this.#stats();
    const centres = await this.#sectionCentres();
    const refs = this.#storage.rowRefs?.();
    const table = refs?.generation === generation ? refTable(refs, stats) : undefined;
    const reader = candidateReader(this.#storage, stats, table);
    // A write may have begun meanwhile (it calls invalidate): hold only what is current.
    const context = { generation, reader, centres };
    if (this.#storage.info().generation === generation && this.#centres) this.#context = context;
    return context;
  }

  #sectionCentres(): Promise<SectionCentres> {
    this.#centres ??= this.#stats().then((stats) =>
      sectionCentres(this.#storage, (id) => stats.radius(id)),
    );
    this.#centres.catch(() => {
      this.#centres = undefined;
    });
    return this.#centres;
  }

  /**
   * Rank cosine hits by the scoring and keep k. For CSLS the caller fetched
   * `rerankDepth(k)` hits by cosine, since an item a little further by cosine but
   * less of a hub can rank higher; r of the query is its stored radius (a stored
   * item) or the mean cosine of its nearest hits (a text query).
   */
  async #ranked(
    hits: ScoredItem[],
    scoring: Scoring,
    k: number,
    queryItemId?: string,
  ): Promise<RankedItem[]> {
    if (scoring === 'cosine') return hits.slice(0, k);
    const stats = await this.#stats();
    const rq =
      queryItemId === undefined ? queryRadius(hits.map((h) => h.score)) : stats.radius(queryItemId);
    return hits
      .map((h) => ({
        item: h.item,
        score: csls(h.score, rq, stats.radius(h.item.id)),
        cosine: h.score,
      }))
      .sort(compareScored)
      .slice(0, k);
  }

  #stats(): Promise<StoredNeighbourhoods> {
    return this.#statistics.current(this.#storage);
  }

  #hits(list: readonly RankedItem[], scoring: SearchHit['scoring']): SearchHit[] {
    return list.map(({ item, score, cosine }) => {
      const salon = this.#storage.salon(item.salonId);
      return {
        item: { ...item },
        salon: salon ? salonRef(salon) : { id: item.salonId, title: item.salonId },
        score,
        scoring,
        ...(scoring === 'bm25' ? {} : { cosine: cosine ?? score }),
      };
    });
  }
}

/**
 * Highest r used when grouping questions: halfway from the embedder's same-question
 * cosine to 1. A question repeated near-verbatim in more than k salons has its
 * repeats as its k nearest neighbours, so its r is about their own cosine and CSLS
 * inside the cluster sits near 0 (half the repeats fell below the threshold in the
 * 20,000-item load test); capped, the repeats link. On the corpus no question's r
 * reaches the cap (USE-lite: 0.8), so nothing else changes.
 */
function duplicateRadius(sameQuestionCosine: number): number {
  return (1 + sameQuestionCosine) / 2;
}

/** Hits fetched by cosine before CSLS re-ranks them (a hit further down can overtake). */
function rerankDepth(k: number, scoring: Scoring): number {
  return scoring === 'csls' ? Math.max(2 * k, k + LENS_DEFAULTS.cslsExtra) : k;
}
