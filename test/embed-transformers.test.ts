/**
 * The real transformers.js loading code, run on a tiny BERT-shaped ONNX model
 * that test/fixtures/make-tiny-bert.ts generates (the hub is unreachable).
 */
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEmbedder,
  type Embedder,
  type EmbedProgress,
  TRANSFORMERS_THRESHOLDS,
} from '../src/embed/index.js';
import { isSalonLensError, type SalonLensError } from '../src/errors.js';
import { cosine } from './fixtures/embed-corpus.js';
import { TINY_BERT_HIDDEN, writeTinyBert } from './fixtures/make-tiny-bert.js';

let root: string;
let modelDir: string;
let embedder: Embedder;

const texts = [
  'Who owns the data a model was trained on?',
  'Open source models are good for students and teachers.',
  'should the government license ai companies',
  'Privacy!',
  'zzzz qqqq', // only unknown/character pieces
];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-tiny-bert-'));
  modelDir = path.join(root, 'tiny-bert');
  await writeTinyBert(modelDir);
  embedder = await createEmbedder({
    backend: 'transformers',
    modelDir,
    dtype: 'fp32',
    offline: true,
    batchSize: 2,
  });
});

afterAll(async () => {
  await embedder?.dispose();
  await rm(root, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<SalonLensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSalonLensError(error, 'MODEL_NOT_AVAILABLE')).toBe(true);
  return error as SalonLensError;
}

describe('transformers embedder on a generated tiny BERT', () => {
  it('loads from a local folder and reports the model dimension', () => {
    expect(embedder.dim).toBe(TINY_BERT_HIDDEN);
    // folder name + dtype + a hash of the weights: another folder is another id
    expect(embedder.id).toMatch(/^tiny-bert:fp32@[0-9a-f]{12}$/);
    expect(embedder.thresholds).toEqual(TRANSFORMERS_THRESHOLDS);
  });

  it('returns L2-normalised vectors, one per text, in input order', async () => {
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(TINY_BERT_HIDDEN);
      expect(Math.sqrt(cosine(v, v))).toBeCloseTo(1, 5);
    }
  });

  it('gives the same vectors batched (padded) as one by one', async () => {
    const batched = await embedder.embed(texts);
    for (let i = 0; i < texts.length; i++) {
      const [single] = await embedder.embed([texts[i] as string]);
      expect(cosine(batched[i] as Float32Array, single as Float32Array)).toBeGreaterThan(0.99999);
    }
  });

  it('is deterministic, across calls and across freshly loaded embedders', async () => {
    const again = await createEmbedder({
      backend: 'transformers',
      modelDir,
      dtype: 'fp32',
      offline: true,
    });
    try {
      expect(again.id).toBe(embedder.id);
      const a = await embedder.embed(texts);
      const b = await again.embed(texts);
      expect(b.map((v) => Array.from(v))).toEqual(a.map((v) => Array.from(v)));
    } finally {
      await again.dispose();
    }
  });

  it('gives different texts different vectors, and case does not matter (lower-casing tokenizer)', async () => {
    const vectors = await embedder.embed(texts);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        expect(cosine(vectors[i] as Float32Array, vectors[j] as Float32Array)).toBeLessThan(0.999);
      }
    }
    const [upper, lower] = await embedder.embed(['PRIVACY!', 'privacy!']);
    expect(cosine(upper as Float32Array, lower as Float32Array)).toBeGreaterThan(0.99999);
  });

  it('reports progress per batch and honours an abort between batches', async () => {
    const events: EmbedProgress[] = [];
    await embedder.embed(texts, { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.done)).toEqual([2, 4, 5]);

    const controller = new AbortController();
    const error = await embedder
      .embed(texts, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      })
      .catch((e: unknown) => e);
    expect(isSalonLensError(error, 'ABORTED')).toBe(true);
  });

  it('gives a different id for a folder with other weights', async () => {
    const otherDir = path.join(root, 'other');
    await writeTinyBert(otherDir, { seed: 2 });
    const other = await createEmbedder({
      backend: 'transformers',
      modelDir: otherDir,
      model: 'tiny-bert',
      dtype: 'fp32',
    });
    try {
      expect(other.id).toMatch(/^tiny-bert:fp32@/);
      expect(other.id).not.toBe(embedder.id);
    } finally {
      await other.dispose();
    }
  });
});

describe('transformers embedder when the model is not available', () => {
  it('names every file looked for when the folder does not exist', async () => {
    const missing = path.join(root, 'no-such-model');
    const error = await failure(createEmbedder({ backend: 'transformers', modelDir: missing }));
    for (const file of [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      path.join('onnx', 'model_quantized.onnx'),
    ]) {
      expect(error.message).toContain(path.join(missing, file));
    }
    expect(error.message).toMatch(/--model-dir/);
    expect(error.details.missing).toHaveLength(4);
  });

  it('names the one missing file of a partial folder (q8 weights absent)', async () => {
    const error = await failure(createEmbedder({ backend: 'transformers', modelDir, dtype: 'q8' }));
    expect(error.details.missing).toEqual([path.join(modelDir, 'onnx', 'model_quantized.onnx')]);
  });

  it('never downloads offline: an empty cache folder fails with the cache paths and a hint', async () => {
    const cacheDir = path.join(root, 'empty-cache');
    const error = await failure(
      createEmbedder({ backend: 'transformers', offline: true, cacheDir }),
    );
    expect(error.message).toContain(
      path.join(cacheDir, 'Xenova/all-MiniLM-L6-v2', 'onnx', 'model_quantized.onnx'),
    );
    expect(error.message).toMatch(/run once with network/);
  });

  it('keeps the cause when onnxruntime cannot load the weights', async () => {
    const brokenDir = path.join(root, 'broken');
    await writeTinyBert(brokenDir);
    await unlink(path.join(brokenDir, 'onnx', 'model.onnx'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(brokenDir, 'onnx', 'model.onnx'), 'not an onnx file');
    const error = await failure(
      createEmbedder({ backend: 'transformers', modelDir: brokenDir, dtype: 'fp32' }),
    );
    expect(error.cause).toBeDefined();
    expect(error.message).toContain(path.join(brokenDir, 'onnx', 'model.onnx'));
  });
});
