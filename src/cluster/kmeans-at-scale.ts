/**
 * Clustering for more items than average linkage can hold (its n×n Float32 matrix
 * is 36 MB at 3,000 items but 160 GB at 200,000). Above `linkageMaxItems` the
 * cluster stage comes here:
 *
 * 1. k:'auto' scores each candidate k on a seeded sample of `sampleSize` items:
 *    k-means on the sample (SELECT_RESTARTS seeded restarts per k), silhouette from
 *    the sample's own cosine matrix. At most MAX_CANDIDATES ks, spread evenly over the
 *    usual band, and no k above sampleSize / MIN_PER_CLUSTER (a silhouette needs
 *    members). The chosen k then gets the rest of its `restarts` on the sample.
 * 2. The chosen k is refined on ALL items with FULL_ITERATIONS ml-kmeans passes,
 *    started from the best sample run's centroids (restarts are paid on the sample).
 *
 *   const { labels, k, curve } = clusterAtScale(space, options, progress, abortCheck);
 *
 * Memory: O(n·dim + sampleSize²). Time: O(sampleSize·k·dim) per sample iteration
 * and O(n·k·dim) per full iteration. k-means++ seeding is done here (D² sampling,
 * one pass per centre): ml-kmeans' own k-means++ builds a candidates × n distance
 * matrix per centre and took 10 of 12 s on 4,000 × 256-dim items at k = 60.
 */
import { seededRandom } from '../util/random.js';
import { canonical } from './kmeans-restarts.js';
import type { ClusterProgress, ResolvedClusterOptions } from './options.js';
import { silhouette } from './silhouette.js';
import { cosineMatrix } from './vectors.js';

/** Candidate ks scored at most, for k:'auto' above the linkage limit. */
export const MAX_CANDIDATES = 6;
/** Sample members per cluster at least, so a sample silhouette means something. */
export const MIN_PER_CLUSTER = 4;
/**
 * Restarts per candidate k while choosing k: scoring 6 ks × 8 restarts took ~10 s
 * for 4,000 items of 12 dims and minutes at 512 dims; the winner's remaining
 * restarts run once k is chosen.
 */
export const SELECT_RESTARTS = 2;
/**
 * Lloyd iterations on all items after the sample fit. It starts from centroids that
 * already fit the sample, and each pass over 200k items × 400 centroids × 256 dims is
 * ~2·10¹⁰ multiply-adds, so a few passes, not a run to convergence.
 */
export const FULL_ITERATIONS = 5;
/**
 * Lloyd iterations per fit on the sample (choosing k, then the chosen k's restarts):
 * silhouettes and inertias compare well before convergence, and 100 iterations at
 * k = 155 made choosing k take 330 s of the 430 s themes stage for 12,000 items.
 */
export const SAMPLE_ITERATIONS = 20;

export interface ScaleClustering {
  labels: number[];
  k: number;
  curve: Array<{ k: number; score: number }>;
  /** Items the silhouette (and the restarts) ran on. */
  sampleSize: number;
}

/** `size` distinct row indices out of `n`, ascending, chosen by `seed` (partial Fisher-Yates). */
export function sampleRows(n: number, size: number, seed: number): number[] {
  if (size >= n) return Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = t;
  }
  return Array.from(pool.subarray(0, size)).sort((a, b) => a - b);
}

/** At most `max` values of `ks` (ascending), evenly spread, always keeping both ends. */
export function spreadCandidates(ks: readonly number[], max: number): number[] {
  if (ks.length <= max) return [...ks];
  const out = new Set<number>();
  for (let i = 0; i < max; i++)
    out.add(ks[Math.round((i * (ks.length - 1)) / (max - 1))] as number);
  return [...out];
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) {
    const x = (a[d] as number) - (b[d] as number);
    s += x * x;
  }
  return s;
}

