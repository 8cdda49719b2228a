/** Length-bucketed batching shared by every backend (src/embed/batching.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeInPlace, planBatches, runBatches } from '../src/embed/batching.js';
import { isSalonLensError } from '../src/errors.js';

/** A deterministic "model": the vector encodes the text, so order mix-ups show. */
function encode(text: string): number[] {
  return [text.length + 1, text.charCodeAt(0) || 1, 3];
}

describe('planBatches', () => {
  it('covers every index exactly once, in batches of at most batchSize, shortest first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 60 }),
        fc.integer({ min: 1, max: 16 }),
        (texts, size) => {
          const batches = planBatches(texts, size);
          const flat = batches.flat();
          expect([...flat].sort((a, b) => a - b)).toEqual(texts.map((_, i) => i));
          expect(batches.every((b) => b.length >= 1 && b.length <= size)).toBe(true);
          for (let i = 1; i < flat.length; i++) {
            const prev = texts[flat[i - 1] as number] as string;
            const cur = texts[flat[i] as number] as string;
            expect(prev.length <= cur.length).toBe(true);
            // ties keep input order, so plans are deterministic
            if (prev.length === cur.length)
              expect(flat[i - 1] as number).toBeLessThan(flat[i] as number);
          }
        },
      ),
    );
  });
});

describe('runBatches', () => {
  it('restores input order and normalises, for any batch size and concurrency', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 0, maxLength: 30 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (texts, batchSize, concurrency) => {
          const out = await runBatches(texts, {
            batchSize,
            concurrency,
            what: 'test',
            dim: 3,
            embedBatch: async (batch) => {
              await new Promise((r) => setTimeout(r, batch.length % 3)); // finish out of order
              return batch.map(encode);
            },
          });
          expect(out).toHaveLength(texts.length);
          texts.forEach((text, i) => {
            const expected = normalizeInPlace(Float32Array.from(encode(text)), 'x');
            expect(Array.from(out[i] as Float32Array)).toEqual(Array.from(expected));
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails with EMBED_FAILED on a wrong count, dimension or a zero vector', async () => {
    const run = (embedBatch: (b: string[]) => Promise<number[][]>) =>
      runBatches(['a', 'b'], { batchSize: 2, concurrency: 1, what: 'm', dim: 3, embedBatch }).catch(
        (e: unknown) => e,
      );
    expect(isSalonLensError(await run(async () => [[1, 2, 3]]), 'EMBED_FAILED')).toBe(true);
    expect(isSalonLensError(await run(async (b) => b.map(() => [1, 2])), 'EMBED_FAILED')).toBe(
      true,
    );
    expect(isSalonLensError(await run(async (b) => b.map(() => [0, 0, 0])), 'EMBED_FAILED')).toBe(
      true,
    );
  });

  it('stops other lanes once one fails', async () => {
    let calls = 0;
    const error = await runBatches(
      Array.from({ length: 20 }, (_, i) => `t${i}`),
      {
        batchSize: 1,
        concurrency: 2,
        what: 'm',
        dim: 3,
        embedBatch: async (batch) => {
          calls++;
          if (calls === 2) throw new Error('boom');
          await new Promise((r) => setTimeout(r, 5));
          return batch.map(encode);
        },
      },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom');
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBeLessThanOrEqual(3);
  });
});
