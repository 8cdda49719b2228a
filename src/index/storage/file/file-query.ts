/**
 * The query side of the file store: lookups over the items in memory (item id →
 * label → position, salon runs, section lists), filters compiled to position
 * predicates, and the exact, graph and BM25 searches over them. Rebuilt (`reset`)
 * whenever the store's data changes; the store (file-store.ts) owns persistence.
 *
 *   const query = new FileQuery(data);
 *   const hits = await query.exactSearch({ vector, k: 5, filter: { section: 'question' } });
 */
import type { Item } from '../../../parse/index.js';
import { toArray } from '../../../util/vector.js';
import { type Bm25Index, buildBm25 } from '../../search/bm25.js';
import {
  dot,
  dotAt,
  type ExactQuery,
  type GraphQuery,
  type RowRefs,
  type ScoredItem,
  type StorageFilter,
  type StoredRow,
  type StoredSalon,
} from '../seam.js';
import type { Hnsw, StoreData } from './store-files.js';

/** Compiled filters kept per generation (similarQuestions asks one filter per question). */
const SUBSET_CACHE = 8;
/**
 * Most bytes of vectors one filtered subset may keep in memory for repeated exact
 * scans (one subset at a time). similarQuestions runs one search per question with
 * the same filter: at 20,000 items each re-read every question's row from the file,
 * 8,000 times (about 22 of its 33 s).
 */
const PACKED_SUBSET_BYTES = 16 * 1024 * 1024;

interface Scored {
  pos: number;
  score: number;
}

/**
 * Items passing the salon/section/date part of a filter, counted per salon, so a
 * query that also leaves out a salon or an item knows its candidate count without
 * a pass over the whole store (similarQuestions runs one per question).
 */
interface Subset {
  /** undefined: every item. */
  keep: ((pos: number) => boolean) | undefined;
  /** Positions passing `keep` in order; undefined when every item passes. */
  positions: number[] | undefined;
  count: number;
  perSalon: Map<string, number>;
  /** Labels of `positions`, ascending, and their rows in that order (see #packed). */
  packed?: { labels: Int32Array; rows: Float32Array };
}

/** A whole filter compiled (#refine). */
interface Refined {
  keep: ((pos: number) => boolean) | undefined;
  matching: number;
  subset: Subset;
  excludes?: (pos: number) => boolean;
}

export class FileQuery {
  #data: StoreData;
  /** Item id → HNSW label (a label stays put while positions shift). */
  #labelById = new Map<string, number>();
  #posByLabel = new Int32Array(0);
  #salonById = new Map<string, StoredSalon>();
  #bm25: Bm25Index | undefined;
  #subsets = new Map<string, Subset>();
  /** Posting lists: each salon's run of positions, each section's positions. */
  #salonRuns = new Map<string, [number, number]>();
  #sectionLists = new Map<string, number[]>();
  /** Labels of all stored items, ascending (built on the first unfiltered exact search). */
  #liveLabels: Int32Array | undefined;
  /** The one subset whose rows are held in memory (PACKED_SUBSET_BYTES). */
  #packedSubset: Subset | undefined;
  /** Filters compiled by #refine, by object: the planner's count and search share one. */
  #refined = new WeakMap<StorageFilter, Refined>();

  constructor(data: StoreData) {
    this.#data = data;
    this.reset(data);
  }

  /** Item id → HNSW label (a label stays put while positions shift); writes keep it up to date. */
  get labelById(): Map<string, number> {
    return this.#labelById;
  }

  /** Each salon's run of positions (items are in salon order). */
  get salonRuns(): ReadonlyMap<string, [number, number]> {
    return this.#salonRuns;
  }

  salon(id: string): StoredSalon | undefined {
    return this.#salonById.get(id);
  }

