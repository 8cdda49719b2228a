/**
 * Embed stage: the only door other stages and the public entry may import.
 * Turns texts into L2-normalised vectors on the local CPU; nothing is sent anywhere.
 *
 *   import { createEmbedder, openEmbeddingCache, withEmbeddingCache } from '../embed/index.js';
 *   const embedder = withEmbeddingCache(await createEmbedder(), await openEmbeddingCache(dir));
 *   const vectors = await embedder.embed(items.map((item) => item.text), { onProgress, signal });
 *   await embedder.dispose();
 */

// Caching vectors by (embedder id, text hash)
export {
  createMemoryEmbeddingCache,
  type DirectoryEmbeddingCache,
  type EmbeddingCache,
  type EmbeddingCacheEntry,
  type EmbeddingCacheProblem,
  embeddingCacheKey,
  type OpenEmbeddingCacheOptions,
  openEmbeddingCache,
  withEmbeddingCache,
} from './cache.js';

// Creating an embedder
export {
  createEmbedder,
  DEFAULT_EMBEDDER_BACKEND,
  EMBEDDER_BACKENDS,
  type EmbedderBackendEntry,
} from './create-embedder.js';
export { HASHING_THRESHOLDS } from './hashing.js';
export { capText, MAX_EMBED_CHARS, withInputCap } from './input-cap.js';
export {
  BundledEmbedderOptionsSchema,
  type EmbedderBackend,
  type EmbedderOptions,
  EmbedderOptionsSchema,
  HashingEmbedderOptionsSchema,
  parseEmbedderOptions,
  TransformersEmbedderOptionsSchema,
} from './options.js';
export { ONNX_INSTALL_HINT, runtimeLabel, runtimeName } from './runtime-label.js';
export {
  requiredModelFiles,
  TRANSFORMERS_DEFAULT_MODEL,
  TRANSFORMERS_THRESHOLDS,
} from './transformers.js';
// The contract
export type { EmbedCallOptions, Embedder, EmbedderThresholds, EmbedProgress } from './types.js';
// Backend facts other stages may need (ids, calibrated thresholds, required files)
export { USE_LITE_DIM, USE_LITE_ID, USE_LITE_THRESHOLDS } from './use-lite.js';
