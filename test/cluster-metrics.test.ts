import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, normalizedMutualInfo } from '../src/cluster/index.js';

describe('#normalizedMutualInfo', () => {
  it('is 1 for identical partitions under any renaming', () => {
    expect(normalizedMutualInfo(['a', 'a', 'b', 'c'], [7, 7, 2, 9])).toBeCloseTo(1, 12);
  });
  it('is 0 for independent partitions', () => {
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0, 12);
  });
  it('matches the hand-computed value for a refinement', () => {
    // B refines A: I = H(A) = ln 2, H(B) = 1.5 ln 2, NMI = ln2 / (1.25 ln2) = 0.8
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.8, 12);
  });
  it('keeps string and number labels apart', () => {
    expect(normalizedMutualInfo([1, '1', 1, '1'], [0, 1, 0, 1])).toBeCloseTo(1, 12);
  });
  it('rejects labelings of different length', () => {
    expect(() => normalizedMutualInfo([1, 2], [1])).toThrow(/differ in length/);
  });
  it('is symmetric and within [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (pairs) => {
          const a = pairs.map((p) => p[0]);
          const b = pairs.map((p) => p[1]);
          const ab = normalizedMutualInfo(a, b);
          expect(ab).toBeGreaterThanOrEqual(0);
          expect(ab).toBeLessThanOrEqual(1);
          expect(normalizedMutualInfo(b, a)).toBeCloseTo(ab, 10);
        },
      ),
    );
  });
});

describe('#adjustedRandIndex', () => {
  it('is 1 for identical partitions', () => {
    expect(adjustedRandIndex(['x', 'x', 'y'], [3, 3, 1])).toBe(1);
  });
  it('matches the known value -0.5 for a crossed 2x2 split', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });
  it('matches a hand-computed partial agreement', () => {
    // contingency [[2,1],[0,2]]: sumJoint = 1+1 = 2; row sizes 3,2 -> sumA = 3+1 = 4; cols 2,3 -> sumB = 4
    // expected = 4*4/10 = 1.6, max = 4, ARI = (2-1.6)/(4-1.6) = 1/6
    expect(adjustedRandIndex([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])).toBeCloseTo(1 / 6, 12);
  });
});
