/**
 * The embedded file store: salons' items, their vectors and an HNSW graph in one
 * folder (format in manifest.ts, generations in store-files.ts). Items and the
 * graph are held in memory; vectors are read from their files when exact search,
 * scores or rows need them (vector-rows.ts): the graph holds the other copy.
 *
 *   const store = await openFileStore('.lens', { embedder, readOnly: true });
 *   const hits = store.nearest({ vector, k: 5, filter: { section: 'question' } });
 *
 * Writes take the folder's write lock; any failure or abort before the manifest
 * switch reloads the last saved generation, so memory and disk never disagree.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { parseOptions, SalonLensError, throwIfAborted } from '../../../errors.js';
import { compareSalons, type Item } from '../../../parse/index.js';
import { toArray } from '../../../util/vector.js';
import { type Bm25Index, buildBm25 } from '../../search/bm25.js';
import { acquireWriteLock, type WriteLock } from './lock.js';
import {
  generationOf,
  MANIFEST_FILE,
  type Manifest,
  readManifest,
  rebuildCommand,
  rebuildPaths,
  STORE_FORMAT,
  STORE_FORMAT_VERSION,
  type StoredSalon,
  type StoreFileKind,
} from './manifest.js';
import {
  type CreateLensOptions,
  CreateLensOptionsSchema,
  effectiveEf,
  filteredEf,
  filteredSearchScans,
  type LensProgress,
  type OpenLensOptions,
  OpenLensOptionsSchema,
} from '../../options.js';
import { stateJson } from './state-patch.js';
import {
  dot,
  dotAt,
  embedderMismatch,
  type LensStorage,
  type NearestQuery,
  type SalonChanges,
  type ScoredItem,
  type StorageFilter,
  type StorageInfo,
  type StoredRow,
} from '../seam.js';
import {
  type Hnsw,
  highestGeneration,
  loadGeneration,
  recordedSources,
  removeUnreferenced,
  type StoreData,
  saveGeneration,
  saveMode,
} from './store-files.js';
import { VectorRows } from './vector-rows.js';

const { HierarchicalNSW } = hnswlib;

/** First HNSW capacity of a new store; each write then sizes it to what it needs. */
const INITIAL_CAPACITY = 1024;
/** Points inserted between yields to the event loop (progress, abort). */
const INDEX_BATCH = 256;
/**
 * Texts embedded per step of a write, each step inserted before the next is
 * embedded: memory for pending vectors stays at one chunk however large the input
 * (2,000 salons are ~200k vectors; all at once they doubled the peak).
 */
const EMBED_CHUNK = 4096;
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

export class FileStore implements LensStorage {
  #data: StoreData;
  #lock: WriteLock | undefined;
  #ef: number;
  /**
   * Set while this store replaces an existing one (create with force) and has not
   * saved yet: builds the new, empty store's memory again. Until the first save
   * commits, the folder keeps the old store (and its embedder): an interrupted
   * rebuild loses nothing.
   */
  #unsaved: (() => StoreData) | undefined;
  /** ef set by the caller (open option or setEf); otherwise it follows the store's size. */
  #efGiven: number | undefined;
  /** How the next save writes items and graph (set by #apply, see saveMode). */
  #saveMode: 'append' | 'full' = 'append';
  // Derived lookups, rebuilt whenever #data changes.
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

  private constructor(
    readonly location: string,
    data: StoreData,
    lock: WriteLock | undefined,
    ef?: number,
    unsaved?: () => StoreData,
  ) {
    this.#data = data;
    this.#lock = lock;
    this.#unsaved = unsaved;
    this.#efGiven = ef;
    this.#ef = ef ?? effectiveEf(data.manifest.hnsw.ef, data.items.length);
    this.#data.hnsw.setEf(this.#ef);
    this.#reindex();
  }

  /** @internal use createFileStore / openFileStore */
  static _make(
    dir: string,
    data: StoreData,
    lock: WriteLock | undefined,
    ef?: number,
    unsaved?: () => StoreData,
  ): FileStore {
    return new FileStore(dir, data, lock, ef, unsaved);
  }

