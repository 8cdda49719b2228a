/**
 * USE-lite rebuilt as an ONNX graph (src/embed/use-lite/) against the original
 * TensorFlow.js path: same tokens, same vectors (reference vectors committed in
 * test/fixtures/use-lite-reference/, made by the tfjs path), deterministic
 * output, and the tfjs fallback still working.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../src/embed/index.js';
import { UseLiteTokenizer } from '../src/embed/use-lite/tokenizer.js';
import { readUseLiteFiles } from '../src/embed/use-lite/weights.js';
import type { UseLiteEmbedder } from '../src/embed/use-lite.js';
import { cosine } from './fixtures/embed-corpus.js';
import {
  EDGE_TEXTS,
  type ReferenceText,
  readUseLiteReference,
  referenceTexts,
  type UseLiteReference,
} from './fixtures/use-lite-reference.js';

let texts: ReferenceText[];
let reference: UseLiteReference;
let onnx: UseLiteEmbedder;

beforeAll(async () => {
  ({ texts } = await referenceTexts());
  reference = await readUseLiteReference();
  onnx = (await createEmbedder({ runtime: 'onnx', threads: 1 })) as UseLiteEmbedder;
});
afterAll(async () => {
  await onnx?.dispose();
});

const bits = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

describe('USE-lite tokenizer', () => {
  it('gives the tfjs tokenizer’s ids for every example, corpus and edge text', async () => {
    const { vocabulary } = await readUseLiteFiles();
    const ours = new UseLiteTokenizer(vocabulary);
    // The tfjs package's own tokenizer; EmbeddingsModel only builds it from the vocabulary.
    const { EmbeddingsModel } = createRequire(import.meta.url)('@energetic-ai/embeddings');
    const theirs = new EmbeddingsModel({ vocabulary, model: undefined }).tokenizer;
    for (const { text } of texts) expect(ours.encode(text), text).toEqual(theirs.encode(text));
    expect(ours.encode('')).toEqual([]);
  });
});

describe('USE-lite on onnxruntime-node against the tfjs reference vectors', () => {
  it('has a reference for every text (regenerate: npx tsx test/fixtures/use-lite-reference.ts)', () => {
    const missing = texts.filter(({ text }) => !reference.get(text)).map(({ text }) => text);
    expect(missing).toEqual([]);
  });

  it('is on onnxruntime-node and every vector has cosine >= 0.999 to its reference', async () => {
    const vectors = await onnx.embed(texts.map((t) => t.text));
    expect(onnx.runtime).toBe('onnxruntime-node');
    const sims = texts.map(({ text }, i) =>
      cosine(vectors[i] as Float32Array, reference.get(text) as Float32Array),
    );
    const min = Math.min(...sims);
    const mean = sims.reduce((a, b) => a + b, 0) / sims.length;
    console.info(
      `use-lite onnx vs tfjs reference: ${sims.length} texts, min cosine ${min.toFixed(7)}, mean ${mean.toFixed(7)}`,
    );
    expect(min).toBeGreaterThanOrEqual(0.999);
  });
});

describe('USE-lite determinism', () => {
  const sample = () => texts.filter((t) => t.source !== 'corpus').map((t) => t.text);

  it('gives bit-identical vectors for the same texts and batching, in one embedder and a new one', async () => {
    const first = await onnx.embed(sample());
    const again = await onnx.embed(sample());
    const other = await createEmbedder({ runtime: 'onnx', threads: 1 });
    const fresh = await other.embed(sample());
    await other.dispose();
    first.forEach((v, i) => {
      expect(bits(again[i] as Float32Array).equals(bits(v))).toBe(true);
      expect(bits(fresh[i] as Float32Array).equals(bits(v))).toBe(true);
    });
  });

  it('agrees to cosine >= 0.99999 across batch sizes and thread counts', async () => {
    const base = await onnx.embed(sample());
    for (const threads of [1, 2]) {
      for (const batchSize of [1, 8, 32]) {
        const embedder = await createEmbedder({ runtime: 'onnx', threads, batchSize });
        const vectors = await embedder.embed(sample());
        await embedder.dispose();
        const worst = Math.min(...vectors.map((v, i) => cosine(v, base[i] as Float32Array)));
        expect(worst, `threads ${threads}, batch ${batchSize}`).toBeGreaterThanOrEqual(0.99999);
      }
    }
  });
});

describe('USE-lite tfjs fallback', () => {
  it('runs when asked for and gives the same vectors', async () => {
    const tfjs = (await createEmbedder({ runtime: 'tfjs', threads: 1 })) as UseLiteEmbedder;
    expect(tfjs.runtime).toBeUndefined(); // loads lazily
    const vectors = await tfjs.embed(EDGE_TEXTS);
    expect(tfjs.runtime).toBe('tfjs-wasm');
    await tfjs.dispose();
    const ours = await onnx.embed(EDGE_TEXTS);
    vectors.forEach((v, i) => {
      expect(cosine(v, ours[i] as Float32Array)).toBeGreaterThanOrEqual(0.999);
    });
  });
});
