/**
 * Each wording's nearest questions, by an exact scan of the questions already in
 * memory: what one filtered `storage.nearest` per wording returns on its exact path
 * (same cosines, bit for bit; ties by item id), at half the dot products, since
 * cos(a, b) is computed once for both ends. On the 300-salon archive (3,914
 * wordings) the per-wording store queries took 30 s of CPU in the folder store's
 * exact scan; a plain pairwise scan took ~13 s; this tiled one ~5× less. Past
 * `MAX_SCANNED_QUESTIONS` the quadratic scan loses to the store's graph search and
 * is not used.
 *
 *   const lists = nearestQuestions(rows, wordings, 20, true);
 *   // lists[w]: up to 20 { row, cosine }, best first, none of w's own occurrences
 */

import type { StoredRow } from '../storage/seam.js';
import type { QuestionWordings } from './question-wordings.js';

export const MAX_SCANNED_QUESTIONS = 6000;

/**
 * Rows per tile: a tile's rows stay in cache while every later row streams past
 * once; four tile rows by two passing rows make eight independent sums per load
 * instead of one long chain of additions.
 */
const TILE = 16;

export interface QuestionHit {
  /** Index into the rows given. */
  row: number;
  cosine: number;
}

/**
 * Up to `k` nearest rows of each wording's first occurrence, leaving out the
 * wording's own occurrences and, with `crossSalonOnly`, the first occurrence's salon.
 */
export function nearestQuestions(
  rows: readonly StoredRow[],
  wordings: QuestionWordings,
  k: number,
  crossSalonOnly: boolean,
  /** Share of the scan done (0..1), after each tile: the first tiles hold the most pairs. */
  onProgress?: (fraction: number) => void,
): QuestionHit[][] {
  const n = rows.length;
  const repOf = new Int32Array(n).fill(-1); // wording a row is the first occurrence of
  wordings.members.forEach((m, w) => {
    repOf[m[0] as number] = w;
  });
  const ids = rows.map((r) => r.item.id);
  const salonOf = salonIndices(rows);
  const better = (cosine: number, row: number, than: QuestionHit): boolean =>
    cosine > than.cosine ||
    (cosine === than.cosine && (ids[row] as string) < (ids[than.row] as string));
  const lists: QuestionHit[][] = wordings.members.map(() => []);
  // The k-th best cosine of each full list: most pairs fall below it and are
  // dismissed on one comparison (an equal cosine still goes on to the id tie-break).
  const floor = new Float64Array(lists.length).fill(Number.NEGATIVE_INFINITY);
  const offer = (w: number, row: number, cosine: number): void => {
    const top = lists[w] as QuestionHit[];
    if (top.length === k && !better(cosine, row, top[k - 1] as QuestionHit)) return;
    let i = top.length;
    while (i > 0 && better(cosine, row, top[i - 1] as QuestionHit)) i--;
    top.splice(i, 0, { row, cosine });
    if (top.length > k) top.pop();
    if (top.length === k) floor[w] = (top[k - 1] as QuestionHit).cosine;
  };
  const passes = (w: number, rep: number, other: number): boolean =>
    wordings.wordingOf[other] !== w && !(crossSalonOnly && salonOf[other] === salonOf[rep]);
  // Each pair once, from both ends; a list only depends on which pairs it is offered
  // (ranked by cosine, then id), never on the order they come in.
  const pair = (a: number, b: number, cosine: number): void => {
    const wa = repOf[a] as number;
    const wb = repOf[b] as number;
    if (wa >= 0 && cosine >= (floor[wa] as number) && passes(wa, a, b)) offer(wa, b, cosine);
    if (wb >= 0 && cosine >= (floor[wb] as number) && passes(wb, b, a)) offer(wb, a, cosine);
  };
  const matrix = rowMatrix(rows);
  const d = matrix.d;
  const m = matrix.values;
  const sums = new Float64Array(8);
  const pairs = (n * (n - 1)) / 2;
  for (let t0 = 0; t0 < n; t0 += TILE) {
    const t1 = Math.min(n, t0 + TILE);
    // Pairs with a row before t0 are done: all but the (n - t0)-row triangle.
    onProgress?.(pairs === 0 ? 1 : 1 - ((n - t0) * (n - t0 - 1)) / 2 / pairs);
    // Pairs inside the tile.
    for (let a = t0; a < t1; a++) for (let b = a + 1; b < t1; b++) pair(a, b, dotRows(m, d, a, b));
    // The tile against every later row: four tile rows by two later rows at a time.
    for (let b = t1; b < n; b += 2) {
      const two = b + 1 < n;
      let a = t0;
      for (; two && a + 4 <= t1; a += 4) {
        dotFourByTwo(m, d, a, b, sums);
        for (let r = 0; r < 4; r++) {
          pair(a + r, b, sums[r] as number);
          pair(a + r, b + 1, sums[4 + r] as number);
        }
      }
      for (; a < t1; a++) {
        pair(a, b, dotRows(m, d, a, b));
        if (two) pair(a, b + 1, dotRows(m, d, a, b + 1));
      }
    }
  }
  onProgress?.(1);
  return lists;
}

/** The rows' vectors in one row-major block (rows are read many times: keep them together). */
function rowMatrix(rows: readonly StoredRow[]): { values: Float32Array; d: number } {
  const d = rows[0]?.vector.length ?? 0;
  const values = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    values.set(r.vector, i * d);
  });
  return { values, d };
}

/** dot(row a, row b), summed in index order like `dot` in seam.ts (so the same bits). */
function dotRows(m: Float32Array, d: number, a: number, b: number): number {
  const oa = a * d;
  const ob = b * d;
  let s = 0;
  for (let i = 0; i < d; i++) s += (m[oa + i] as number) * (m[ob + i] as number);
  return s;
}

/**
 * dot(row a + r, row b + c) for r = 0..3, c = 0..1 into out[4c + r], each summed in
 * index order: eight independent sums share each load of the six rows.
 */
function dotFourByTwo(m: Float32Array, d: number, a: number, b: number, out: Float64Array): void {
  const o0 = a * d;
  const o1 = o0 + d;
  const o2 = o1 + d;
  const o3 = o2 + d;
  const p0 = b * d;
  const p1 = p0 + d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let u0 = 0;
  let u1 = 0;
  let u2 = 0;
  let u3 = 0;
  for (let i = 0; i < d; i++) {
    const x = m[p0 + i] as number;
    const y = m[p1 + i] as number;
    const a0 = m[o0 + i] as number;
    const a1 = m[o1 + i] as number;
    const a2 = m[o2 + i] as number;
    const a3 = m[o3 + i] as number;
    s0 += a0 * x;
    s1 += a1 * x;
    s2 += a2 * x;
    s3 += a3 * x;
    u0 += a0 * y;
    u1 += a1 * y;
    u2 += a2 * y;
    u3 += a3 * y;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
  out[4] = u0;
  out[5] = u1;
  out[6] = u2;
  out[7] = u3;
}

/** Each row's salon as a small integer (compared for every pair). */
function salonIndices(rows: readonly StoredRow[]): Int32Array {
  const index = new Map<string, number>();
  const out = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    let s = index.get(r.item.salonId);
    if (s === undefined) {
      s = index.size;
      index.set(r.item.salonId, s);
    }
    out[i] = s;
  });
  return out;
}
