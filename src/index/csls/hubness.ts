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
 * r is over all items of other salons, whatever their section: on the corpus that
 * beat r over questions only (recall@5 0.750 vs 0.725), and one list per item
 * keeps updates exact (per-section lists were not: an item can enter another's
 * list of a different section while sitting far down its own ranking).
 *
 * `NeighbourhoodTable` stores, per HNSW label, the k nearest cross-salon
 * neighbours (label + cosine), so r is an O(k) lookup and add/remove touch only
 * the items whose neighbourhoods changed (see `updateNeighbourhoods`).
 */
import { NEIGHBOURHOOD_K } from '../../util/csls.js';
import { pacer } from '../../util/event-loop.js';

export {
  csls,
  DEFAULT_SCORING,
  NEIGHBOURHOOD_K,
  QUESTION_SCORINGS,
  type QuestionScoring,
  SCORINGS,
  type Scoring,
} from '../../util/csls.js';

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
 * The k nearest cross-salon neighbours of every label (label + cosine), in two
 * flat typed arrays: slot (label, j) at label · k + j, labels −1 = empty, each
 * list best first.
 */
export class NeighbourhoodTable {
  #labels: Int32Array;
  #scores: Float32Array;

  constructor(
    readonly k: number = NEIGHBOURHOOD_K,
    labelCount = 0,
  ) {
    this.#labels = new Int32Array(labelCount * k).fill(-1);
    this.#scores = new Float32Array(labelCount * k);
  }

  /** Rebuild from `buffers()` output (e.g. read from a store file). */
  static fromBuffers(k: number, labels: Int32Array, scores: Float32Array): NeighbourhoodTable {
    if (labels.length !== scores.length || labels.length % k !== 0) {
      throw new Error(
        `neighbourhood buffers of ${labels.length}/${scores.length} slots for k=${k}`,
      );
    }
    const table = new NeighbourhoodTable(k, 0);
    table.#labels = labels;
    table.#scores = scores;
    return table;
  }

  /** Labels the table has room for. */
  get labelCount(): number {
    return this.#labels.length / this.k;
  }

