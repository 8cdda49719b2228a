/**
 * Recreate the embedder a store was built with, from the id in its manifest.
 * Only registry embedders whose id fully determines their options can be
 * recreated; anything else needs explicit options from the caller.
 *
 *   embedderOptionsForId('hashing@256:seed7') // → { backend: 'hashing', dim: 256, seed: 7 }
 */
import type { EmbedderOptions } from '../embed/index.js';
import { SalonLensError } from '../errors.js';

export function embedderOptionsForId(id: string, storeDir: string): EmbedderOptions {
  if (id.startsWith('use-lite@')) return { backend: 'bundled' };
  const hashing = /^hashing@(\d+)(?::seed(\d+))?$/.exec(id);
  if (hashing)
    return { backend: 'hashing', dim: Number(hashing[1]), seed: Number(hashing[2] ?? 0) };
  throw new SalonLensError(
    'EMBEDDER_MISMATCH',
    `Store ${storeDir} was built with embedder ${id}; pass the same embedder options ` +
      "(e.g. { backend: 'transformers', modelDir }) when opening it (CLI: --model-dir).",
    { details: { dir: storeDir, stored: id } },
  );
}