  /**
   * Rebuild the lookups after the data changed. `labelsById` false: the write kept
   * labelById up to date itself (a map of every item id is the costly one to
   * rebuild; an item keeps its label while positions shift).
   */
  reset(data: StoreData, labelsById = true): void {
    this.#data = data;
    if (labelsById) {
      this.#labelById = new Map();
      for (const [pos, item] of data.items.entries())
        this.#labelById.set(item.id, data.labels[pos] as number);
    }
    this.#posByLabel = new Int32Array(data.labelCount).fill(-1);
    for (const [pos, label] of data.labels.entries()) this.#posByLabel[label] = pos;
    this.#salonById = new Map(data.salons.map((s) => [s.id, s]));
    // Items are in salon order, so each salon's items are one run of positions.
    this.#salonRuns = new Map();
    for (let p = 0; p < data.items.length; ) {
      const salonId = (data.items[p] as Item).salonId;
      const start = p;
      while (p < data.items.length && (data.items[p] as Item).salonId === salonId) p++;
      this.#salonRuns.set(salonId, [start, p]);
    }
    this.#sectionLists.clear();
    this.#liveLabels = undefined;
    this.#bm25 = undefined;
    this.#subsets.clear();
    this.#packedSubset = undefined;
    this.#refined = new WeakMap();
  }

  async rows(filter: StorageFilter = {}): Promise<StoredRow[]> {
    const { keep } = this.#refine(filter);
    const out: StoredRow[] = [];
    const items = this.#data.items;
    for (let p = 0; p < items.length; p++) {
      if (keep === undefined || keep(p)) out.push(this.#lazyRowAt(p));
    }
    return out;
  }

  async row(itemId: string): Promise<StoredRow | undefined> {
    const pos = this.#posOf(itemId);
    return pos === undefined ? undefined : this.#rowAt(pos);
  }

  async count(filter: StorageFilter = {}): Promise<number> {
    return this.#refine(filter).matching;
  }

  async exactSearch({ vector, k, filter = {} }: ExactQuery): Promise<ScoredItem[]> {
    const { keep, subset, excludes } = this.#refine(filter);
    return this.#exact(vector, k, keep, subset, excludes).map((h) => this.#scoredItem(h));
  }

  /** HNSW with the filter inside the graph walk (the caller sets the graph's ef). */
  async graphSearch({ vector, k, filter = {} }: Omit<GraphQuery, 'ef'>): Promise<ScoredItem[]> {
    const { keep } = this.#refine(filter);
    return this.#ann(vector, k, keep).map((h) => this.#scoredItem(h));
  }

  async lexical(text: string, k: number, filter: StorageFilter = {}): Promise<ScoredItem[]> {
    const { keep } = this.#refine(filter);
    this.#bm25 ??= buildBm25(this.#data.items.map((item) => item.text));
    return this.#bm25
      .search(text, Number.MAX_SAFE_INTEGER, keep)
      .map((h) => ({ pos: h.doc, score: h.score }))
      .sort(this.#compare)
      .slice(0, k)
      .map((h) => this.#scoredItem(h));
  }

  async scores(vector: Float32Array, itemIds: readonly string[]): Promise<number[]> {
    const { labels, vectors } = this.#data;
    return itemIds.map((id) => {
      const pos = this.#posOf(id);
      return pos === undefined ? Number.NaN : vectors.dot(labels[pos] as number, vector);
    });
  }

  #posOf(itemId: string): number | undefined {
    const label = this.#labelById.get(itemId);
    if (label === undefined) return undefined;
    const pos = this.#posByLabel[label] ?? -1;
    return pos >= 0 ? pos : undefined;
  }

  /** Positions of one section's items, ascending (built once per generation). */
  #sectionList(section: string): readonly number[] {
    let list = this.#sectionLists.get(section);
    if (!list) {
      if (this.#sectionLists.size === 0) {
        for (const [p, item] of this.#data.items.entries()) {
          const into = this.#sectionLists.get(item.section);
          if (into) into.push(p);
          else this.#sectionLists.set(item.section, [p]);
        }
      }
      list = this.#sectionLists.get(section) ?? [];
      this.#sectionLists.set(section, list);
    }
    return list;
  }

  /** A position's vector, read from the vectors file (or memory, before a save). */
  #vectorAt(pos: number): Float32Array {
    return this.#data.vectors.row(this.#data.labels[pos] as number);
  }

