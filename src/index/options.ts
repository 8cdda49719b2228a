/**
 * Option schemas of the lens store, with every default in one place. Each public
 * method parses its options here once (unknown keys are rejected, so a typo is an
 * INVALID_OPTIONS error naming it rather than a silently ignored option).
 *
 *   const opts = parseOptions(SearchOptionsSchema, { k: 5, section: 'question' }, 'search options');
 */
import { z } from 'zod';
import type { Embedder } from '../embed/index.js';
import { parseOptions } from '../errors.js';
import { type Item, isRealDate, SectionSchema } from '../parse/index.js';
import {
  DEFAULT_QUESTION_SCORING,
  DEFAULT_SCORING,
  QUESTION_SCORINGS,
  type QuestionScoring,
  SCORINGS,
  type Scoring,
} from '../util/csls.js';

export const LENS_DEFAULTS = {
  hnsw: {
    m: 16,
    efConstruction: 200,
    /**
     * Query candidate list up to `efScaleFrom` items: 128 keeps recall@10 ≥ 0.98 with
     * m = 16 there (see recallCheck); larger stores scale it, see `effectiveEf`.
     */
    ef: 128,
    randomSeed: 100,
  },
  k: 10,
  /**
   * 'fused' (fused-search.ts) serves free-text queries and question look-ups alike:
   * on the shared corpus nDCG@10 0.443 → 0.52 at the same look-up recall@5 (0.75)
   * as CSLS vector search; hybrid (RRF) lost look-up recall (0.54). See README's quality table.
   */
  mode: 'fused' as const,
  /** Neighbours looked at per question when grouping similar questions. */
  similarK: 10,
  recallSample: 100,
  /**
   * CSLS re-ranks max(2k, k + cslsExtra) hits fetched by cosine: on the corpus the
   * top-5 by CSLS always came from the top-15 by cosine.
   */
  cslsExtra: 10,
  /** Reciprocal-rank-fusion constant (the usual 60: damps the head of each list). */
  rrfK: 60,
  /** How deep each list goes before fusion, as a multiple of k (at least 50). */
  hybridDepth: 5,
  /**
   * A filter matching at most this many items is searched exactly: faster than
   * HNSW for small subsets, and exact where filtered graph search loses recall.
   */
  exactBelow: 2000,
} as const;

/**
 * Questions up to which recurring groups use the contrastive view by default (see the
 * option). Its contrast texts cost about 9 extra embeddings per question (8.7 measured on
 * the 300-salon archive): at 3,000 questions that is ~26,000, twice the archive's own
 * items, so larger stores group by CSLS alone (which the groups then say).
 */
export const DEFAULT_CONTRAST_MAX_QUESTIONS = 3000;

/** Largest recurring-question group (a candidate to review; larger ones are hard to judge). */
export const DEFAULT_GROUP_SIZE = 8;

/**
 * Default similar-question threshold of a scoring. CSLS 0 means "as close as each
 * question's typical near neighbour", the same for any model; cosine needs the
 * embedder's calibrated value.
 */
export function scoringThreshold(scoring: QuestionScoring, embedderCosine: number): number {
  return scoring === 'cosine' ? embedderCosine : 0;
}

/** Store size from which the stored ef grows with log10(n) (see effectiveEf). */
export const EF_SCALE_FROM = 100_000;

/**
 * The ef a store searches with when none is given: the stored ef up to 100k items,
 * then × (1 + 2·log10(n / 100k)), rounded up to a multiple of 16 (384 at 1M for the
 * stored 128). Measured on the ANN bench (M 16, efConstruction 200):
 * - an earlier, easier dataset (bench/results/ann-large.json, 2026-11-26): recall@10 at
 *   ef 128 fell from 0.9997 (100k) to 0.9695 (1M); ef 256 gave 0.9955;
 * - the hard data (noise 1.5): ef 128 gives 0.9939 at 100k, but at 1M ef 256 gave only
 *   0.9585, and 384 / 512 / 768 gave 0.9825 / 0.985 / 0.989 (raw hnswlib-node; the
 *   lens's graph measured the same at 128 and 256, bench/results/ann-1m-raw-ef.json).
 * The earlier rule (× (1 + log10)) came from that dataset alone.
 */
export function effectiveEf(storedEf: number, items: number): number {
  if (items <= EF_SCALE_FROM) return storedEf;
  return Math.ceil((storedEf * sizeScale(items)) / 16) * 16;
}

/** How much deeper than at 100k items a search must look: 1 + 2·log10(n / 100k), ≥ 1. */
function sizeScale(items: number): number {
  return items <= EF_SCALE_FROM ? 1 : 1 + 2 * Math.log10(items / EF_SCALE_FROM);
}

