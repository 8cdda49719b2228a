/**
 * Shared batching for every backend: length-bucketed batches, progress per
 * finished batch, cancellation between batches, and result checks.
 *
 *   const vectors = await runBatches(texts, {
 *     batchSize: 16, concurrency: 2, what: 'use-lite@512 embed', dim: 512,
 *     embedBatch: (batch) => model.embed(batch),
 *   }, { onProgress, signal });
 */
import { SalonLensError, throwIfAborted } from '../errors.js';
import type { EmbedCallOptions } from './types.js';

/**
 * Split `texts` into batches of similar length. Transformer encoders pad each
 * batch to its longest text, so mixing a 10-token question with a 70-token
 * insight wastes most of the attention work; sorting by length first keeps the
 * padding small. Ties break by input position, so the plan is deterministic.
 * Returns batches of input indices.
 */
export function planBatches(texts: readonly string[], batchSize: number): number[][] {
  const order = texts.map((_, index) => index);
  order.sort((a, b) => (texts[a] as string).length - (texts[b] as string).length || a - b);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push(order.slice(start, start + batchSize));
  }
  return batches;
}

/** Scale `vector` to unit length in place; fails loudly on zero or non-finite vectors. */
export function normalizeInPlace(vector: Float32Array, what: string): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) {
    throw new SalonLensError(
      'EMBED_FAILED',
      `${what}: the model returned a ${norm === 0 ? 'zero' : 'non-finite'} vector`,
      { details: { norm } },
    );
  }
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

export interface RunBatchesConfig {
  batchSize: number;
  /** Batches in flight at once (one per worker); 1 = strictly sequential. */
  concurrency: number;
  /** Names the embedder in errors, e.g. `use-lite@512 embed`. */
  what: string;
  dim: number;
  embedBatch: (texts: string[]) => Promise<ArrayLike<number>[]>;
}

/**
 * Embed `texts` in length-bucketed batches and return normalised vectors in
 * input order. Progress fires after each finished batch with a growing `done`;
 * the signal is checked before every batch starts and once more at the end.
 */
export async function runBatches(
  texts: readonly string[],
  config: RunBatchesConfig,
  options: EmbedCallOptions = {},
): Promise<Float32Array[]> {
  const { onProgress, signal } = options;
  throwIfAborted(signal, config.what);
  const results = new Array<Float32Array>(texts.length);
  if (texts.length === 0) return results;
  const batches = planBatches(texts, config.batchSize);
  let next = 0;
  let done = 0;
  // Once one lane fails, the others stop taking batches instead of running on unseen.
  let failed = false;

  const lane = async (): Promise<void> => {
    while (!failed && next < batches.length) {
      throwIfAborted(signal, config.what);
      const batch = batches[next++] as number[];
      const raw = await config.embedBatch(batch.map((index) => texts[index] as string));
      throwIfAborted(signal, config.what);
      if (raw.length !== batch.length) {
        throw new SalonLensError(
          'EMBED_FAILED',
          `${config.what}: the model returned ${raw.length} vectors for ${batch.length} texts`,
        );
      }
      batch.forEach((index, k) => {
        const vector = Float32Array.from(raw[k] as ArrayLike<number>);
        if (vector.length !== config.dim) {
          throw new SalonLensError(
            'EMBED_FAILED',
            `${config.what}: expected ${config.dim}-d vectors, got ${vector.length}-d`,
          );
        }
        results[index] = normalizeInPlace(vector, `${config.what} (text #${index})`);
      });
      done += batch.length;
      onProgress?.({ stage: 'embed', done, total: texts.length });
    }
  };

  const guardedLane = async (): Promise<void> => {
    try {
      await lane();
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const lanes = Math.max(1, Math.min(config.concurrency, batches.length));
  await Promise.all(Array.from({ length: lanes }, guardedLane));
  return results;
}