  #rowAt(pos: number): StoredRow {
    return { item: this.#data.items[pos] as Item, vector: this.#vectorAt(pos) };
  }

  /** A row whose vector is read when first asked for (many callers want only items). */
  #lazyRowAt(pos: number): StoredRow {
    const at = (p: number) => this.#vectorAt(p);
    let vector: Float32Array | undefined;
    return {
      item: this.#data.items[pos] as Item,
      get vector() {
        vector ??= at(pos);
        return vector;
      },
    };
  }

  #scoredItem(h: Scored): ScoredItem {
    return { item: this.#data.items[h.pos] as Item, score: h.score, ref: this.#data.labels[h.pos] };
  }

  /** Rows by HNSW label (a hit's `ref`): see RowRefs in seam.ts. */
  rowRefs(): RowRefs {
    const { items, labels, vectors, manifest } = this.#data;
    return {
      generation: manifest.generation,
      size: this.#posByLabel.length,
      forEach(visit) {
        for (let pos = 0; pos < items.length; pos++)
          visit((items[pos] as Item).id, labels[pos] as number);
      },
      dot: (ref, vector) => vectors.dot(ref, vector),
      addTo: (out, ref, weight) => vectors.addTo(out, ref, weight),
    };
  }

  /** The salon/section/date part of a filter, compiled once per generation and filter. */
  #subset(f: StorageFilter): Subset {
    const unfiltered = !f.section && !f.salon && !f.dateFrom && !f.dateTo;
    // Unfiltered queries skip the key (building it was a measurable part of a query).
    const key = unfiltered ? '' : JSON.stringify([f.section, f.salon, f.dateFrom, f.dateTo]);
    const cached = this.#subsets.get(key);
    if (cached) return cached;
    const sections = f.section === undefined ? undefined : new Set([f.section].flat());
    const only = f.salon === undefined ? undefined : new Set([f.salon].flat());
    const { dateFrom, dateTo } = f;
    const items = this.#data.items;
    const filtered = sections || only || dateFrom || dateTo;
    // Candidates come from posting lists, never from a pass over every item: a salon's
    // items are one run of positions (salon order), and each section has its list.
    const positions: number[] | undefined = filtered ? [] : undefined;
    const perSalon = new Map<string, number>();
    if (only || dateFrom || dateTo) {
      for (const salon of this.#data.salons) {
        if (only && !only.has(salon.id)) continue;
        if ((dateFrom || dateTo) && !(salon.date && inRange(salon.date, dateFrom, dateTo)))
          continue;
        const [start, end] = this.#salonRuns.get(salon.id) ?? [0, 0];
        let n = 0;
        for (let p = start; p < end; p++) {
          if (sections && !sections.has((items[p] as Item).section)) continue;
          positions?.push(p);
          n++;
        }
        if (n > 0) perSalon.set(salon.id, n);
      }
    } else if (sections && positions) {
      for (const section of sections) for (const p of this.#sectionList(section)) positions.push(p);
      if (sections.size > 1) positions.sort((a, b) => a - b);
      for (const p of positions) {
        const salonId = (items[p] as Item).salonId;
        perSalon.set(salonId, (perSalon.get(salonId) ?? 0) + 1);
      }
    } else {
      for (const [salonId, [start, end]] of this.#salonRuns) perSalon.set(salonId, end - start);
    }
    // The graph search calls `keep` for every node it visits: a byte per item answers
    // without looking up the item's section, salon or date. Built on first use: exact
    // scans of a subset (a one-salon filter, a new subset per query) never call it.
    let keep: Subset['keep'];
    if (positions) {
      let passes: Uint8Array | undefined;
      keep = (pos: number) => {
        if (!passes) {
          passes = new Uint8Array(items.length);
          for (const p of positions) passes[p] = 1;
        }
        return passes[pos] === 1;
      };
    }
    const count = positions?.length ?? items.length;
    const subset = { keep, positions, count, perSalon };
    if (this.#subsets.size >= SUBSET_CACHE) {
      this.#subsets.delete(this.#subsets.keys().next().value as string);
    }
    this.#subsets.set(key, subset);
    return subset;
  }

  /**
   * The whole filter as a position predicate, with its match count, the subset of
   * the salon/section/date part, and the exclusions alone (`excludes`: what a scan
   * of the subset's own positions still has to test).
   */
  #refine(f: StorageFilter): Refined {
    let refined = this.#refined.get(f);
    if (!refined) {
      refined = this.#compileFilter(f);
      this.#refined.set(f, refined);
    }
    return refined;
  }

  #compileFilter(f: StorageFilter): Refined {
    const base = this.#subset(f);
    // Most queries exclude nothing: no sets or closures to build.
    if (f.excludeSalon === undefined && (f.excludeItems?.length ?? 0) === 0)
      return { keep: base.keep, matching: base.count, subset: base };
    const not = f.excludeSalon === undefined ? undefined : new Set([f.excludeSalon].flat());
    const items = this.#data.items;
    let matching = base.count;
    for (const salonId of not ?? []) matching -= base.perSalon.get(salonId) ?? 0;
    const skip = new Set<number>();
    for (const id of f.excludeItems ?? []) {
      const pos = this.#posOf(id);
      if (pos === undefined || skip.has(pos)) continue;
      skip.add(pos);
      const item = items[pos] as Item;
      if ((base.keep === undefined || base.keep(pos)) && !not?.has(item.salonId)) matching--;
    }
    const baseKeep = base.keep;
    // An excluded salon is one run of positions: a range test, not a string lookup per
    // candidate (the graph search calls this for every node it visits; the statistics'
    // k-NN searches of an add spent more time here than in hnswlib).
    const excluded: Array<[number, number]> = [];
    for (const salonId of not ?? []) {
      const run = this.#salonRuns.get(salonId);
      if (run) excluded.push(run);
    }
    const outside = (pos: number) => {
      for (const [start, end] of excluded) if (pos >= start && pos < end) return false;
      return true;
    };
    // Exclusions that name nothing stored leave the filter as it was (no callback).
    if (skip.size === 0 && excluded.length === 0) return { keep: baseKeep, matching, subset: base };
    const excludes = skip.size > 0 ? (pos: number) => !skip.has(pos) && outside(pos) : outside;
    const keep = baseKeep ? (pos: number) => baseKeep(pos) && excludes(pos) : excludes;
    return { keep, matching, subset: base, excludes };
  }

  #compare = (a: Scored, b: Scored): number => {
    if (b.score !== a.score) return b.score - a.score;
    const ia = this.#data.items[a.pos]?.id ?? '';
    const ib = this.#data.items[b.pos]?.id ?? '';
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };

  #ann(q: Float32Array, k: number, keep?: (pos: number) => boolean): Scored[] {
    const hnsw: Hnsw = this.#data.hnsw;
    const posByLabel = this.#posByLabel;
    const filter = keep
      ? (label: number) => {
          const pos = posByLabel[label] ?? -1;
          return pos >= 0 && keep(pos);
        }
      : undefined;
    const found = hnsw.searchKnn(toArray(q), Math.min(k, hnsw.getMaxElements()), filter);
    const out: Scored[] = [];
    for (const [i, label] of found.neighbors.entries()) {
      const pos = posByLabel[label] ?? -1;
      // hnswlib's cosine distance, from its own copy of the vector: re-scoring from
      // ours read 10 rows the search had not touched (cold cache): 1.21× → 1.11× raw
      // hnswlib at ef 48. It can differ from the exact path's score in the last float32 bits.
      if (pos >= 0) out.push({ pos, score: 1 - (found.distances[i] as number) });
    }
    return out.sort(this.#compare);
  }

  /**
   * Brute-force top-k over all items, or over the positions of a filtered subset only.
   * Rows are read in label order (file order), so neighbouring rows come in one read;
   * the top-k is the same in any order (ties go by item id). A subset searched
   * exactly a second time keeps its rows in memory, if small (#packed).
   */
  #exact(
    q: Float32Array,
    k: number,
    keep?: (pos: number) => boolean,
    subset?: Subset,
    excludes?: (pos: number) => boolean,
  ): Scored[] {
    const labels = this.#data.labels;
    const posByLabel = this.#posByLabel;
    const within = subset?.positions;
    // A subset's positions already pass its part of the filter: test the rest only.
    const test = within ? excludes : keep;
    const top: Scored[] = [];
    const offer = (pos: number, score: number) => {
      if (top.length === k) {
        const worst = top[k - 1] as Scored;
        if (score < worst.score) return;
        if (this.#compare({ pos, score }, worst) >= 0) return;
        top.pop();
      }
      const candidate = { pos, score };
      // Insertion keeps `top` sorted; k is small, so this beats sorting n scores.
      let i = top.length;
      while (i > 0 && this.#compare(candidate, top[i - 1] as Scored) < 0) i--;
      top.splice(i, 0, candidate);
    };
    const packed = subset ? this.#packed(subset) : undefined;
    if (packed) {
      const dim = this.#data.vectors.dim;
      for (let i = 0; i < packed.labels.length; i++) {
        const pos = posByLabel[packed.labels[i] as number] as number;
        if (!test || test(pos)) offer(pos, dotAt(q, packed.rows, i * dim));
      }
      return top;
    }
    if (within) {
      // Only the rows that pass are read (and so need no second test).
      let wanted = new Int32Array(within.length);
      let n = 0;
      for (const pos of within) if (!test || test(pos)) wanted[n++] = labels[pos] as number;
      wanted = wanted.subarray(0, n).sort();
      this.#data.vectors.scan(wanted, (label, row) =>
        offer(posByLabel[label] as number, dot(q, row)),
      );
      return top;
    }
    this.#liveLabels ??= Int32Array.from(labels).sort();
    this.#data.vectors.scan(this.#liveLabels, (label, row) => {
      const pos = posByLabel[label] as number;
      if (!test || test(pos)) offer(pos, dot(q, row));
    });
    return top;
  }

  /**
   * The rows of a subset held in memory, for the second and later exact scans of it:
   * only one subset at a time, and only within PACKED_SUBSET_BYTES (memory otherwise
   * holds no second copy of the vectors). undefined: read from the file.
   */
  #packed(subset: Subset): Subset['packed'] {
    if (subset.packed) return subset.packed;
    const within = subset.positions;
    const dim = this.#data.vectors.dim;
    if (!within || within.length * dim * 4 > PACKED_SUBSET_BYTES) return undefined;
    if (this.#packedSubset !== subset) {
      // First scan of this subset: read as usual; pack if it is scanned again.
      if (this.#packedSubset) this.#packedSubset.packed = undefined;
      this.#packedSubset = subset;
      return undefined;
    }
    const labels = Int32Array.from(within, (pos) => this.#data.labels[pos] as number).sort();
    const rows = new Float32Array(labels.length * dim);
    let i = 0;
    this.#data.vectors.scan(labels, (_label, row) => rows.set(row, dim * i++));
    subset.packed = { labels, rows };
    return subset.packed;
  }
}

function inRange(date: string, from: string | undefined, to: string | undefined): boolean {
  return (!from || date >= from) && (!to || date <= to);
}