/** Most a filter multiplies the ef by (a filter this selective is usually searched exactly). */
export const FILTERED_EF_GROWTH = 8;

/**
 * A filtered search scans its matching items exactly when there are at most this
 * many per unit of its (filtered) ef: in the ANN bench at 100k, a filtered graph
 * walk cost as much per unit of ef as an exact scan of 26–33 rows.
 */
export const EXACT_ROWS_PER_EF = 24;

/** Whether a filtered search over `matching` items at this (filtered) ef scans them exactly. */
export function filteredSearchScans(matching: number, ef: number): boolean {
  return matching <= LENS_DEFAULTS.exactBelow || matching <= EXACT_ROWS_PER_EF * ef;
}

/**
 * The ef of a graph search with a filter passing `matching` of `total` items. The
 * search keeps `ef` passing items in its list but walks every node, so it sees a
 * passing neighbour only `matching / total` of the time: up to 100k items, ef ÷ that
 * share keeps the list as deep as an unfiltered search's (a question filter, 39% of
 * the items, 0.964 recall@10 at 100k in the ANN bench). In larger stores that share
 * is not enough: on a 1M store (hard bench data, bench/results/ann-1m-filtered-ef.json)
 * recall@10 for questions / disagreements (15%) by filtered ef was:
 *   992: 0.901 / 0.923 (the 1/share rule from ef 384, for questions);
 *   1,536: 0.937 / 0.951;  2,048: 0.952 / 0.967;  2,496: 0.964 / 0.977;
 *   3,072: 0.972 / 0.982 (this rule, for both).
 * So the factor 1 / share is raised to the store's size scale (1 at 100k, 3 at 1M,
 * as in effectiveEf), an empirical fit to those two sizes: the longer walk from where
 * the query lands to the passing items compounds with the denser graph. Capped at
 * FILTERED_EF_GROWTH × ef and rounded to a multiple of 16, to the nearest one, so a
 * filter that leaves out one salon, as similarTo and the CSLS statistics do, keeps the
 * ef as it is at any size.
 */
export function filteredEf(ef: number, matching: number, total: number): number {
  if (matching >= total || matching <= 0) return ef;
  const growth = Math.min((total / matching) ** sizeScale(total), FILTERED_EF_GROWTH);
  return Math.max(ef, Math.round((ef * growth) / 16) * 16);
}

export const SEARCH_MODES = ['fused', 'vector', 'lexical', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export interface LensProgress {
  /**
   * 'statistics': each new item's nearest items of other salons (for CSLS), after the
   * graph inserts; at 1M items it is the longest stage of a build.
   */
  stage: 'parse' | 'embed' | 'index' | 'statistics' | 'save';
  done: number;
  total: number;
}

const EmbedderSchema = z.custom<Embedder>(
  (value) => {
    const e = value as Partial<Embedder> | null;
    return (
      typeof e === 'object' &&
      e !== null &&
      typeof e.id === 'string' &&
      typeof e.dim === 'number' &&
      typeof e.embed === 'function' &&
      typeof e.thresholds?.similarQuestion === 'number'
    );
  },
  {
    message: 'expected an Embedder ({ id, dim, thresholds, embed() }), e.g. from createEmbedder()',
  },
);

const positiveInt = z.number().int().positive();
const isoDate = z
  .string()
  .refine(isRealDate, 'expected a real calendar date as YYYY-MM-DD (e.g. 2024-09-14)');
/** A date range that ends before it starts would silently match nothing: refuse it. */
const orderedRange = (f: { dateFrom?: string; dateTo?: string }, ctx: z.RefinementCtx) => {
  if (f.dateFrom && f.dateTo && f.dateFrom > f.dateTo) {
    ctx.addIssue({
      code: 'custom',
      path: ['dateTo'],
      message: `${f.dateTo} is before the start of the range (${f.dateFrom})`,
    });
  }
};
const oneOrMany = <T extends z.ZodType>(schema: T) => z.union([schema, z.array(schema)]);
const progressFn = z.custom<(progress: LensProgress) => void>((v) => typeof v === 'function', {
  message: 'expected a function',
});
const abortSignal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
  message: 'expected an AbortSignal',
});

export const HnswOptionsSchema = z.strictObject({
  m: z.number().int().min(2).max(128).default(LENS_DEFAULTS.hnsw.m),
  efConstruction: z.number().int().min(4).max(4096).default(LENS_DEFAULTS.hnsw.efConstruction),
  ef: z.number().int().min(1).max(100_000).default(LENS_DEFAULTS.hnsw.ef),
  randomSeed: z.number().int().nonnegative().default(LENS_DEFAULTS.hnsw.randomSeed),
});

