/**
 * Hubness-aware similarity: cross-domain similarity local scaling (CSLS) over
 * neighbourhood statistics kept per stored item.
 *
 * In high-dimensional embedding spaces a few vectors ("hubs") sit close to
 * everything, so plain cosine ranks them near the top for unrelated queries. CSLS
 * (Conneau et al. 2018, "Word translation without parallel data") discounts each
 * side by how close it is to its own neighbourhood:
 *
 *   csls(x, y) = 2·cos(x, y) − r(x) − r(y),   r(v) = mean cosine of v's k nearest neighbours
 *
 * Here r is taken over neighbours from *other salons* (a salon's own items share
 * its topic and would make every item look like a hub). Scores ≥ 0 mean "x and y
 * are at least as close as each one's typical near neighbour": scale-free, so the
 * same default threshold means the same thing for any model.
 *
 * Measured on the labelled corpus (bench/quality.ts, 80 cross-salon paraphrase
 * queries): recall@5 0.650 → 0.750 with k = 5 and r over all items; mutual
 * proximity (Gaussian) 0.688, z-score local scaling 0.725, per-salon or
 * per-section centring ≤ 0.700. On 4-salon subsets (stats from the subset only)
 * CSLS still gained (0.729 → 0.774 mean), on 3-salon subsets it was level: the
 * gain grows with the corpus, as hubness does.
 *
 * `NeighbourhoodTable` stores, per HNSW label and per target section, the k
 * nearest cross-salon neighbours (label + cosine), so r toward any section, or
 * toward all items, is an O(k) lookup and add/remove touch only the items whose
 * neighbourhoods changed (see `updateNeighbourhoods`).
 */
import { SECTIONS, type Section } from '../parse/schema.js';
import { NEIGHBOURHOOD_K } from '../util/csls.js';

export { csls, DEFAULT_SCORING, NEIGHBOURHOOD_K, SCORINGS, type Scoring } from '../util/csls.js';

export const SECTION_COUNT = SECTIONS.length;
const SECTION_INDEX = new Map<Section, number>(SECTIONS.map((s, i) => [s, i]));

export function sectionIndex(section: Section): number {
  return SECTION_INDEX.get(section) as number;
}

/**
 * r of a query that is not a stored item, from the cosines of its nearest hits
 * (best first): the mean of the first k, skipping an identical vector (a query
 * whose text is stored would otherwise count itself). 0 when nothing is left.
 */
export function queryRadius(cosines: readonly number[], k = NEIGHBOURHOOD_K): number {
  let sum = 0;
  let count = 0;
  for (const c of cosines) {
    if (c >= 1 - 1e-6) continue;
    sum += c;
    if (++count === k) break;
  }
  return count === 0 ? 0 : sum / count;
}

export interface Neighbour {
  label: number;
  score: number;
}

/**
 * k nearest cross-salon neighbours per label and section, in two flat typed
 * arrays (labels −1 = empty slot), each list sorted best first. Layout:
 * slot (label, section, j) at ((label · sections) + section) · k + j.
 */
export class NeighbourhoodTable {
  #labels: Int32Array;
  #scores: Float32Array;
  /** Cached r over all sections per label (NaN: recompute). */
  #radiusAll: Float32Array;

  constructor(
    readonly k: number = NEIGHBOURHOOD_K,
    labelCount = 0,
  ) {
    this.#labels = new Int32Array(labelCount * SECTION_COUNT * k).fill(-1);
    this.#scores = new Float32Array(labelCount * SECTION_COUNT * k);
    this.#radiusAll = new Float32Array(labelCount).fill(Number.NaN);
  }

