/**
 * Each wording's nearest questions, by an exact scan of the questions already in
 * memory: what one filtered `storage.nearest` per wording returns on its exact path
 * (same cosines, bit for bit; ties by item id), at half the dot products, since
 * cos(a, b) is computed once for both ends. On the 300-salon archive (3,914
 * wordings) the per-wording store queries took 30 s of CPU in the folder store's
 * exact scan; this takes a few seconds. Past `MAX_SCANNED_QUESTIONS` the
 * quadratic scan loses to the store's graph search and is not used.
 *
 *   const lists = nearestQuestions(rows, wordings, 20, true);
 *   // lists[w]: up to 20 { row, cosine }, best first, none of w's own occurrences
 */
import type { QuestionWordings } from './question-wordings.js';
import { dot, type StoredRow } from '../storage/seam.js';

export const MAX_SCANNED_QUESTIONS = 6000;

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
): QuestionHit[][] {
  const n = rows.length;
  const repOf = new Int32Array(n).fill(-1); // wording a row is the first occurrence of
  wordings.members.forEach((m, w) => {
    repOf[m[0] as number] = w;
  });
  const ids = rows.map((r) => r.item.id);
  const salons = rows.map((r) => r.item.salonId);
  const better = (a: QuestionHit, b: QuestionHit): boolean =>
    a.cosine > b.cosine ||
    (a.cosine === b.cosine && (ids[a.row] as string) < (ids[b.row] as string));
  const lists: QuestionHit[][] = wordings.members.map(() => []);
  const offer = (w: number, hit: QuestionHit): void => {
    const top = lists[w] as QuestionHit[];
    if (top.length === k && !better(hit, top[k - 1] as QuestionHit)) return;
    let i = top.length;
    while (i > 0 && better(hit, top[i - 1] as QuestionHit)) i--;
    top.splice(i, 0, hit);
    if (top.length > k) top.pop();
  };
  const passes = (w: number, rep: number, other: number): boolean =>
    wordings.wordingOf[other] !== w && !(crossSalonOnly && salons[other] === salons[rep]);
  for (let a = 0; a < n; a++) {
    const va = (rows[a] as StoredRow).vector;
    const wa = repOf[a] as number;
    for (let b = a + 1; b < n; b++) {
      const wb = repOf[b] as number;
      if (wa < 0 && wb < 0) continue; // neither end is searched from
      const cosine = dot(va, (rows[b] as StoredRow).vector);
      if (wa >= 0 && passes(wa, a, b)) offer(wa, { row: b, cosine });
      if (wb >= 0 && passes(wb, b, a)) offer(wb, { row: a, cosine });
    }
  }
  return lists;
}