  /** The raw slots, for saving. Views, not copies. */
  buffers(): { labels: Int32Array; scores: Float32Array } {
    return { labels: this.#labels, scores: this.#scores };
  }

  /**
   * Make room for `labelCount` labels (grows, never shrinks), with 1/8 headroom:
   * each add grew the table again, copying every slot.
   */
  grow(labelCount: number): void {
    if (labelCount <= this.labelCount) return;
    labelCount = Math.max(labelCount, Math.ceil(this.labelCount * 1.125));
    const labels = new Int32Array(labelCount * this.k).fill(-1);
    labels.set(this.#labels);
    const scores = new Float32Array(labelCount * this.k);
    scores.set(this.#scores);
    this.#labels = labels;
    this.#scores = scores;
  }

  /** Empty the list of `label`. */
  clear(label: number): void {
    this.#labels.fill(-1, label * this.k, (label + 1) * this.k);
    this.#scores.fill(0, label * this.k, (label + 1) * this.k);
  }

  /** Neighbours of `label`, best first. */
  list(label: number): Neighbour[] {
    const out: Neighbour[] = [];
    for (let j = label * this.k; j < (label + 1) * this.k; j++) {
      const other = this.#labels[j] as number;
      if (other < 0) break;
      out.push({ label: other, score: this.#scores[j] as number });
    }
    return out;
  }

  /** Replace the list with the best k of `hits` (any order). */
  setList(label: number, hits: readonly Neighbour[]): void {
    const sorted = [...hits].sort(compareNeighbours).slice(0, this.k);
    for (let j = 0; j < this.k; j++) {
      const hit = sorted[j];
      this.#labels[label * this.k + j] = hit ? hit.label : -1;
      this.#scores[label * this.k + j] = hit ? hit.score : 0;
    }
  }

  /**
   * Insert `other` into `label`'s list if it is among the k best (no-op if already
   * there). Returns whether the list changed.
   */
  offer(label: number, other: number, score: number): boolean {
    const start = label * this.k;
    let at = this.k;
    for (let j = 0; j < this.k; j++) {
      const l = this.#labels[start + j] as number;
      if (l === other) return false;
      if (at === this.k && (l < 0 || score > (this.#scores[start + j] as number))) at = j;
    }
    if (at === this.k) return false;
    for (let j = this.k - 1; j > at; j--) {
      this.#labels[start + j] = this.#labels[start + j - 1] as number;
      this.#scores[start + j] = this.#scores[start + j - 1] as number;
    }
    this.#labels[start + at] = other;
    this.#scores[start + at] = score;
    return true;
  }

  /** Score of the k-th neighbour; −Infinity while the list is not full. */
  kth(label: number): number {
    const last = (label + 1) * this.k - 1;
    return (this.#labels[last] as number) < 0
      ? Number.NEGATIVE_INFINITY
      : (this.#scores[last] as number);
  }

  /** r(label): mean cosine of its list, 0 when empty (a store with one salon). */
  radius(label: number): number {
    let sum = 0;
    let count = 0;
    for (let j = label * this.k; j < (label + 1) * this.k; j++) {
      if ((this.#labels[j] as number) < 0) break;
      sum += this.#scores[j] as number;
      count++;
    }
    return count === 0 ? 0 : sum / count;
  }

  /** Labels (not in `removed`) with a removed label in their list: it must be recomputed. */
  referencing(removed: ReadonlySet<number>): number[] {
    const out: number[] = [];
    for (let label = 0; label < this.labelCount; label++) {
      if (removed.has(label)) continue;
      for (let j = label * this.k; j < (label + 1) * this.k; j++) {
        const other = this.#labels[j] as number;
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

/**
 * What `updateNeighbourhoods` needs from the store: k-NN over stored vectors
 * (answers may be promises: a database store answers over the network).
 */
export interface NeighbourSource {
  /** The `k` nearest live labels to `label` from other salons than its own, best first. */
  nearest(label: number, k: number): Neighbour[] | Promise<Neighbour[]>;
  /** Cosine of two live labels, or undefined when they cannot be neighbours (same salon). */
  pairScore(a: number, b: number): number | undefined | Promise<number | undefined>;
  /** Every live label. */
  labels(): Iterable<number>;
}

/**
 * How deep an added item's k-NN search looks for lists it enters. Items further
 * down are checked directly only if their k-th neighbour is weaker than the last
 * hit, so the result is exact (with exact k-NN) and deeper searches only save
 * dot products.
 */
export const REVERSE_DEPTH = 32;

/**
 * Pair checks one write may spend on those items further down. Their number grows
 * with added × stored items (6.6 million for 1,000 items added to 20,000, ~30 s of
 * CPU): past this budget a write offers each added item to its REVERSE_DEPTH
 * nearest only, the same approximation the k-NN searches make. Stores of a few
 * thousand items stay exact.
 */
export const REVERSE_CHECK_BUDGET = 100_000;

/** k-NN searches between two progress reports. */
const PROGRESS_EVERY = 1024;

/**
 * Bring the table up to date after a write: `removed` labels are cleared and
 * every list that pointed at one is recomputed; `added` labels get their own
 * list and are offered to the lists they enter. x enters y's list iff cos(x, y)
 * beats y's k-th neighbour: those y are x's nearest REVERSE_DEPTH, plus (checked
 * one by one, within REVERSE_CHECK_BUDGET) the items whose k-th neighbour is
 * weaker than the last of those. Cost per added item: one k-NN search (depth
 * REVERSE_DEPTH, which also gives its own list) and a few dot products; per item
 * that lost a neighbour: one k-NN search. Nothing else is touched. `exact` says
 * whether the one-by-one checks ran.
 */
export async function updateNeighbourhoods(
  table: NeighbourhoodTable,
  source: NeighbourSource,
  change: { added: readonly number[]; removed: readonly number[] },
  {
    checkBudget = REVERSE_CHECK_BUDGET,
    onProgress = () => {},
  }: {
    checkBudget?: number;
    /** After every PROGRESS_EVERY k-NN searches and the last: how many of how many lists. */
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<{ recomputed: number; exact: boolean }> {
  const removed = new Set(change.removed);
  const stale = removed.size > 0 ? table.referencing(removed) : [];
  for (const label of removed) if (label < table.labelCount) table.clear(label);
  const added = new Set(change.added);
  const recompute = [...new Set([...stale, ...added])];
  // A loop, not Math.max(...recompute): a 200k-item build overflowed the call stack.
  let highest = -1;
  for (const label of recompute) if (label > highest) highest = label;
  table.grow(highest + 1);
  const existing: number[] = [];
  for (const label of source.labels()) if (!added.has(label)) existing.push(label);
  // One k-NN search per recomputed list: the unit of progress. Each also gives the
  // event loop a turn now and then: the searches never wait for I/O, and the write
  // lock's heartbeat must keep beating through this stage (see pacer).
  let searched = 0;
  const pace = pacer();
  const searchedOne = async () => {
    if (++searched % PROGRESS_EVERY === 0 || searched === recompute.length)
      onProgress(searched, recompute.length);
    await pace();
  };
  // Lists of items that lost a neighbour; an added item's list comes from its one
  // deeper search below (the top k of a k-NN search with a deeper k are its k-NN).
  for (const label of stale) {
    if (added.has(label)) continue;
    table.setList(label, await source.nearest(label, table.k));
    await searchedOne();
  }
  const done = { recomputed: recompute.length, exact: true };
  if (added.size === 0) return done;
  // A fresh build: no earlier item whose list could change.
  if (existing.length === 0) {
    for (const label of added) {
      table.setList(label, await source.nearest(label, table.k));
      await searchedOne();
    }
    return done;
  }
  // Existing items' k-th neighbour scores, before any offer. Offers only raise a k-th
  // score, so checking against these can make us check too many, never too few.
  const kths = Float64Array.from(existing, (label) => table.kth(label)).sort();

  // Each added item's nearest REVERSE_DEPTH give its own list and are offered it; the
  // items further down that could still take it are those weaker than its last hit.
  const deeper: Array<{ x: number; floor: number; seen: Set<number> }> = [];
  let checks = 0;
  for (const x of added) {
    const hits = await source.nearest(x, REVERSE_DEPTH);
    await searchedOne();
    table.setList(x, hits);
    const seen = new Set<number>();
    for (const hit of hits) {
      seen.add(hit.label);
      if (!added.has(hit.label)) table.offer(hit.label, x, hit.score);
    }
    if (hits.length < REVERSE_DEPTH) continue; // every candidate was a hit
    const floor = (hits.at(-1) as Neighbour).score;
    deeper.push({ x, floor, seen });
    checks += countBelow(kths, floor);
  }
  if (checks > checkBudget) return { ...done, exact: false };
  const weakest = existing
    .map((label) => ({ label, kth: table.kth(label) }))
    .sort((a, b) => a.kth - b.kth);
  for (const { x, floor, seen } of deeper) {
    for (const { label, kth } of weakest) {
      if (kth >= floor) break;
      if (seen.has(label)) continue;
      const score = await source.pairScore(x, label);
      if (score !== undefined) table.offer(label, x, score);
      await pace();
    }
  }
  return done;
}

/** How many of the ascending `values` are below `limit` (binary search). */
function countBelow(values: Float64Array, limit: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
