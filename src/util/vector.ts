/**
 * Small vector helpers for the query and insert paths, where a few microseconds per
 * call matter (a whole HNSW query at 10k items is ~0.1-0.3 ms).
 *
 *   const q = unitVector(input, (why) => new SalonLensError('INVALID_OPTIONS', why));
 *   index.searchKnn(toArray(q), 10);
 */

/**
 * A plain array copy, for hnswlib-node (its binding takes only Arrays). An indexed
 * loop: `Array.from` on a Float32Array took ~50 µs for 512 dimensions, a third of a
 * whole query.
 */
export function toArray(v: ArrayLike<number>): number[] {
  const out: number[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] as number;
  return out;
}

/** Relative tolerance on |v|² under which a vector counts as unit length already. */
const UNIT_TOLERANCE = 1e-6;

/**
 * `v` scaled to unit length, as a Float32Array. A Float32Array that already has unit
 * length is returned as is (no copy). A zero, non-finite or wrongly sized vector is
 * reported through `fail` (which returns the error to throw).
 */
export function unitVector(
  v: ArrayLike<number>,
  dim: number,
  fail: (problem: string) => Error,
): Float32Array {
  if (v.length !== dim) throw fail(`expected ${dim} numbers, got ${v.length}`);
  let squared = 0;
  for (let i = 0; i < dim; i++) {
    const x = v[i] as number;
    squared += x * x;
  }
  if (!Number.isFinite(squared) || squared === 0) throw fail('expected a non-zero, finite vector');
  if (v instanceof Float32Array && Math.abs(squared - 1) < UNIT_TOLERANCE) return v;
  const norm = Math.sqrt(squared);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = (v[i] as number) / norm;
  return out;
}
