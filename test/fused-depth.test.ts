/**
 * How deep the default (fused) search looks, and the dot product under every exact
 * score and re-score. That a shorter default search is the head of a longer one is
 * checked on the shared corpus (index-corpus.test.ts), where the old depth broke it.
 */
import { describe, expect, it } from 'vitest';
import { FUSED_MIN_DEPTH, fusedDepth } from '../src/index/search/fused-search.js';
import { dot, dotAt } from '../src/index/storage/seam.js';

describe('fused search depth', () => {
  it('re-ranks max(k, FUSED_MIN_DEPTH) vector hits (the head-of-a-longer-list property is checked on the corpus)', () => {
    expect(FUSED_MIN_DEPTH).toBe(10);
    expect([1, 5, 10, 11, 25].map(fusedDepth)).toEqual([10, 10, 10, 11, 25]);
  });
});

describe('dotAt', () => {
  const naive = (a: Float32Array, b: Float32Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
    return s;
  };
  const seeded = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));

  it('equals the plain sum for every length (a tail after the groups of four)', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 9, 64, 511, 512, 513]) {
      const a = seeded(n, 1);
      const b = seeded(n, 2);
      expect(dot(a, b)).toBeCloseTo(naive(a, b), 12);
    }
  });

  it('reads the row starting at an offset of a packed matrix', () => {
    const dim = 6;
    const rows = seeded(dim * 3, 3);
    const q = seeded(dim, 4);
    for (let r = 0; r < 3; r++) {
      expect(dotAt(q, rows, r * dim)).toBeCloseTo(
        naive(q, rows.subarray(r * dim, (r + 1) * dim)),
        12,
      );
    }
  });
});
