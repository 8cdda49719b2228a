/**
 * Clustering for more items than Ward or average linkage can hold (their n×n Float32
 * matrix is 36 MB at 3,000 items but 160 GB at 200,000). Above `linkageMaxItems` the
 * cluster stage comes here:
 *
 * 1. The requested method runs on a seeded sample of `sampleSize` items: Ward (the
 *    default) or average linkage builds one tree of the sample, cut at up to
 *    MAX_CUT_CANDIDATES ks of the usual band (none above sampleSize / MIN_PER_CLUSTER: a
 *    silhouette needs members), each cut scored by the sample's silhouette. With
 *    method 'kmeans' (or a fixed k the sample cannot hold) k-means++ restarts on the
 *    sample score at most MAX_CANDIDATES ks instead, as before.
 * 2. The chosen partition's centres start FULL_ITERATIONS Lloyd passes over ALL items.
 *
 *   const { labels, k, curve } = clusterAtScale(space, candidates, options, progress, abortCheck);
 *
 * Why a tree of the sample: it is what the exact path runs, one tree serves every k,
 * and it chose better. On the 12,000-item archive, choosing k by k-means restarts on the
 * sample took 37 of the 54 s themes stage; the tree, its cuts and their silhouettes
 * take ~2 s. On the labelled corpus forced onto this path (linkageMaxItems 100, 5 seeds)
 * theme NMI was 0.421 / 0.409 with samples of 200 / 130 of its 390 items, against
 * 0.355 / 0.363 for k-means on the sample (exact Ward: 0.460).
 *
 * Memory: O(n·dim + sampleSize²). Time: O(sampleSize²·dim) for the sample's cosines,
 * O(n·k·dim) per full pass. k-means++ seeding is done here (D² sampling, one pass per
 * centre): ml-kmeans' own k-means++ builds a candidates × n distance matrix per centre
 * and took 10 of 12 s on 4,000 × 256-dim items at k = 60.
 */
import { seededRandom } from '../util/random.js';
import { averageLinkage, cutTree } from './average-linkage.js';
import { canonical } from './kmeans-restarts.js';
import type { ClusterProgress, ResolvedClusterOptions } from './options.js';
import { silhouette } from './silhouette.js';
import { cosineMatrix } from './vectors.js';
import { wardLinkage } from './ward-linkage.js';

/** Candidate ks scored at most, for k:'auto' above the linkage limit. */
export const MAX_CANDIDATES = 6;
/**
 * Cuts of the sample's tree scored at most: each is one O(sampleSize²) silhouette
 * (~20 ms at 2,000), and neighbouring ks score alike.
 */
export const MAX_CUT_CANDIDATES = 24;
/** Sample members per cluster at least, so a sample silhouette means something. */
export const MIN_PER_CLUSTER = 4;
/**
 * Restarts per candidate k while choosing k: scoring 6 ks × 8 restarts took ~10 s
 * for 4,000 items of 12 dims and minutes at 512 dims; the winner's remaining
 * restarts run once k is chosen.
 */
export const SELECT_RESTARTS = 2;
/**
 * Lloyd passes over all items after the sample fit: the first assigns every item to
 * the nearest sample-cluster centre, the second moves the centres once. Each pass is
 * n·k·dim multiply-adds (12,000 × 153 × 512 ≈ 10⁹: ~1.5 s here), and more passes barely
 * move the result: on the labelled corpus (sample of 200 of 390 items, 5 seeds) theme
 * NMI was 0.417 after 1 pass, 0.421 after 2, 0.421 after 5 or 20.
 */
export const FULL_ITERATIONS = 2;
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
/** Rows between abort checks inside a pass (a mask: every 1,024 rows). */
const ABORT_ROWS = 1023;
/** Slack on Hamerly's bounds, so rounding in |x|² − 2x·c can never skip a closer centre. */
const BOUND_SLACK = 1e-9;