  get readOnly(): boolean {
    return this.#lock === undefined;
  }

  info(): StorageInfo {
    const m = this.#data.manifest;
    return {
      location: this.location,
      format: { name: m.format, version: m.version },
      generation: m.generation,
      updatedAt: m.updatedAt,
      embedder: { ...m.embedder },
      metric: m.metric,
      itemCount: this.#data.items.length,
      salonCount: this.#data.salons.length,
      hnsw: { ...m.hnsw, ef: this.#ef },
    };
  }

  salons(): StoredSalon[] {
    return this.#data.salons.map((s) => ({ ...s }));
  }

  /** One writer per folder holds the lock, and readers keep the generation they opened. */
  async refresh(): Promise<void> {}

  salon(id: string): StoredSalon | undefined {
    return this.#salonById.get(id);
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

  /**
   * Top-k by cosine among items passing the filter. Filtered subsets small enough
   * for a scan to cost no more than the graph walk are searched exactly; otherwise
   * HNSW runs with the filter inside the graph search, with ef scaled to the share of
   * items passing (filteredEf), and if it comes back short of k matches we fall back
   * to exact.
   */
  async nearest(query: NearestQuery): Promise<ScoredItem[]> {
    const { vector: q, k } = query;
    const method = query.method ?? 'auto';
    const { keep, matching, subset, excludes } = this.#refine(query.filter ?? {});
    const want = Math.min(k, matching);
    if (want === 0) return [];
    const hnsw = this.#data.hnsw;
    const base = query.ef ?? this.#ef;
    // A filtered graph search keeps its list deep in passing items (see filteredEf).
    const ef = keep ? filteredEf(base, matching, this.#data.items.length) : base;
    if (ef !== this.#ef) hnsw.setEf(ef);
    try {
      let hits: Scored[];
      if (method === 'exact' || (method === 'auto' && keep && filteredSearchScans(matching, ef)))
        hits = this.#exact(q, want, keep, subset, excludes);
      else {
        hits = this.#ann(q, want, keep);
        if (method === 'auto' && hits.length < want)
          hits = this.#exact(q, want, keep, subset, excludes);
      }
      return hits.map((h) => this.#scoredItem(h));
    } finally {
      if (ef !== this.#ef) hnsw.setEf(this.#ef);
    }
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

  get ef(): number {
    return this.#ef;
  }

  setEf(ef: number): void {
    this.#efGiven = ef;
    this.#ef = ef;
    this.#data.hnsw.setEf(ef);
  }

  async applyChanges(changes: SalonChanges): Promise<{ removedItems: number }> {
    let removedItems = 0;
    await this.#mutate(changes.signal, async () => {
      const salonsBefore = this.#data.salons;
      const applied = await this.#apply(changes);
      removedItems = applied.removedItems;
      const changed = new Set<StoreFileKind>(['items', 'vectors', 'hnsw']);
      const derived = await changes.derivedState?.({
        storage: this,
        replacedItemIds: applied.droppedIds,
        salonsBefore,
      });
      if (derived) {
        this.#data.state = { ...this.#data.state, ...derived };
        changed.add('state');
      }
      await this.#save(changed, changes.signal, changes.onProgress);
    });
    return { removedItems };
  }

  async readState(key: string, options: { shared?: boolean } = {}): Promise<unknown> {
    // Safe to share: the state is replaced on write, never modified in place. A copy
    // goes through JSON, so typed arrays read back as the plain arrays a reader of
    // the saved file gets (state-patch.ts).
    const value = this.#data.state[key];
    return value === undefined || options.shared ? value : JSON.parse(stateJson(value));
  }

  async writeState(key: string, value: unknown): Promise<void> {
    await this.#mutate(undefined, async () => {
      this.#data.state = { ...this.#data.state, [key]: value };
      await this.#save(new Set(['state']), undefined, () => {});
    });
  }

  async close(): Promise<void> {
    this.#data.vectors.close();
    await this.#lock?.release();
    this.#lock = undefined;
  }

  // ---------------------------------------------------------------- internals

  /** Run an in-memory change plus its save; on any failure, go back to the saved generation. */
  async #mutate(signal: AbortSignal | undefined, fn: () => Promise<void>): Promise<void> {
    const saved = this.#data.manifest.generation;
    try {
      await fn();
    } catch (error) {
      if (this.#unsaved) {
        // A replacement that never committed: back to its empty start. The old store's
        // files stay untouched; the next writer's open sweeps anything half-written.
        this.#data = this.#unsaved();
        this.#reindex();
      } else if (this.#data.manifest.generation === saved) {
        // Nothing was committed: drop half-applied memory and anything half-written,
        // but sweep only while the lock is ours: a writer that took it over may have
        // files in flight that our old manifest does not name.
        const ours = await (this.#lock?.assertHeld() ?? Promise.reject()).then(
          () => true,
          () => false,
        );
        if (ours) {
          const held = () => this.#lock?.assertHeld() ?? Promise.resolve();
          await removeUnreferenced(this.location, this.#data.manifest, held).catch(() => undefined);
        }
        const reloaded = await loadGeneration(this.location).catch((reloadError: unknown) => {
          if (ours) throw reloadError;
          return undefined; // lock lost: this lens can no longer write anyway
        });
        if (reloaded) {
          this.#data.vectors.close();
          this.#data = reloaded;
          this.#data.hnsw.setEf(this.#ef);
          this.#reindex();
        }
      }
      throw signal?.aborted && !isAbort(error)
        ? new SalonLensError('ABORTED', 'the operation was aborted', { cause: error })
        : error;
    }
  }

  /**
   * Replace the items of upserted salons, drop removed salons, embed and insert
   * the new items (a chunk at a time). A write saved as an append gives new items
   * new labels (its segment is the labels past the last save); one saved in full
   * reuses freed labels lowest first, which keeps the vectors dense. Returns how
   * many stored items are gone after the change, and the ids of all it dropped.
   */
  async #apply(changes: SalonChanges): Promise<{ removedItems: number; droppedIds: string[] }> {
    const { upsert: replace, signal, onProgress: progress } = changes;
    const data = this.#data;
    const dropped = new Set([...replace.map((r) => r.salon.id), ...changes.remove]);
    const pending = replace.flatMap(({ salon }) => salon.items);
    // Work goes by salon runs (posting lists), not by item: an add of 10 salons to a
    // 200k-item store used to spend most of its JS time in passes over every item.
    const runs = this.#salonRuns;
    const droppedRuns: Array<[number, number]> = [];
    for (const id of dropped) {
      const run = runs.get(id);
      if (run) droppedRuns.push(run);
    }
    let removing = 0;
    for (const [start, end] of droppedRuns) removing += end - start;
    this.#saveMode = saveMode(data.manifest, pending.length, removing);
    const droppedIds: string[] = [];
    for (const [start, end] of droppedRuns) {
      for (let pos = start; pos < end; pos++) {
        const label = data.labels[pos] as number;
        data.hnsw.markDelete(label);
        data.vectors.clear(label);
        addLabel(data.pendingDeleted, label);
        const id = (data.items[pos] as Item).id;
        this.#labelById.delete(id);
        droppedIds.push(id);
      }
    }
    // pop() from the end yields the lowest label first.
    const free: number[] = [];
    if (this.#saveMode === 'full') {
      const used = new Uint8Array(data.labelCount);
      for (const label of data.labels) used[label] = 1;
      for (const [start, end] of droppedRuns)
        for (let pos = start; pos < end; pos++) used[data.labels[pos] as number] = 0;
      for (let l = data.labelCount - 1; l >= 0; l--) if (used[l] === 0) free.push(l);
    }

    const total = pending.length;
    // Size HNSW and the vectors buffer once for the whole call (no repeated doubling).
    this.#ensureCapacity(data.labelCount + Math.max(0, total - free.length));
    const added = new Map<string, { items: Item[]; labels: number[] }>();
    for (let start = 0; start < total; start += EMBED_CHUNK) {
      const chunk = pending.slice(start, start + EMBED_CHUNK);
      const vectors = await changes.embed(
        chunk.map((item) => item.text),
        start,
        total,
      );
      throwIfAborted(signal, 'addSalons');
      for (const [i, item] of chunk.entries()) {
        const vector = vectors[i] as Float32Array;
        const label = free.pop() ?? data.labelCount++;
        data.vectors.set(label, vector);
        data.hnsw.addPoint(toArray(vector), label);
        let into = added.get(item.salonId);
        if (!into) {
          into = { items: [], labels: [] };
          added.set(item.salonId, into);
        }
        into.items.push(item);
        into.labels.push(label);
        this.#labelById.set(item.id, label);
        const v = start + i + 1;
        if (v % INDEX_BATCH === 0) {
          progress({ stage: 'index', done: v, total });
          await new Promise((resolve) => setImmediate(resolve));
          throwIfAborted(signal, 'addSalons');
        }
      }
    }
    if (total > 0) progress({ stage: 'index', done: total, total });

    // New salon list and item order: salon order, then document order. A kept salon's
    // items are copied as the run they already form.
    const salonList = data.salons.filter((s) => !dropped.has(s.id));
    for (const { salon, contentHash } of replace) {
      salonList.push({
        id: salon.id,
        title: salon.title,
        ...(salon.date ? { date: salon.date } : {}),
        source: salon.source,
        contentHash,
        itemCount: salon.items.length,
      });
    }
    salonList.sort(compareSalons);
    const items: Item[] = [];
    const labels: number[] = [];
    for (const salon of salonList) {
      const fresh = added.get(salon.id);
      if (fresh) {
        for (const [i, item] of fresh.items.entries()) {
          items.push(item);
          labels.push(fresh.labels[i] as number);
        }
        continue;
      }
      const [start, end] = runs.get(salon.id) ?? [0, 0];
      for (let pos = start; pos < end; pos++) {
        items.push(data.items[pos] as Item);
        labels.push(data.labels[pos] as number);
      }
    }
    data.items = items;
    data.labels = labels;
    data.salons = salonList;
    this.#reindex(false);
    // Removed: ids stored before and not after (an edited salon keeps the ids it still has).
    return { removedItems: droppedIds.filter((id) => !this.#labelById.has(id)).length, droppedIds };
  }

  /**
   * Make room for `labels` HNSW points and vector rows (grows, never shrinks), with
   * headroom for the graph: growing it to the exact size copied the whole graph
   * (hundreds of MB at 200k items) on each small add.
   */
  #ensureCapacity(labels: number): void {
    const data = this.#data;
    const max = data.hnsw.getMaxElements();
    if (labels > max) data.hnsw.resizeIndex(withHeadroom(labels, max));
    // Only unsaved rows live in memory (vector-rows.ts), so growing them copies little.
    data.vectors.reserve(labels);
  }

  async #save(
    changed: ReadonlySet<StoreFileKind>,
    signal: AbortSignal | undefined,
    progress: (p: LensProgress) => void,
  ): Promise<void> {
    throwIfAborted(signal, 'save');
    const generation = (await highestGeneration(this.location, this.#data.manifest)) + 1;
    const lock = this.#lock;
    const manifest = await saveGeneration(this.location, this.#data, {
      // A replacement's first save writes every file: nothing is carried over.
      changed: this.#unsaved ? new Set(['items', 'vectors', 'hnsw', 'state']) : changed,
      mode: this.#unsaved ? 'full' : this.#saveMode,
      generation,
      signal,
      onStep: (s) => progress({ stage: 'save', done: s.done, total: s.total }),
      // Whoever deleted or took over our lock may be saving too: do not commit over it.
      beforeCommit: () => lock?.assertHeld() ?? Promise.resolve(),
      beforeStep: () => lock?.assertHeld() ?? Promise.resolve(),
    });
    this.#data.manifest = manifest;
    this.#data.saved = { salons: this.#data.salons, state: this.#data.state };
    // From now on vectors are read from the files just saved (committed: a failure
    // to open them leaves the rows in memory, which is still correct).
    try {
      this.#data.vectors.rebase(this.location, manifest);
    } catch {}
    this.#unsaved = undefined;
    this.#data.pendingDeleted = [];
    this.#saveMode = 'append';
  }

  /**
   * Rebuild the lookups after #data changed. `labelsById` false: #apply kept
   * #labelById up to date itself (a map of every item id is the costly one to rebuild;
   * an item keeps its label while positions shift).
   */
  #reindex(labelsById = true): void {
    const data = this.#data;
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
    if (this.#efGiven === undefined && this.#ef !== undefined) {
      this.#ef = effectiveEf(data.manifest.hnsw.ef, data.items.length);
      data.hnsw.setEf(this.#ef);
    }
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
    return { item: this.#data.items[h.pos] as Item, score: h.score };
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
  #refine(f: StorageFilter): {
    keep: ((pos: number) => boolean) | undefined;
    matching: number;
    subset: Subset;
    excludes?: (pos: number) => boolean;
  } {
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

/** Capacity to grow to for `needed` slots from `current`: at least 1/8 more, so small adds rarely copy. */
function withHeadroom(needed: number, current: number): number {
  return Math.max(needed, Math.ceil(current * 1.125));
}

function inRange(date: string, from: string | undefined, to: string | undefined): boolean {
  return (!from || date >= from) && (!to || date <= to);
}

/** Add `label` to a list of [from, to) ranges, extending the last range when adjacent. */
function addLabel(ranges: Array<{ from: number; to: number }>, label: number): void {
  const last = ranges.at(-1);
  if (last && last.to === label) last.to++;
  else ranges.push({ from: label, to: label + 1 });
}

function isAbort(error: unknown): boolean {
  return error instanceof SalonLensError && error.code === 'ABORTED';
}

/**
 * Create an empty store in `dir` (created if missing). An existing store is an
 * error (STORE_EXISTS) unless `force`, which replaces it: the new store is
 * committed by its first write (addSalons, writeState), and until then the folder
 * keeps the old one, so a rebuild killed or aborted halfway loses nothing. Data
 * files without a manifest are a damaged store: STORE_CORRUPT unless `force`.
 * Files that are not the store's are never touched.
 */
export async function createFileStore(dir: string, options: CreateLensOptions): Promise<FileStore> {
  const o = parseOptions(CreateLensOptionsSchema, options, 'createLens options');
  await mkdir(dir, { recursive: true });
  const lock = await acquireWriteLock(dir);
  try {
    let previous: Manifest | undefined;
    try {
      previous = await readManifest(dir);
    } catch (error) {
      if (!(error instanceof SalonLensError)) throw error;
      if (error.code !== 'STORE_NOT_FOUND' && !o.force) throw existsError(dir);
    }
    if (previous && !o.force) throw existsError(dir);
    const orphans = previous ? [] : await storeDataFiles(dir);
    if (orphans.length > 0 && !o.force) throw await manifestMissing(dir, orphans);

    const { embedder } = o;
    const base = {
      format: STORE_FORMAT as typeof STORE_FORMAT,
      version: STORE_FORMAT_VERSION,
      embedder: { id: embedder.id, dim: embedder.dim },
      metric: 'cosine' as const,
      normalized: true as const,
      hnsw: { ...o.hnsw },
      itemCount: 0,
      labelCount: 0,
      delta: [] as Manifest['delta'],
      deleted: [] as Manifest['deleted'],
      patches: [] as Manifest['patches'],
    };
    const empty = () => {
      const hnsw = new HierarchicalNSW('cosine', embedder.dim);
      hnsw.initIndex({
        maxElements: INITIAL_CAPACITY,
        m: o.hnsw.m,
        efConstruction: o.hnsw.efConstruction,
        randomSeed: o.hnsw.randomSeed,
      });
      hnsw.setEf(o.hnsw.ef);
      return {
        manifest: base,
        items: [] as Item[],
        labels: [] as number[],
        vectors: VectorRows.empty(embedder.dim),
        labelCount: 0,
        hnsw,
        state: {},
        salons: [] as StoredSalon[],
        saved: { salons: [], state: {} },
        pendingDeleted: [],
      };
    };
    if (previous || orphans.length > 0) {
      // Replacing: nothing is written now (see above). The generation number only
      // orders this store's first save after every file already in the folder.
      const unsaved = (): StoreData => {
        const data = empty();
        const now = new Date().toISOString();
        const manifest = {
          ...data.manifest,
          generation: previous?.generation ?? 0,
          updatedAt: now,
        };
        return { ...data, manifest: manifest as Manifest };
      };
      return FileStore._make(dir, unsaved(), lock, undefined, unsaved);
    }
    const data = empty();
    const generation = (await highestGeneration(dir, previous)) + 1;
    const manifest = await saveGeneration(dir, data, {
      changed: new Set(['items', 'vectors', 'hnsw', 'state']),
      generation,
      beforeCommit: () => lock.assertHeld(),
      beforeStep: () => lock.assertHeld(),
    });
    return FileStore._make(dir, { ...data, manifest }, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Names of store data files in `dir` (any generation). */
async function storeDataFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => generationOf(n) !== undefined).sort();
}

/**
 * The refusal to create a store over one that lost its manifest. Its rebuild advice
 * names every source the salon files record (`details.sources`): the salons the
 * store held, which a rebuild from the caller's paths alone would drop.
 */
async function manifestMissing(dir: string, orphans: readonly string[]): Promise<SalonLensError> {
  const shown = orphans.slice(0, 3).join(', ') + (orphans.length > 3 ? ', …' : '');
  const file = path.join(dir, MANIFEST_FILE);
  const problem = `is missing, but the folder holds store data files (${shown}); they were left as they are`;
  const sources = await recordedSources(dir);
  const from = sources.length > 0 ? rebuildPaths(sources) : ['<folders>'];
  return new SalonLensError(
    'STORE_CORRUPT',
    `Store file ${file} ${problem}. Rebuild it from your salon documents: ${rebuildCommand(from, dir)}`,
    { details: { dir, file, problem, reason: 'manifest-missing', sources } },
  );
}

function existsError(dir: string): SalonLensError {
  return new SalonLensError(
    'STORE_EXISTS',
    `A lens store already exists at ${dir}. Open it instead, or pass force to replace it.`,
    { details: { dir } },
  );
}

/**
 * Open an existing store. Writers take the folder's lock (STORE_LOCKED if another
 * process holds it); `readOnly` stores do not, and read one consistent generation
 * even while a writer saves.
 */
export async function openFileStore(dir: string, options: OpenLensOptions): Promise<FileStore> {
  const o = parseOptions(OpenLensOptionsSchema, options, 'openLens options');
  const check = (manifest: Manifest) => {
    const mismatch = embedderMismatch(dir, manifest.embedder, o.embedder);
    if (mismatch) throw mismatch;
  };
  // Refuse a missing store or another embedder before touching the lock or any data file.
  check(await readManifest(dir));
  if (o.readOnly) {
    const data = await loadGeneration(dir, check);
    return FileStore._make(dir, data, undefined, o.ef);
  }
  const lock = await acquireWriteLock(dir);
  try {
    const data = await loadGeneration(dir, check);
    // Leftovers of a save that crashed before its manifest switch.
    await removeUnreferenced(dir, data.manifest);
    return FileStore._make(dir, data, lock, o.ef);
  } catch (error) {
    await lock.release();
    throw error;
  }
}