  /** Rebuild from `buffers()` output (e.g. read from a store file). */
  static fromBuffers(k: number, labels: Int32Array, scores: Float32Array): NeighbourhoodTable {
    if (labels.length !== scores.length || labels.length % (SECTION_COUNT * k) !== 0) {
      throw new Error(`neighbourhood buffers of ${labels.length}/${scores.length} slots for k=${k}`);
    }
    const table = new NeighbourhoodTable(k, 0);
    table.#labels = labels;
    table.#scores = scores;
    table.#radiusAll = new Float32Array(labels.length / (SECTION_COUNT * k)).fill(Number.NaN);
    return table;
  }

  /** Labels the table has room for. */
  get labelCount(): number {
    return this.#radiusAll.length;
  }

  /** The raw slots, for saving. Views, not copies. */
  buffers(): { labels: Int32Array; scores: Float32Array } {
    return { labels: this.#labels, scores: this.#scores };
  }

  /** Make room for `labelCount` labels (grows, never shrinks). */
  grow(labelCount: number): void {
    if (labelCount <= this.labelCount) return;
    const size = labelCount * SECTION_COUNT * this.k;
    const labels = new Int32Array(size).fill(-1);
    labels.set(this.#labels);
    const scores = new Float32Array(size);
    scores.set(this.#scores);
    const radius = new Float32Array(labelCount).fill(Number.NaN);
    radius.set(this.#radiusAll);
    this.#labels = labels;
    this.#scores = scores;
    this.#radiusAll = radius;
  }

  /** Empty every list of `label`. */
  clear(label: number): void {
    const start = label * SECTION_COUNT * this.k;
    this.#labels.fill(-1, start, start + SECTION_COUNT * this.k);
    this.#scores.fill(0, start, start + SECTION_COUNT * this.k);
    this.#radiusAll[label] = Number.NaN;
  }

  /** Neighbours of `label` in `section`, best first. */
  list(label: number, section: number): Neighbour[] {
    const out: Neighbour[] = [];
    const start = (label * SECTION_COUNT + section) * this.k;
    for (let j = 0; j < this.k; j++) {
      const other = this.#labels[start + j] as number;
      if (other < 0) break;
      out.push({ label: other, score: this.#scores[start + j] as number });
    }
    return out;
  }

  /** Replace one list with the best k of `hits` (any order). */
  setList(label: number, section: number, hits: readonly Neighbour[]): void {
    const sorted = [...hits].sort(compareNeighbours).slice(0, this.k);
    const start = (label * SECTION_COUNT + section) * this.k;
    for (let j = 0; j < this.k; j++) {
      const hit = sorted[j];
      this.#labels[start + j] = hit ? hit.label : -1;
      this.#scores[start + j] = hit ? hit.score : 0;
    }
    this.#radiusAll[label] = Number.NaN;
  }

  /**
   * Insert `other` into `label`'s list for `section` if it is among the k best
   * (no-op if already there). Returns whether the list changed.
   */
  offer(label: number, section: number, other: number, score: number): boolean {
    const start = (label * SECTION_COUNT + section) * this.k;
    let at = this.k;
    for (let j = 0; j < this.k; j++) {
      const l = this.#labels[start + j] as number;
      if (l === other) return false;
      if (at === this.k && (l < 0 || score > (this.#scores[start + j] as number))) at = j;
    }
    if (at === this.k) return false;
    // Drop a later copy of `other` can't happen (checked above); shift the tail right by one.
    for (let j = this.k - 1; j > at; j--) {
      this.#labels[start + j] = this.#labels[start + j - 1] as number;
      this.#scores[start + j] = this.#scores[start + j - 1] as number;
    }
    this.#labels[start + at] = other;
    this.#scores[start + at] = score;
    this.#radiusAll[label] = Number.NaN;
    return true;
  }

  /** r toward one section: mean cosine of the list, 0 when empty. */
  radius(label: number, section: number): number {
    const start = (label * SECTION_COUNT + section) * this.k;
    let sum = 0;
    let count = 0;
    for (let j = 0; j < this.k; j++) {
      if ((this.#labels[start + j] as number) < 0) break;
      sum += this.#scores[start + j] as number;
      count++;
    }
    return count === 0 ? 0 : sum / count;
  }

  /** r toward all items: mean of the k best over the section lists (merged), 0 when empty. */
  radiusAll(label: number): number {
    const cached = this.#radiusAll[label] as number;
    if (!Number.isNaN(cached)) return cached;
    const k = this.k;
    const base = label * SECTION_COUNT * k;
    // Merge the sorted section lists: k steps, each picking the best head.
    const heads = new Array<number>(SECTION_COUNT).fill(0);
    let sum = 0;
    let count = 0;
    while (count < k) {
      let best = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < SECTION_COUNT; s++) {
        const j = heads[s] as number;
        if (j >= k) continue;
        const slot = base + s * k + j;
        if ((this.#labels[slot] as number) < 0) continue;
        const score = this.#scores[slot] as number;
        if (score > bestScore) {
          bestScore = score;
          best = s;
        }
      }
      if (best < 0) break;
      sum += bestScore;
      heads[best] = (heads[best] as number) + 1;
      count++;
    }
    const r = count === 0 ? 0 : sum / count;
    this.#radiusAll[label] = r;
    return r;
  }

  /** Labels (not in `removed`) with a removed label in any list: their lists must be recomputed. */
  referencing(removed: ReadonlySet<number>): number[] {
    const out: number[] = [];
    const per = SECTION_COUNT * this.k;
    for (let label = 0; label < this.labelCount; label++) {
      if (removed.has(label)) continue;
      for (let j = 0; j < per; j++) {
        const other = this.#labels[label * per + j] as number;
        if (other >= 0 && removed.has(other)) {
          out.push(label);
          break;
        }
      }
    }
    return out;
  }
}

function compareNeighbours(a: Neighbour, b: Neighbour): number {
  return b.score - a.score || a.label - b.label;
}

/** What `updateNeighbourhoods` needs from the store: exact or ANN k-NN over stored vectors. */
export interface NeighbourSource {
  /** Section index of a live label. */
  sectionOf(label: number): number;
  /**
   * The `k` nearest live labels to `label` from other salons than its own, best
   * first, restricted to one section index when given.
   */
  nearest(label: number, k: number, section?: number): Neighbour[];
}

/**
 * How deep an added item looks for items whose lists it enters. An item x enters
 * y's list when cos(x, y) beats y's k-th neighbour, which for all but the
 * heaviest hubs means y is among x's nearest few dozen; measured on the corpus
 * (added salon by salon), 32 reproduced the from-scratch table exactly.
 */
export const REVERSE_DEPTH = 32;

/**
 * Bring the table up to date after a write: `removed` labels are cleared and
 * every list that pointed at one is recomputed; `added` labels get their own
 * lists and are offered to the lists of their nearest neighbours. Cost: three
 * k-NN searches per added or affected item plus one deeper search per added
 * item; nothing else is touched.
 */
export function updateNeighbourhoods(
  table: NeighbourhoodTable,
  source: NeighbourSource,
  change: { added: readonly number[]; removed: readonly number[] },
): { recomputed: number } {
  const removed = new Set(change.removed);
  const stale = removed.size > 0 ? table.referencing(removed) : [];
  for (const label of removed) if (label < table.labelCount) table.clear(label);
  const added = new Set(change.added);
  const recompute = [...new Set([...stale, ...added])];
  table.grow(Math.max(0, ...recompute) + 1);
  for (const label of recompute) {
    for (let s = 0; s < SECTION_COUNT; s++) {
      table.setList(label, s, source.nearest(label, table.k, s));
    }
  }
  for (const x of added) {
    const section = source.sectionOf(x);
    for (const hit of source.nearest(x, REVERSE_DEPTH)) {
      if (!added.has(hit.label)) table.offer(hit.label, section, x, hit.score);
    }
  }
  return { recomputed: recompute.length };
}