export const CreateLensOptionsSchema = z.strictObject({
  embedder: EmbedderSchema,
  /** HNSW build parameters, fixed for the store's life (except `ef`). */
  hnsw: HnswOptionsSchema.prefault({}),
  /** Replace an existing store at `dir` (default false: STORE_EXISTS). */
  force: z.boolean().default(false),
  /** Postgres stores: the schema to use (default: the URL's `?schema=`, else salon_lens). */
  schema: z.string().optional(),
});
export type CreateLensOptions = z.input<typeof CreateLensOptionsSchema>;

export const OpenLensOptionsSchema = z.strictObject({
  embedder: EmbedderSchema,
  /** Search only: no write lock, can run beside a writer (default false). */
  readOnly: z.boolean().default(false),
  /** Query-time ef for this session (default: the store's). */
  ef: z.number().int().min(1).max(100_000).optional(),
  /** Postgres stores: the schema to use (default: the URL's `?schema=`, else salon_lens). */
  schema: z.string().optional(),
});
export type OpenLensOptions = z.input<typeof OpenLensOptionsSchema>;

export const AddSalonsOptionsSchema = z.strictObject({
  onProgress: progressFn.optional(),
  signal: abortSignal.optional(),
  /** Per-document size limit when reading files (default: the parser's). */
  maxBytes: positiveInt.optional(),
  /**
   * Precomputed vectors, for apps that embed elsewhere: the vector of an item (the
   * store's dimension, any length: it is normalised), or undefined to embed that item
   * with the lens's embedder. They must come from the same model as the embedder's.
   */
  vectorOf: z
    .custom<(item: Item) => ArrayLike<number> | undefined>((v) => typeof v === 'function', {
      message: 'expected a function (item) => vector | undefined',
    })
    .optional(),
  /** When reading files: skip invalid documents (listed in the summary's `skipped`). @default false */
  skipInvalid: z.boolean().default(false),
  /** When reading files: your own headings mapped to a section (`{ 'Where we disagreed': 'disagreement' }`). */
  headingAliases: z.record(z.string().min(1), SectionSchema).optional(),
  /** Any warning (skipped content, see the summary's `warnings`) is an error; nothing is stored. @default false */
  strict: z.boolean().default(false),
});
export type AddSalonsOptions = z.input<typeof AddSalonsOptionsSchema>;

export const RemoveSalonsOptionsSchema = z.strictObject({
  onProgress: progressFn.optional(),
  signal: abortSignal.optional(),
});
export type RemoveSalonsOptions = z.input<typeof RemoveSalonsOptionsSchema>;

const filterShape = {
  /** Only items of this section (or these sections). */
  section: oneOrMany(SectionSchema).optional(),
  /** Only items of this salon id (or these). */
  salon: oneOrMany(z.string().min(1)).optional(),
  /** No items of this salon id (or these). */
  excludeSalon: oneOrMany(z.string().min(1)).optional(),
  /** Only salons dated on or after this day (undated salons are then excluded). */
  dateFrom: isoDate.optional(),
  /** Only salons dated on or before this day. */
  dateTo: isoDate.optional(),
};
export const ItemFilterSchema = z.strictObject(filterShape).superRefine(orderedRange);
export type ItemFilter = z.infer<typeof ItemFilterSchema>;

const searchShape = {
  ...filterShape,
  k: positiveInt.default(LENS_DEFAULTS.k),
  /** Brute force over the stored vectors instead of HNSW (default false). */
  exact: z.boolean().default(false),
  mode: z.enum(SEARCH_MODES).default(LENS_DEFAULTS.mode),
  /** How vector hits are ranked and scored: 'csls' (default, hubs discounted) or plain 'cosine'. */
  scoring: z.enum(SCORINGS).default(DEFAULT_SCORING),
};
export const SearchOptionsSchema = z.strictObject(searchShape).superRefine(orderedRange);
export type SearchOptions = z.input<typeof SearchOptionsSchema>;
type ParsedSearchOptions = z.output<typeof SearchOptionsSchema>;

/** searchVector: the search options without `mode` (a vector query is a vector search). */
const { mode: _mode, ...vectorSearchShape } = searchShape;
export const VectorSearchOptionsSchema = z
  .strictObject(vectorSearchShape)
  .superRefine(orderedRange);
export type VectorSearchOptions = z.input<typeof VectorSearchOptionsSchema>;

const SEARCH_DEFAULTS: ParsedSearchOptions = {
  k: LENS_DEFAULTS.k,
  exact: false,
  mode: LENS_DEFAULTS.mode,
  scoring: DEFAULT_SCORING,
};

