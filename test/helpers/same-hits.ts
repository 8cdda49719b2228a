import { expect } from 'vitest';
import type { SearchHit } from '../../src/index/index.js';

/**
 * Same items in the same order, scores equal to float32 precision: the file store's
 * ANN scores come from hnswlib's float32 distances, Postgres computes its own.
 */
export function expectSameHits(actual: readonly SearchHit[], expected: readonly SearchHit[]): void {
  const plain = (hits: readonly SearchHit[]) =>
    hits.map(({ score: _s, cosine: _c, ...rest }) => rest);
  expect(plain(actual)).toEqual(plain(expected));
  actual.forEach((hit, i) => {
    expect(hit.score).toBeCloseTo(expected[i]?.score as number, 5);
    if (hit.cosine !== undefined) expect(hit.cosine).toBeCloseTo(expected[i]?.cosine as number, 5);
  });
}
