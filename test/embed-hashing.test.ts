import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createEmbedder,
  EMBEDDER_BACKENDS,
  type EmbedProgress,
  HASHING_THRESHOLDS,
  USE_LITE_THRESHOLDS,
} from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import { cosine } from './fixtures/embed-corpus.js';

const norm = (v: Float32Array) => Math.sqrt(cosine(v, v));

describe('createEmbedder options', () => {
  it('rejects unknown backends and options, naming the option', async () => {
    await expect(createEmbedder({ backend: 'nope' } as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('backend'),
    });
    await expect(createEmbedder({ backend: 'hashing', dim: 3 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('dim'),
    });
    await expect(createEmbedder({ backend: 'hashing', workers: 2 } as never)).rejects.toMatchObject(
      {
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('workers'),
      },
    );
    await expect(
      createEmbedder({ backend: 'hashing', thresholds: { similarQuestion: 2 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('thresholds.similarQuestion'),
    });
  });

  it('has a frozen registry whose default is the bundled model', () => {
    expect(Object.isFrozen(EMBEDDER_BACKENDS)).toBe(true);
    expect(Object.keys(EMBEDDER_BACKENDS).sort()).toEqual(['bundled', 'hashing', 'transformers']);
    expect(EMBEDDER_BACKENDS.bundled.defaultModel).toBe('use-lite@512');
    expect(EMBEDDER_BACKENDS.bundled.thresholds).toEqual(USE_LITE_THRESHOLDS);
  });

  it('keeps per-embedder thresholds and applies overrides field by field', async () => {
    const plain = await createEmbedder({ backend: 'hashing' });
    expect(plain.thresholds).toEqual(HASHING_THRESHOLDS);
    const tuned = await createEmbedder({
      backend: 'hashing',
      thresholds: { relatedInsight: 0.33 },
    });
    expect(tuned.thresholds).toEqual({ ...HASHING_THRESHOLDS, relatedInsight: 0.33 });
    // the two models do not share one global scale
    expect(HASHING_THRESHOLDS).not.toEqual(USE_LITE_THRESHOLDS);
  });
});

describe('hashing embedder', () => {
  it('names its dimension (and seed) in its id', async () => {
    expect((await createEmbedder({ backend: 'hashing' })).id).toBe('hashing@512');
    expect((await createEmbedder({ backend: 'hashing', dim: 64 })).id).toBe('hashing@64');
    expect((await createEmbedder({ backend: 'hashing', dim: 64, seed: 7 })).id).toBe(
      'hashing@64:seed7',
    );
  });

  it('returns unit vectors of the right dimension, in input order, deterministically', async () => {
    const embedder = await createEmbedder({ backend: 'hashing', dim: 128 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string(), { maxLength: 20 }), async (texts) => {
        const first = await embedder.embed(texts);
        const again = await embedder.embed([...texts].reverse());
        expect(first).toHaveLength(texts.length);
        first.forEach((vector, i) => {
          expect(vector).toBeInstanceOf(Float32Array);
          expect(vector).toHaveLength(128);
          expect(norm(vector)).toBeCloseTo(1, 5);
          expect(Array.from(again[texts.length - 1 - i] as Float32Array)).toEqual(
            Array.from(vector),
          );
        });
      }),
      { numRuns: 50 },
    );
  });

  it('is lexical: shared words raise similarity, case and punctuation do not matter', async () => {
    const embedder = await createEmbedder({ backend: 'hashing' });
    const [a, b, c, d] = await embedder.embed([
      'Who owns the training data?',
      'who owns the TRAINING data',
      'Who owns the weights of the model?',
      'Teachers grade essays by hand.',
    ]);
    expect(cosine(a as Float32Array, b as Float32Array)).toBeCloseTo(1, 5);
    expect(cosine(a as Float32Array, c as Float32Array)).toBeGreaterThan(
      cosine(a as Float32Array, d as Float32Array),
    );
  });

  it('different seeds give unrelated spaces', async () => {
    const [x] = await (await createEmbedder({ backend: 'hashing', seed: 1 })).embed([
      'open weights',
    ]);
    const [y] = await (await createEmbedder({ backend: 'hashing', seed: 2 })).embed([
      'open weights',
    ]);
    expect(Math.abs(cosine(x as Float32Array, y as Float32Array))).toBeLessThan(0.9);
  });

  it('reports progress per batch, monotonically, ending at the total', async () => {
    const embedder = await createEmbedder({ backend: 'hashing', batchSize: 10 });
    const events: EmbedProgress[] = [];
    await embedder.embed(
      Array.from({ length: 35 }, (_, i) => `text ${i}`),
      { onProgress: (p) => events.push(p) },
    );
    expect(events.map((e) => e.done)).toEqual([10, 20, 30, 35]);
    expect(events.every((e) => e.total === 35 && e.stage === 'embed')).toBe(true);
  });

  it('stops between batches when the signal fires', async () => {
    const embedder = await createEmbedder({ backend: 'hashing', batchSize: 10 });
    const controller = new AbortController();
    const seen: number[] = [];
    const run = embedder.embed(
      Array.from({ length: 100 }, (_, i) => `text ${i}`),
      {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.done);
          if (p.done === 20) controller.abort();
        },
      },
    );
    const error = await run.catch((e: unknown) => e);
    expect(isSalonLensError(error, 'ABORTED')).toBe(true);
    expect(seen).toEqual([10, 20]);
  });
});
