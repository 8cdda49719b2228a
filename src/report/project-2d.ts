/**
 * 2-D coordinates for the item map: the scores on the first two principal
 * components of the (centred) embedding vectors.
 *
 *   const points = projectTo2d(vectors); // [{ x, y }, ...] in input order
 *
 * Why not `ml-pca` directly: it computes every component (full SVD or a d×d
 * eigendecomposition), which took ~4 s for 400 × 512 vectors on a 2-core box;
 * the map needs only two. Subspace iteration on the smaller Gram matrix gets
 * the same two axes in a fraction of that (test/report-project.test.ts checks it
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
/** Enough for a picture: at 1e-9, 1 - |cos| means the axis is within ~0.003 degrees. */
const MAX_ITERATIONS = 300;
const TOLERANCE = 1e-9;

export function projectTo2d(vectors: readonly Float32Array[]): Point2d[] {
  const n = vectors.length;
  if (n === 0) return [];
  const d = vectors[0]?.length ?? 0;
  const x = centre(vectors, d);
  const xs = new Array<number>(n).fill(0);
  const ys = new Array<number>(n).fill(0);
  // Work with the smaller Gram matrix: XXᵀ (n×n) when items are fewer than
  // dimensions, else XᵀX (d×d). Both share the non-zero eigenvalues.
  if (n <= d) {
    const gram = rowGram(x, n, d);
    const { vectors: axes, values } = topTwoEigen(gram, n);
    // X = U S Vᵀ, so the scores XV are U S: eigenvector entries times sqrt(eigenvalue).
    for (let i = 0; i < n; i++) {
      xs[i] = (axes[0][i] ?? 0) * Math.sqrt(Math.max(values[0], 0));
      ys[i] = (axes[1][i] ?? 0) * Math.sqrt(Math.max(values[1], 0));
    }
  } else {
    const gram = columnGram(x, n, d);
    const { vectors: axes } = topTwoEigen(gram, d);
    for (let i = 0; i < n; i++) {
      const row = x.subarray(i * d, (i + 1) * d);
      xs[i] = dot(row, axes[0]);
      ys[i] = dot(row, axes[1]);
    }
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

/** XXᵀ, n×n row-major. */
function rowGram(x: Float64Array, n: number, d: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = x.subarray(i * d, (i + 1) * d);
    for (let k = i; k < n; k++) {
      const value = dot(a, x.subarray(k * d, (k + 1) * d));
      g[i * n + k] = value;
      g[k * n + i] = value;
    }
  }
  return g;
}

/** Rows per block of XᵀX: the block's columns (block × d doubles) stay in cache. */
const GRAM_BLOCK = 32;

/**
 * XᵀX, d×d row-major. Each entry sums its products in row order, as the plain
 * triple loop would (so the same bits), but a block of rows at a time, transposed so
 * each column of the block is contiguous, four entries at once, and only the upper
 * triangle (mirrored): the plain loop took ~7 s for 12,000 × 512 vectors.
 */
function columnGram(x: Float64Array, n: number, d: number): Float64Array {
  const g = new Float64Array(d * d);
  const block = new Float64Array(GRAM_BLOCK * d);
  for (let i0 = 0; i0 < n; i0 += GRAM_BLOCK) {
    const rows = Math.min(GRAM_BLOCK, n - i0);
    for (let i = 0; i < rows; i++) {
      const offset = (i0 + i) * d;
      for (let j = 0; j < d; j++) block[j * rows + i] = x[offset + j] as number;
    }
    for (let j = 0; j < d; j++) {
      const cj = j * rows;
      let k = j;
      for (; k + 4 <= d; k += 4) {
        const c0 = k * rows;
        const c1 = c0 + rows;
        const c2 = c1 + rows;
        const c3 = c2 + rows;
        const at = j * d + k;
        let s0 = g[at] as number;
        let s1 = g[at + 1] as number;
        let s2 = g[at + 2] as number;
        let s3 = g[at + 3] as number;
        for (let i = 0; i < rows; i++) {
          const xj = block[cj + i] as number;
          s0 += xj * (block[c0 + i] as number);
          s1 += xj * (block[c1 + i] as number);
          s2 += xj * (block[c2 + i] as number);
          s3 += xj * (block[c3 + i] as number);
        }
        g[at] = s0;
        g[at + 1] = s1;
        g[at + 2] = s2;
        g[at + 3] = s3;
      }
      for (; k < d; k++) {
        const ck = k * rows;
        let s = g[j * d + k] as number;
        for (let i = 0; i < rows; i++) s += (block[cj + i] as number) * (block[ck + i] as number);
        g[j * d + k] = s;
      }
    }
  }
  for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) g[k * d + j] = g[j * d + k] as number;
  return g;
}

/**
 * The two leading eigenpairs of a symmetric m×m matrix by subspace iteration
 * with a 2×2 Rayleigh–Ritz rotation each step, so both axes are ordered and
 * accurate even when the top two eigenvalues are close.
 */
function topTwoEigen(
  matrix: Float64Array,
  m: number,
): { vectors: [Float64Array, Float64Array]; values: [number, number] } {
  let block: [Float64Array, Float64Array] = [startVector(m, 1), startVector(m, 2)];
  orthonormalise(block);
  let values: [number, number] = [0, 0];
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const next: [Float64Array, Float64Array] = [
      multiply(matrix, m, block[0]),
      multiply(matrix, m, block[1]),
    ];
    orthonormalise(next);
    const ritz = rayleighRitz(matrix, m, next);
    const change = Math.max(
      1 - Math.abs(dot(ritz.vectors[0], block[0])),
      1 - Math.abs(dot(ritz.vectors[1], block[1])),
    );
    block = ritz.vectors;
    values = ritz.values;
    if (change < TOLERANCE) break;
  }
  return { vectors: block, values };
}

/** Eigen-decompose B = Vᵀ M V (2×2 symmetric, closed form) and rotate V to its eigenvectors. */
function rayleighRitz(
  matrix: Float64Array,
  m: number,
  block: [Float64Array, Float64Array],
): { vectors: [Float64Array, Float64Array]; values: [number, number] } {
  const m0 = multiply(matrix, m, block[0]);
  const m1 = multiply(matrix, m, block[1]);
  const a = dot(block[0], m0);
  const b = dot(block[0], m1);
  const c = dot(block[1], m1);
  const theta = 0.5 * Math.atan2(2 * b, a - c);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const first = new Float64Array(m);
  const second = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const u = block[0][j] ?? 0;
    const w = block[1][j] ?? 0;
    first[j] = cos * u + sin * w;
    second[j] = -sin * u + cos * w;
  }
  const l0 = a * cos * cos + 2 * b * sin * cos + c * sin * sin;
  const l1 = a * sin * sin - 2 * b * sin * cos + c * cos * cos;
  return { vectors: [first, second], values: [l0, l1] };
}

/** matrix · v, each entry summed in index order like `dot` (no subarray per row: this runs ~1,000 times). */
function multiply(matrix: Float64Array, m: number, v: Float64Array): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const offset = i * m;
    let s = 0;
    for (let j = 0; j < m; j++) s += (matrix[offset + j] as number) * (v[j] as number);
    out[i] = s;
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
