/**
 * Options for `createEmbedder`: one zod schema per backend, joined on `backend`.
 * Every default lives here (and only here), next to the option it belongs to.
 *
 *   const options = parseEmbedderOptions({ backend: 'hashing', dim: 256 });
 *   options.batchSize; // 64, the hashing default
 */
import os from 'node:os';
import { z } from 'zod';
import { parseOptions } from '../errors.js';

/** Cores this process may use; never spawn more workers than this. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

const ThresholdsSchema = z.strictObject({
  similarQuestion: z.number().min(-1).max(1),
  relatedInsight: z.number().min(-1).max(1),
});

/** Partial override of an embedder's calibrated thresholds. */
const ThresholdOverridesSchema = ThresholdsSchema.partial();

const common = {
  /** Texts per model call. Defaults differ per backend (see below). */
  batchSize: z.number().int().min(1).max(4096).optional(),
  /** Override the embedder's calibrated similarity thresholds (cosine, -1..1). */
  thresholds: ThresholdOverridesSchema.optional(),
};

export const BundledEmbedderOptionsSchema = z.strictObject({
  backend: z.literal('bundled'),
  ...common,
  /**
   * Threads embedding at once: onnxruntime-node intra-op threads, or worker threads
   * on the tfjs fallback. @default min(2, available cores); larger values are clamped to the cores.
   */
  threads: z.number().int().min(1).max(64).optional(),
  /** @deprecated Old name of `threads`. */
  workers: z.number().int().min(1).max(64).optional(),
  /**
   * `auto` runs onnxruntime-node when it is installed, else TensorFlow.js (WebAssembly,
   * ~4x slower, same vectors); `onnx` / `tfjs` insist on one. @default 'auto'
   */
  runtime: z.enum(['auto', 'onnx', 'tfjs']).optional(),
});

export const TransformersEmbedderOptionsSchema = z.strictObject({
  backend: z.literal('transformers'),
  ...common,
  /** Hugging Face model id. @default 'Xenova/all-MiniLM-L6-v2' */
  model: z
    .string()
    .regex(/^[\w.-]+(\/[\w.-]+)?$/, 'a Hugging Face model id like "Xenova/all-MiniLM-L6-v2"')
    .optional(),
  /**
   * A local folder holding `config.json`, `tokenizer.json`, `tokenizer_config.json` and
   * `onnx/model<suffix>.onnx`. When set, nothing is downloaded.
   */
  modelDir: z.string().min(1).optional(),
  /** Where downloaded models are cached. @default transformers.js' own cache folder */
  cacheDir: z.string().min(1).optional(),
  /** Never download; only `modelDir` or the cache are used. @default false */
  offline: z.boolean().optional(),
  /** Weight precision: `q8` reads `onnx/model_quantized.onnx`, `fp32` reads `onnx/model.onnx`. @default 'q8' */
  dtype: z.enum(['q8', 'fp32', 'fp16', 'int8', 'uint8', 'q4']).optional(),
  /** onnxruntime intra-op threads. @default min(2, available cores) */
  threads: z.number().int().min(1).max(64).optional(),
});

export const HashingEmbedderOptionsSchema = z.strictObject({
  backend: z.literal('hashing'),
  ...common,
  /** Vector dimension. @default 512 */
  dim: z.number().int().min(8).max(65536).optional(),
  /** Seed mixed into every feature hash; different seeds give unrelated spaces. @default 0 */
  seed: z.number().int().min(0).max(0xffffffff).optional(),
});

export const EmbedderOptionsSchema = z.discriminatedUnion('backend', [
  BundledEmbedderOptionsSchema,
  TransformersEmbedderOptionsSchema,
  HashingEmbedderOptionsSchema,
]);

/** What callers may pass: `backend` may be omitted (the bundled model is the default). */
export type EmbedderOptions =
  | (Omit<z.input<typeof BundledEmbedderOptionsSchema>, 'backend'> & { backend?: 'bundled' })
  | z.input<typeof TransformersEmbedderOptionsSchema>
  | z.input<typeof HashingEmbedderOptionsSchema>;

export type BundledEmbedderOptions = z.output<typeof BundledEmbedderOptionsSchema>;
export type TransformersEmbedderOptions = z.output<typeof TransformersEmbedderOptionsSchema>;
export type HashingEmbedderOptions = z.output<typeof HashingEmbedderOptionsSchema>;
export type EmbedderBackend = z.output<typeof EmbedderOptionsSchema>['backend'];

/** Validate user options; a missing `backend` means the bundled model. */
export function parseEmbedderOptions(
  options: EmbedderOptions | undefined,
): z.output<typeof EmbedderOptionsSchema> {
  const raw = (options ?? {}) as Record<string, unknown>;
  const withBackend =
    typeof raw === 'object' && raw !== null && raw.backend === undefined
      ? { ...raw, backend: 'bundled' }
      : raw;
  return parseOptions(EmbedderOptionsSchema, withBackend, 'embedder options');
}
