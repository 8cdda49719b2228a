/**
 * 2-D coordinates for the item map: the scores on the first two principal
 * components of the (centred) embedding vectors.
 *
 *   const points = projectTo2d(vectors); // [{ x, y }, ...] in input order
 *
 * Why not `ml-pca` directly: it computes every component (full SVD or a d×d
 * eigendecomposition), which took ~4 s for 400 × 512 vectors on CI-class CPUs;
 * the map needs only two. Block power iteration with a Rayleigh–Ritz step gets
 * the same two axes in milliseconds (test/report-project.test.ts checks it
 * against ml-pca).
 *
 * PCA axes are only defined up to sign, so each axis is flipped to make the
 * item with the largest absolute score positive (ties: the lower index), and
 * the start block is fixed: the same vectors always give the same map.
 */

export interface Point2d {
  x: number;
  y: number;
}

/** Rounded so the JSON stays compact and last-bit float noise cannot change the output. */
const DECIMALS = 6;
const MAX_ITERATIONS = 500;
const TOLERANCE = 1e-10;

export function projectTo2d(vectors: readonly Float32Array[]): Point2d[] {
  const n = vectors.length;
  if (n === 0) return [];
  const d = vectors[0]?.length ?? 0;
  const x = centre(vectors, d);
  const basis = topTwoAxes(x, n, d);
  const xs = new Array<number>(n).fill(0);
  const ys = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * d, (i + 1) * d);
    xs[i] = dot(row, basis[0]);
    ys[i] = dot(row, basis[1]);
  }
  orient(xs);
  orient(ys);
  return xs.map((value, i) => ({ x: round(value), y: round(ys[i] ?? 0) }));
}

/** Row-major n×d copy with the column means subtracted. */
function centre(vectors: readonly Float32Array[], d: number): Float64Array {
  const n = vectors.length;
  const means = new Float64Array(d);
  for (const v of vectors) for (let j = 0; j < d; j++) means[j] = (means[j] ?? 0) + (v[j] ?? 0) / n;
  const x = new Float64Array(n * d);
  vectors.forEach((v, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = (v[j] ?? 0) - (means[j] ?? 0);
  });
  return x;
}

/**
 * The two leading eigenvectors of XᵀX by simultaneous (block) power iteration,
 * then a 2×2 Rayleigh–Ritz rotation so the axes are ordered and exact within
 * the converged plane even when the two top eigenvalues are close.
 */
function topTwoAxes(x: Float64Array, n: number, d: number): [Float64Array, Float64Array] {
  let block: [Float64Array, Float64Array] = [startVector(d, 1), startVector(d, 2)];
  orthonormalise(block);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const next: [Float64Array, Float64Array] = [applyGram(x, n, d, block[0]), applyGram(x, n, d, block[1])];
    orthonormalise(next);
    const change = Math.max(
      1 - Math.abs(dot(next[0], block[0])),
      1 - Math.abs(dot(next[1], block[1])),
    );
    block = next;
    if (change < TOLERANCE) break;
  }
  // Rayleigh–Ritz: eigen-decompose B = Vᵀ(XᵀX)V (2×2 symmetric) and rotate V.
  const g0 = applyGram(x, n, d, block[0]);
  const g1 = applyGram(x, n, d, block[1]);
  const a = dot(block[0], g0);
  const b = dot(block[0], g1);
  const c = dot(block[1], g1);
  const theta = 0.5 * Math.atan2(2 * b, a - c);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const first = new Float64Array(d);
  const second = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const u = block[0][j] ?? 0;
    const w = block[1][j] ?? 0;
    first[j] = cos * u + sin * w;
    second[j] = -sin * u + cos * w;
  }
  return [first, second];
}

/** XᵀX v without forming the d×d matrix: two passes over the rows. */
function applyGram(x: Float64Array, n: number, d: number, v: Float64Array): Float64Array {
  const out = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const offset = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[offset + j] ?? 0) * (v[j] ?? 0);
    if (s === 0) continue;
    for (let j = 0; j < d; j++) out[j] = (out[j] ?? 0) + s * (x[offset + j] ?? 0);
  }
  return out;
}

/** Gram–Schmidt in place; a vector that collapses to zero (rank < 2) stays zero, giving a 0 axis. */
function orthonormalise(block: [Float64Array, Float64Array]): void {
  const [u, w] = block;
  normalise(u);
  const projection = dot(u, w);
  for (let j = 0; j < w.length; j++) w[j] = (w[j] ?? 0) - projection * (u[j] ?? 0);
  normalise(w);
}

function normalise(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, v));
  // Below this the vector is numerical noise (all points on a line or identical).
  if (norm < 1e-12) {
    v.fill(0);
    return;
  }
  for (let j = 0; j < v.length; j++) v[j] = (v[j] ?? 0) / norm;
}

/** Fixed, dense, non-degenerate start vectors (a tiny LCG), so runs are reproducible. */
function startVector(d: number, seed: number): Float64Array {
  const v = new Float64Array(d);
  let state = seed * 2654435761;
  for (let j = 0; j < d; j++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    v[j] = state / 2 ** 32 - 0.5;
  }
  return v;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] ?? 0) * (b[j] ?? 0);
  return s;
}

/** Flip the axis in place so its largest-magnitude score is positive. */
function orient(axis: number[]): void {
  let best = 0;
  for (let i = 1; i < axis.length; i++) {
    if (Math.abs(axis[i] ?? 0) > Math.abs(axis[best] ?? 0) + 1e-12) best = i;
  }
  if ((axis[best] ?? 0) < 0) for (let i = 0; i < axis.length; i++) axis[i] = -(axis[i] ?? 0);
}

function round(value: number): number {
  const r = Number(value.toFixed(DECIMALS));
  return Object.is(r, -0) || !Number.isFinite(r) ? 0 : r;
}
