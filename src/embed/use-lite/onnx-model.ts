/**
 * A loaded USE-lite: tokenizer + ONNX session. Turns one batch of texts into
 * 512-d unit vectors (padding the batch to its longest text, clipped to 128
 * tokens as the tfjs graph does).
 *
 *   const model = await loadUseLiteOnnxModel(loadOnnxRuntimeNode(2));
 *   const rows = await model.embedBatch(['a text', 'another']);
 *   await model.dispose();
 */
import { SalonLensError } from '../../errors.js';
import { buildUseLiteOnnx, USE_LITE_MAX_TOKENS, USE_LITE_OUTPUT_DIM } from './graph.js';
import type { OnnxRuntime } from './runtime.js';
import { UseLiteTokenizer } from './tokenizer.js';
import { readUseLiteFiles } from './weights.js';

export interface UseLiteOnnxModel {
  embedBatch(texts: readonly string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export async function loadUseLiteOnnxModel(
  runtime: OnnxRuntime,
  modelDir?: string,
): Promise<UseLiteOnnxModel> {
  const files = await readUseLiteFiles(modelDir);
  const tokenizer = new UseLiteTokenizer(files.vocabulary);
  let session: Awaited<ReturnType<OnnxRuntime['createSession']>>;
  try {
    session = await runtime.createSession(buildUseLiteOnnx(files));
  } catch (error) {
    if (error instanceof SalonLensError) throw error;
    throw new SalonLensError(
      'MODEL_NOT_AVAILABLE',
      `onnxruntime-node could not load the USE-lite graph built from ${files.dir}: ${(error as Error).message}`,
      { details: { modelDir: files.dir }, cause: error },
    );
  }

  return {
    async embedBatch(texts) {
      const encoded = texts.map((text) => tokenizer.encode(text).slice(0, USE_LITE_MAX_TOKENS));
      const rows = texts.length;
      const length = Math.max(1, ...encoded.map((ids) => ids.length));
      const ids = new BigInt64Array(rows * length);
      const mask = new Float32Array(rows * length);
      encoded.forEach((tokens, row) => {
        tokens.forEach((id, at) => {
          ids[row * length + at] = BigInt(id);
          mask[row * length + at] = 1;
        });
      });
      const output = await session.run({
        ids: runtime.int64(ids, [rows, length]),
        mask: runtime.float32(mask, [rows, length]),
      });
      const flat = output.embeddings?.data as Float32Array;
      return Array.from({ length: rows }, (_, row) =>
        flat.subarray(row * USE_LITE_OUTPUT_DIM, (row + 1) * USE_LITE_OUTPUT_DIM),
      );
    },
    dispose: () => session.release(),
  };
}