/** k-means++ seeding by D² sampling: k centres, one O(n·dim) pass each. */
export function seedCenters(
  rows: readonly ArrayLike<number>[],
  k: number,
  seed: number,
): number[][] {
  const n = rows.length;
  const random = seededRandom(seed);
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const centers: number[][] = [];
  let next = Math.floor(random() * n);
  while (centers.length < k) {
    const center = Array.from(rows[next] as ArrayLike<number>);
    centers.push(center);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.min(
        nearest[i] as number,
        squaredDistance(rows[i] as ArrayLike<number>, center),
      );
      nearest[i] = d;
      total += d;
    }
    if (centers.length === k) break;
    // Next centre with probability proportional to its squared distance; if every row
    // already sits on a centre (duplicates), take the first row not yet used.
    let target = random() * total;
    next = -1;
    for (let i = 0; i < n && total > 0; i++) {
      target -= nearest[i] as number;
      if (target <= 0 && (nearest[i] as number) > 0) {
        next = i;
        break;
      }
    }
    if (next < 0) next = nearest.findIndex((d) => d > 0);
    if (next < 0) next = centers.length % n;
  }
  return centers;
}

export interface KmeansFit {
  labels: number[];
  centroids: number[][];
  inertia: number;
}

/** x · c[base … base + dim), four lanes at a time (the k-means inner loop). */
function dotAt(x: ArrayLike<number>, c: Float64Array, base: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += (x[d] as number) * (c[base + d] as number);
    s1 += (x[d + 1] as number) * (c[base + d + 1] as number);
    s2 += (x[d + 2] as number) * (c[base + d + 2] as number);
    s3 += (x[d + 3] as number) * (c[base + d + 3] as number);
  }
  for (; d < dim; d++) s0 += (x[d] as number) * (c[base + d] as number);
  return s0 + s1 + s2 + s3;
}

/** Centre movement (squared, summed) below which Lloyd stops. */
const TOLERANCE = 1e-6;

/**
 * Lloyd's k-means from given centres; labels canonical (numbered by first appearance).
 * Hand-written rather than ml-kmeans: distances come from dot products on flat buffers
 * (|x − c|² = |x|² − 2x·c + |c|², and |x|² does not change the argmin), and the loop
 * checks the AbortSignal every pass. ml-kmeans' generic per-pair distance spent 333 s
 * choosing k for 12,000 items (2,000-item sample, k up to 155) on the loaded 2-core box.
 */
export function lloyd(
  rows: readonly ArrayLike<number>[],
  centers: number[][],
  maxIterations: number,
  abortCheck?: () => void,
): KmeansFit {
  const n = rows.length;
  const k = centers.length;
  const dim = centers[0]?.length ?? 0;
  const c = new Float64Array(k * dim);
  for (const [j, center] of centers.entries()) c.set(center, j * dim);
  const labels = new Int32Array(n).fill(-1);
  const half = new Float64Array(k);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    abortCheck?.();
    for (let j = 0; j < k; j++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (c[j * dim + d] as number) ** 2;
      half[j] = norm / 2;
    }
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const x = rows[i] as ArrayLike<number>;
      let best = 0;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const s = dotAt(x, c, j * dim, dim) - (half[j] as number);
        if (s > bestScore) {
          bestScore = s;
          best = j;
        }
      }
      if (labels[i] !== best) changed++;
      labels[i] = best;
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const x = rows[i] as ArrayLike<number>;
      const label = labels[i] as number;
      const base = label * dim;
      counts[label] = (counts[label] as number) + 1;
      for (let d = 0; d < dim; d++) sums[base + d] = (sums[base + d] as number) + (x[d] as number);
    }
    let moved = 0;
    for (let j = 0; j < k; j++) {
      const count = counts[j] as number;
      if (count === 0) continue; // an empty cluster keeps its centre
      for (let d = 0; d < dim; d++) {
        const next = (sums[j * dim + d] as number) / count;
        moved += (next - (c[j * dim + d] as number)) ** 2;
        c[j * dim + d] = next;
      }
    }
    if (moved < TOLERANCE) break;
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const x = rows[i] as ArrayLike<number>;
    const base = (labels[i] as number) * dim;
    for (let d = 0; d < dim; d++) inertia += ((x[d] as number) - (c[base + d] as number)) ** 2;
  }
  const centroids = Array.from({ length: k }, (_, j) =>
    Array.from(c.subarray(j * dim, (j + 1) * dim)),
  );
  return { labels: canonical(Array.from(labels)), centroids, inertia };
}

