/**
 * `createEmbedder(options)`: the one verb that picks a backend. A frozen
 * registry maps each backend name to its factory and calibrated defaults;
 * the bundled USE-lite model is the default, so `createEmbedder()` works
 * offline on a fresh install.
 *
 *   const embedder = await createEmbedder();                                // use-lite@512
 *   const fast = await createEmbedder({ backend: 'hashing', dim: 256 });     // hashing@256
 *   const hf = await createEmbedder({ backend: 'transformers', modelDir: './minilm' });
 */
import { createHashingEmbedder, HASHING_THRESHOLDS } from './hashing.js';
import { withInputCap } from './input-cap.js';
import {
  type BundledEmbedderOptions,
  type EmbedderBackend,
  type EmbedderOptions,
  type HashingEmbedderOptions,
  parseEmbedderOptions,
  type TransformersEmbedderOptions,
} from './options.js';
import {
  createTransformersEmbedder,
  TRANSFORMERS_DEFAULT_MODEL,
  TRANSFORMERS_THRESHOLDS,
} from './transformers.js';
import type { Embedder, EmbedderThresholds } from './types.js';
import { createUseLiteEmbedder, USE_LITE_ID, USE_LITE_THRESHOLDS } from './use-lite.js';

export interface EmbedderBackendEntry {
  /** One line for `--help` and docs. */
  readonly description: string;
  /** The model used when the options name none. */
  readonly defaultModel: string;
  /** Calibrated defaults; `options.thresholds` overrides them field by field. */
  readonly thresholds: EmbedderThresholds;
  readonly create: (options: never, thresholds: EmbedderThresholds) => Promise<Embedder>;
}

function entry<O>(value: {
  description: string;
  defaultModel: string;
  thresholds: EmbedderThresholds;
  create: (options: O, thresholds: EmbedderThresholds) => Promise<Embedder>;
}): EmbedderBackendEntry {
  return Object.freeze({ ...value, thresholds: Object.freeze({ ...value.thresholds }) });
}

export const DEFAULT_EMBEDDER_BACKEND: EmbedderBackend = 'bundled';

export const EMBEDDER_BACKENDS: Readonly<Record<EmbedderBackend, EmbedderBackendEntry>> =
  Object.freeze({
    bundled: entry<BundledEmbedderOptions>({
      description: 'Universal Sentence Encoder lite (512-d), shipped inside npm; works offline.',
      defaultModel: USE_LITE_ID,
      thresholds: USE_LITE_THRESHOLDS,
      create: createUseLiteEmbedder,
    }),
    transformers: entry<TransformersEmbedderOptions>({
      description:
        'Any ONNX sentence-embedding model via @huggingface/transformers (mean pooling).',
      defaultModel: `${TRANSFORMERS_DEFAULT_MODEL}:q8`,
      thresholds: TRANSFORMERS_THRESHOLDS,
      create: createTransformersEmbedder,
    }),
    hashing: entry<HashingEmbedderOptions>({
      description:
        'Lexical feature hashing of word unigrams+bigrams; fast, no model, not semantic.',
      defaultModel: 'hashing@512',
      thresholds: HASHING_THRESHOLDS,
      create: async (options, thresholds) => createHashingEmbedder(options, thresholds),
    }),
  });

/**
 * Validate `options`, then build the chosen backend (loading its model). Every text
 * is capped at MAX_EMBED_CHARS characters on its way in (see input-cap.ts).
 */
export async function createEmbedder(options?: EmbedderOptions): Promise<Embedder> {
  const parsed = parseEmbedderOptions(options);
  const backend = EMBEDDER_BACKENDS[parsed.backend];
  const thresholds = { ...backend.thresholds, ...parsed.thresholds };
  const create = backend.create as (o: typeof parsed, t: EmbedderThresholds) => Promise<Embedder>;
  return withInputCap(await create(parsed, thresholds));
}
