/**
 * Options of the SalonLens facade, validated once at the public entry. Stage
 * options (search, cluster, embedder) are passed through to the stage that owns
 * and validates them.
 */
import { z } from 'zod';
import type { Embedder, EmbedderOptions, EmbeddingCache } from '../embed/index.js';
import type { SimilarQuestionsOptions } from '../index/index.js';
import { REPORT_FORMATS } from '../report/index.js';
import type { ThemesOptions } from './salon-lens.js';

export const isEmbedder = (value: unknown): value is Embedder => {
  const e = value as Partial<Embedder> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.embed === 'function'
  );
};

/** An Embedder instance (kept open by its owner) or options for `createEmbedder`. */
const EmbedderChoiceSchema = z.custom<Embedder | EmbedderOptions>(
  (v) => isEmbedder(v) || (typeof v === 'object' && v !== null),
  { message: "expected an Embedder or embedder options such as { backend: 'bundled' }" },
);

const HnswSchema = z
  .strictObject({
    m: z.number().int().optional(),
    efConstruction: z.number().int().optional(),
    ef: z.number().int().optional(),
    randomSeed: z.number().int().optional(),
  })
  .optional();

/**
 * Keep every vector here as it is made (see openEmbeddingCache), so an interrupted
 * run embeds only what was missing next time. The CLI uses one by default.
 */
const EmbeddingCacheSchema = z
  .custom<EmbeddingCache>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as EmbeddingCache).getMany === 'function' &&
      typeof (v as EmbeddingCache).putMany === 'function',
    'expected an EmbeddingCache (openEmbeddingCache)',
  )
  .optional();

export const OpenOptionsSchema = z.strictObject({
  /** @default the embedder the store was built with (bundled USE-lite for a new store) */
  embedder: EmbedderChoiceSchema.optional(),
  /** Open without the write lock; add/themes persistence are refused. @default false */
  readOnly: z.boolean().default(false),
  /** HNSW query breadth for this session. @default the store's */
  ef: z.number().int().positive().optional(),
  embeddingCache: EmbeddingCacheSchema,
  /** Postgres stores: schema name. @default the URL's `?schema=`, else `salon_lens` */
  schema: z.string().optional(),
});
export type OpenOptions = z.input<typeof OpenOptionsSchema>;

export const CreateOptionsSchema = z.strictObject({
  /** @default { backend: 'bundled' } (USE-lite, ships inside npm, no download) */
  embedder: EmbedderChoiceSchema.optional(),
  hnsw: HnswSchema,
  /** Replace an existing store. Nothing is destroyed without it. @default false */
  force: z.boolean().default(false),
  embeddingCache: EmbeddingCacheSchema,
  /** Postgres stores: schema name. @default the URL's `?schema=`, else `salon_lens` */
  schema: z.string().optional(),
});
export type CreateOptions = z.input<typeof CreateOptionsSchema>;

export const ReportOptionsSchema = z.strictObject({
  /** Write files into this folder; without it the rendered strings are returned only. */
  outDir: z.string().min(1).optional(),
  /** @default ['md', 'html', 'json'] */
  formats: z
    .array(z.enum(REPORT_FORMATS))
    .min(1)
    .default([...REPORT_FORMATS]),
  /** Replace report files in outDir that salon-lens did not write. @default false */
  overwrite: z.boolean().optional(),
  /** Report heading. @default 'AI salon themes' */
  title: z.string().min(1).optional(),
  /** Timestamp shown in the report. @default now (pass one for byte-identical reruns) */
  builtAt: z
    .union([z.iso.datetime({ offset: true }), z.date()], {
      error: 'expected an ISO date-time (e.g. 2025-01-25T10:00:00Z) or a Date',
    })
    .optional(),
  /** Options for the theme clustering behind the report (see `lens.themes`; checked there). */
  themes: z
    .custom<ThemesOptions>((v) => typeof v === 'object' && v !== null, {
      message: 'expected themes options, e.g. { k: 12, guide: ["privacy"] }',
    })
    .optional(),
  /** Options for the recurring-questions view (see `lens.similarQuestions`; checked there). */
  similarQuestions: z
    .custom<SimilarQuestionsOptions>((v) => typeof v === 'object' && v !== null, {
      message: 'expected similarQuestions options, e.g. { threshold: 0.8 }',
    })
    .optional(),
  onProgress: z
    .custom<(e: { stage: string; done: number; total: number }) => void>(
      (v) => typeof v === 'function',
    )
    .optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
});
export type ReportOptions = z.input<typeof ReportOptionsSchema>;