/** Seeded restarts (seed + r), lowest inertia wins, ties to the earlier restart. */
export function fitRestarts(
  rows: readonly ArrayLike<number>[],
  k: number,
  options: { seed: number; restarts: number; iterations?: number; beforeRestart?: () => void },
): KmeansFit {
  let best: KmeansFit | undefined;
  for (let r = 0; r < options.restarts; r++) {
    options.beforeRestart?.();
    const fit = lloyd(
      rows,
      seedCenters(rows, k, options.seed + r),
      options.iterations ?? 100,
      options.beforeRestart,
    );
    if (!best || fit.inertia < best.inertia) best = fit;
  }
  return best as KmeansFit;
}

export function clusterAtScale(
  space: readonly Float64Array[],
  candidates: readonly number[],
  opts: Pick<ResolvedClusterOptions, 'seed' | 'restarts' | 'sampleSize'>,
  progress: (phase: ClusterProgress['phase'], done: number, total: number) => void,
  abortCheck: () => void,
): ScaleClustering {
  const n = space.length;
  const picked = sampleRows(n, Math.min(opts.sampleSize, n), opts.seed);
  const sample = picked.map((r) => space[r] as Float64Array);
  const s = sample.length;
  const auto = candidates.length > 1;
  // A fixed k is fitted as asked; 'auto' considers only ks the sample can score.
  const cap = Math.max(2, Math.floor(s / MIN_PER_CLUSTER));
  const ks = auto
    ? spreadCandidates([...new Set(candidates.map((k) => Math.min(k, cap)))], MAX_CANDIDATES)
    : [...candidates];
  const sims = auto ? cosineMatrix(sample) : undefined;

  // A fixed k larger than the sample is seeded on all items instead.
  const rowsFor = (k: number) => (k < s ? sample : space);
  const firstRestarts = auto ? Math.min(opts.restarts, SELECT_RESTARTS) : opts.restarts;
  const curve: Array<{ k: number; score: number }> = [];
  let best: { k: number; score: number; fit: KmeansFit } | undefined;
  ks.forEach((k, index) => {
    abortCheck();
    progress(auto ? 'select-k' : 'kmeans', index, ks.length);
    const fit = fitRestarts(rowsFor(k), k, {
      seed: opts.seed,
      restarts: firstRestarts,
      iterations: SAMPLE_ITERATIONS,
      beforeRestart: abortCheck,
    });
    const score = sims && k >= 2 && k < s ? silhouette(sims, s, fit.labels) : 0;
    curve.push({ k, score });
    if (!best || score > best.score) best = { k, score, fit };
  });
  progress(auto ? 'select-k' : 'kmeans', ks.length, ks.length);
  const chosen = best as { k: number; fit: KmeansFit };
  let fit = chosen.fit;
  if (opts.restarts > firstRestarts) {
    // The chosen k's remaining restarts (seeds continue where selection stopped).
    const more = fitRestarts(rowsFor(chosen.k), chosen.k, {
      seed: opts.seed + firstRestarts,
      restarts: opts.restarts - firstRestarts,
      iterations: SAMPLE_ITERATIONS,
      beforeRestart: abortCheck,
    });
    if (more.inertia < fit.inertia) fit = more;
  }

  abortCheck();
  progress('kmeans', 0, 1);
  const full = lloyd(space, fit.centroids, FULL_ITERATIONS, abortCheck);
  progress('kmeans', 1, 1);
  return { labels: full.labels, k: chosen.k, curve, sampleSize: s };
}