/**
 * `parseOptions(SearchOptionsSchema, …)` with a fast path for the shapes of most
 * queries: any of `k`, `scoring` and `exact`, with valid values (zod took ~6 µs of a
 * query whose graph search takes ~200 µs at 10k items). Anything else, and any
 * invalid value, goes through the schema, so errors read the same.
 */
export function parseSearchOptions(
  options: SearchOptions | VectorSearchOptions | undefined,
  schema: typeof SearchOptionsSchema | typeof VectorSearchOptionsSchema = SearchOptionsSchema,
  what = 'search options',
): ParsedSearchOptions {
  if (options === undefined || options === null) return { ...SEARCH_DEFAULTS };
  if (typeof options === 'object' && Object.getPrototypeOf(options) === Object.prototype) {
    const parsed = { ...SEARCH_DEFAULTS };
    let simple = true;
    for (const key in options) {
      const value = (options as Record<string, unknown>)[key];
      if (key === 'k' && typeof value === 'number' && Number.isInteger(value) && value > 0)
        parsed.k = value;
      else if (key === 'scoring' && SCORINGS.includes(value as Scoring))
        parsed.scoring = value as Scoring;
      else if (key === 'exact' && typeof value === 'boolean') parsed.exact = value;
      else if (value !== undefined || (key !== 'k' && key !== 'scoring' && key !== 'exact')) {
        simple = false;
        break;
      }
    }
    if (simple) return parsed;
  }
  return { mode: LENS_DEFAULTS.mode, ...parseOptions(schema, options, what) };
}

export const SimilarToOptionsSchema = z
  .strictObject({
    ...filterShape,
    k: positiveInt.default(LENS_DEFAULTS.k),
    exact: z.boolean().default(false),
    /** Leave out items of the query item's own salon (default false). */
    crossSalonOnly: z.boolean().default(false),
    scoring: z.enum(SCORINGS).default(DEFAULT_SCORING),
  })
  .superRefine(orderedRange);
export type SimilarToOptions = z.input<typeof SimilarToOptionsSchema>;

export const SimilarQuestionsOptionsSchema = z
  .strictObject({
    /**
     * How pairs are scored: 'contrastive' (default: CSLS on the questions as asked,
     * averaged with CSLS on them without their shared words), 'csls' or plain 'cosine'.
     */
    scoring: z.enum(QUESTION_SCORINGS).default(DEFAULT_QUESTION_SCORING),
    /**
     * With 'contrastive': above this many questions in scope, score with CSLS alone
     * (the groups then say `scoring: 'csls'`). The contrast view embeds about 5 extra
     * texts per question, ~1 minute per 5,000 questions with the bundled model.
     */
    contrastMaxQuestions: positiveInt.default(DEFAULT_CONTRAST_MAX_QUESTIONS),
    /**
     * Score at or above which two questions may ask the same thing (default: 0 for
     * contrastive and CSLS, the embedder's calibrated cosine for 'cosine'; see scoringThreshold).
     */
    threshold: z.number().min(-2).max(2).optional(),
    /** Neighbours considered per question. */
    k: positiveInt.default(LENS_DEFAULTS.similarK),
    /** Pair only questions of different salons (default true). */
    crossSalonOnly: z.boolean().default(true),
    /**
     * How pairs merge into groups (default 'complete': every pair in a group reaches
     * the threshold; 'average' and 'single' are the older rules; see Lens.similarQuestions).
     */
    linkage: z.enum(['complete', 'average', 'single']).default('complete'),
    /** Largest group with complete linkage. */
    maxSize: z.number().int().min(2).default(DEFAULT_GROUP_SIZE),
    /** Called as questions are searched: `{ stage: 'similar', done, total }` in questions. */
    onProgress: z
      .custom<(event: { stage: 'similar'; done: number; total: number }) => void>(
        (v) => typeof v === 'function',
        'expected a function',
      )
      .optional(),
    salon: filterShape.salon,
    dateFrom: filterShape.dateFrom,
    dateTo: filterShape.dateTo,
  })
  .superRefine(orderedRange);
export type SimilarQuestionsOptions = z.input<typeof SimilarQuestionsOptionsSchema>;

export const RecallCheckOptionsSchema = z.strictObject({
  /** Number of stored items used as queries (spread evenly over the store). */
  sample: positiveInt.default(LENS_DEFAULTS.recallSample),
  k: positiveInt.default(LENS_DEFAULTS.k),
  /** ef to test (default: the current one); the lens's ef is restored afterwards. */
  ef: z.number().int().min(1).max(100_000).optional(),
});
export type RecallCheckOptions = z.input<typeof RecallCheckOptionsSchema>;

export const StateKeySchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,99}$/i,
    'expected a key of letters, digits, ".", "_" or "-" (max 100)',
  );
