/**
 * Which runtime embeds, in words for people: the bundled model runs on onnxruntime
 * when onnxruntime-node is installed, else on the ~6× slower TensorFlow.js fallback,
 * and a user should not have to guess which from the timings.
 *
 *   runtimeLabel(embedder) // 'use-lite@512 on onnxruntime', or just the id before the model has loaded
 */
import type { Embedder } from './types.js';

/** What to do about the fallback (an offline Linux install drops onnxruntime-node). */
export const ONNX_INSTALL_HINT =
  'install onnxruntime-node: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0';

const NAMES: Record<string, string> = {
  'onnxruntime-node': 'onnxruntime',
  'tfjs-wasm': `tfjs (slower: ${ONNX_INSTALL_HINT})`,
};

/** The runtime's short name: 'onnxruntime', 'tfjs', or undefined (not loaded yet, or no model). */
export function runtimeName(embedder: Pick<Embedder, 'runtime'>): string | undefined {
  const runtime = embedder.runtime;
  if (runtime === undefined) return undefined;
  return runtime === 'onnxruntime-node'
    ? 'onnxruntime'
    : runtime === 'tfjs-wasm'
      ? 'tfjs'
      : runtime;
}

/** `<id> on <runtime>`, with the fix when the slow fallback runs; the id alone when unknown. */
export function runtimeLabel(embedder: Pick<Embedder, 'id' | 'runtime'>): string {
  const runtime = embedder.runtime;
  if (runtime === undefined) return embedder.id;
  return `${embedder.id} on ${NAMES[runtime] ?? runtime}`;
}