/**
 * Lloyd's k-means from given centres; labels canonical (numbered by first appearance).
 * Hand-written rather than ml-kmeans: distances come from dot products on flat buffers
 * (|x − c|² = |x|² − 2x·c + |c|², and |x|² does not change the argmin), and the loop
 * checks the AbortSignal every pass. ml-kmeans' generic per-pair distance spent 333 s
 * choosing k for 12,000 items (2,000-item sample, k up to 155) on the loaded 2-core box.
 *
 * Hamerly's bounds skip most rows after the first pass: each row keeps an upper bound
 * on the distance to its centre and a lower bound on the distance to any other; both
 * move by how far the centres moved, and a row is only rescanned when they cross (or
 * its centre is within half the distance to its nearest other centre). Same labels as
 * plain Lloyd (up to exact ties); on the 12,000-item archive (k = 153) the passes after
 * the first rescanned ~10% of the rows.
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
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = rows[i] as ArrayLike<number>;
    let s = 0;
    for (let d = 0; d < dim; d++) s += (x[d] as number) ** 2;
    norms[i] = s;
  }
  const upper = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const lower = new Float64Array(n);
  /** Half the distance from each centre to its nearest other centre. */
  const separation = new Float64Array(k);
  const moved = new Float64Array(k);
  const scores = new Float64Array(k);
  const distance = (i: number, score: number): number =>
    Math.sqrt(Math.max(0, (norms[i] as number) - 2 * score));
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    abortCheck?.();
    for (let j = 0; j < k; j++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (c[j * dim + d] as number) ** 2;
      half[j] = norm / 2;
    }
    separation.fill(Number.POSITIVE_INFINITY);
    for (let j = 0; j < k; j++) {
      for (let o = j + 1; o < k; o++) {
        const between =
          Math.sqrt(
            Math.max(
              0,
              2 * (half[j] as number) + 2 * (half[o] as number) - 2 * dotCentres(c, j, o, dim),
            ),
          ) / 2;
        if (between < (separation[j] as number)) separation[j] = between;
        if (between < (separation[o] as number)) separation[o] = between;
      }
    }
    let changed = 0;
    for (let i = 0; i < n; i++) {
      // One pass over 100,000 items is ~30 s here: check for an abort within it too.
      if ((i & ABORT_ROWS) === 0) abortCheck?.();
      const x = rows[i] as ArrayLike<number>;
      const own = labels[i] as number;
      if (own >= 0) {
        const bound = Math.max(separation[own] as number, lower[i] as number) - BOUND_SLACK;
        if ((upper[i] as number) <= bound) continue;
        upper[i] = distance(i, dotAt(x, c, own * dim, dim) - (half[own] as number));
        if ((upper[i] as number) <= bound) continue;
      }
      let best = 0;
      let bestScore = Number.NEGATIVE_INFINITY;
      let secondScore = Number.NEGATIVE_INFINITY;
      dotsWithCentres(x, c, k, dim, scores);
      for (let j = 0; j < k; j++) {
        const s = (scores[j] as number) - (half[j] as number);
        if (s > bestScore) {
          secondScore = bestScore;
          bestScore = s;
          best = j;
        } else if (s > secondScore) secondScore = s;
      }
      if (own !== best) changed++;
      labels[i] = best;
      upper[i] = distance(i, bestScore);
      lower[i] = k > 1 ? distance(i, secondScore) : Number.POSITIVE_INFINITY;
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
    let total = 0;
    let farthest = -1;
    for (let j = 0; j < k; j++) {
      const count = counts[j] as number;
      let step = 0;
      if (count > 0) {
        // (an empty cluster keeps its centre)
        for (let d = 0; d < dim; d++) {
          const next = (sums[j * dim + d] as number) / count;
          step += (next - (c[j * dim + d] as number)) ** 2;
          c[j * dim + d] = next;
        }
      }
      total += step;
      moved[j] = Math.sqrt(step);
      if (farthest < 0 || (moved[j] as number) > (moved[farthest] as number)) farthest = j;
    }
    if (total < TOLERANCE) break;
    let runnerUp = 0;
    for (let j = 0; j < k; j++)
      if (j !== farthest) runnerUp = Math.max(runnerUp, moved[j] as number);
    const most = moved[farthest] as number;
    for (let i = 0; i < n; i++) {
      const label = labels[i] as number;
      upper[i] = (upper[i] as number) + (moved[label] as number);
      lower[i] = (lower[i] as number) - (label === farthest ? runnerUp : most);
    }
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

/**
 * x · every centre, four centres per pass over x: each x[d] is loaded once for four
 * products (~1.5× faster than one dot product per centre in the full assignment pass).
 */
function dotsWithCentres(
  x: ArrayLike<number>,
  c: Float64Array,
  k: number,
  dim: number,
  out: Float64Array,
): void {
  let j = 0;
  for (; j + 3 < k; j += 4) {
    const b0 = j * dim;
    const b1 = b0 + dim;
    const b2 = b1 + dim;
    const b3 = b2 + dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let d = 0; d < dim; d++) {
      const v = x[d] as number;
      s0 += v * (c[b0 + d] as number);
      s1 += v * (c[b1 + d] as number);
      s2 += v * (c[b2 + d] as number);
      s3 += v * (c[b3 + d] as number);
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < k; j++) out[j] = dotAt(x, c, j * dim, dim);
}

/** Dot product of centres j and o of the flat centre buffer. */
function dotCentres(c: Float64Array, j: number, o: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (c[j * dim + d] as number) * (c[o * dim + d] as number);
  return s;
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
  opts: Pick<ResolvedClusterOptions, 'seed' | 'restarts' | 'sampleSize' | 'method'>,
  progress: (phase: ClusterProgress['phase'], done: number, total: number) => void,
  abortCheck: () => void,
): ScaleClustering {
  const n = space.length;
  const picked = sampleRows(n, Math.min(opts.sampleSize, n), opts.seed);
  const sample = picked.map((r) => space[r] as Float64Array);
  const s = sample.length;
  // A fixed k as large as the sample cannot come from a tree of the sample.
  const method = opts.method;
  const start =
    method !== 'kmeans' && candidates.every((k) => k < s)
      ? linkageOnSample(sample, candidates, method, progress, abortCheck)
      : kmeansOnSample(space, sample, candidates, opts, progress, abortCheck);

  abortCheck();
  progress('kmeans', 0, 1);
  const full = lloyd(space, start.centroids, FULL_ITERATIONS, abortCheck);
  progress('kmeans', 1, 1);
  return { labels: full.labels, k: start.k, curve: start.curve, sampleSize: s };
}

interface SampleStart {
  k: number;
  curve: Array<{ k: number; score: number }>;
  /** Where the Lloyd passes over all items start. */
  centroids: number[][];
}

/** The k:'auto' candidates a sample of `s` can score (a silhouette needs members). */
function scorableKs(candidates: readonly number[], s: number): number[] {
  if (candidates.length <= 1) return [...candidates];
  const cap = Math.max(2, Math.floor(s / MIN_PER_CLUSTER));
  return [...new Set(candidates.map((k) => Math.min(k, cap)))];
}

/**
 * Ward (or average linkage) on the sample, cut at every candidate k and scored by the
 * sample's silhouette: one O(s²) tree serves all ks, so the whole band is scored, and
 * the chosen cut's centroids start k-means on all items. Measured on the 12,000-item
 * archive: choosing k this way took ~2 s where k-means restarts on the sample took 37 s.
 */
function linkageOnSample(
  sample: readonly Float64Array[],
  candidates: readonly number[],
  method: 'ward' | 'average-linkage',
  progress: (phase: ClusterProgress['phase'], done: number, total: number) => void,
  abortCheck: () => void,
): SampleStart {
  const s = sample.length;
  const ks = spreadCandidates(scorableKs(candidates, s), MAX_CUT_CANDIDATES);
  const sims = cosineMatrix(sample, abortCheck);
  progress('linkage', 0, 1);
  const tree =
    method === 'ward'
      ? wardLinkage(sims, s, { shouldStop: abortCheck })
      : averageLinkage(sims, s, { stopAt: Math.min(...ks), shouldStop: abortCheck });
  progress('linkage', 1, 1);
  const curve: Array<{ k: number; score: number }> = [];
  let best: { k: number; score: number; labels: number[] } | undefined;
  ks.forEach((k, index) => {
    abortCheck();
    progress('select-k', index, ks.length);
    const labels = cutTree(tree, k);
    const score = ks.length > 1 ? silhouette(sims, s, labels) : 0;
    curve.push({ k, score });
    if (!best || score > best.score) best = { k, score, labels };
  });
  progress('select-k', ks.length, ks.length);
  const chosen = best as { k: number; labels: number[] };
  return { k: chosen.k, curve, centroids: meansOf(sample, chosen.labels, chosen.k) };
}

/** Plain (not normalised) mean of each label's rows: k-means centres. */
function meansOf(rows: readonly Float64Array[], labels: readonly number[], k: number): number[][] {
  const dim = rows[0]?.length ?? 0;
  const sums = Array.from({ length: k }, () => new Float64Array(dim));
  const counts = new Float64Array(k);
  labels.forEach((l, i) => {
    const sum = sums[l] as Float64Array;
    const row = rows[i] as Float64Array;
    for (let d = 0; d < dim; d++) sum[d] = (sum[d] as number) + (row[d] as number);
    counts[l] = (counts[l] as number) + 1;
  });
  return sums.map((sum, l) => Array.from(sum, (x) => x / Math.max(1, counts[l] as number)));
}

/**
 * method 'kmeans' (or a fixed k the sample cannot hold): k-means++ restarts on the
 * sample score each k (at most MAX_CANDIDATES), the chosen k gets its remaining restarts.
 */
function kmeansOnSample(
  space: readonly Float64Array[],
  sample: readonly Float64Array[],
  candidates: readonly number[],
  opts: Pick<ResolvedClusterOptions, 'seed' | 'restarts'>,
  progress: (phase: ClusterProgress['phase'], done: number, total: number) => void,
  abortCheck: () => void,
): SampleStart {
  const s = sample.length;
  const auto = candidates.length > 1;
  const ks = auto ? spreadCandidates(scorableKs(candidates, s), MAX_CANDIDATES) : [...candidates];
  const sims = auto ? cosineMatrix(sample, abortCheck) : undefined;

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
  return { k: chosen.k, curve, centroids: fit.centroids };
}
