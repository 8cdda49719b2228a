/**
 * The embedded file store: salons' items, their vectors and an HNSW graph in one
 * folder (format in manifest.ts, generations in store-files.ts). Items and the
 * graph are held in memory; vectors are read from their files when exact search,
 * scores or rows need them (vector-rows.ts): the graph holds the other copy. This
 * class owns the data and its writes; searches are file-query.ts, create and open
 * file-open.ts.
 *
 *   const store = await openFileStore('.lens', { embedder, readOnly: true });
 *   const hits = await nearest(store, { vector, k: 5, filter: { section: 'question' } });
 *
 * Writes take the folder's write lock; any failure or abort before the manifest
 * switch reloads the last saved generation, so memory and disk never disagree.
 */
import { throwIfAborted } from '../../../errors.js';
import { compareSalons, type Item, type Salon } from '../../../parse/index.js';
import { toArray } from '../../../util/vector.js';
import { effectiveEf, type LensProgress } from '../../options.js';
import type {
  ExactQuery,
  GraphQuery,
  LensStorage,
  RowRefs,
  ScoredItem,
  StorageFilter,
  StorageInfo,
  StoredRow,
  WriteOptions,
  WriteTransaction,
} from '../seam.js';
import { FileQuery } from './file-query.js';
import { saveGeneration } from './file-save.js';
import type { WriteLock } from './lock.js';
import type { StoredSalon, StoreFileKind } from './manifest.js';
import { stateJson } from './state-patch.js';
import {
  highestGeneration,
  loadGeneration,
  removeUnreferenced,
  type StoreData,
  saveMode,
} from './store-files.js';

/** Points inserted between yields to the event loop (progress, abort). */
const INDEX_BATCH = 256;

/** What one write has done so far, in memory (FileStore.begin). */
class PendingChange {
  readonly changed = new Set<StoreFileKind>();
  readonly dropped = new Set<string>();
  readonly droppedRuns: Array<[number, number]> = [];
  /** Labels freed by the write, reused lowest first when it saves in full. */
  readonly free: number[] = [];
  /** The salons stored by the write, once declared, and their items inserted so far. */
  inserting: ReadonlyArray<{ salon: Salon; contentHash: string }> | undefined;
  readonly added = new Map<string, { items: Item[]; labels: number[] }>();
  total = 0;
  inserted = 0;
  settled = false;

  constructor(
    /** The generation the write builds on. */
    readonly generation: number,
  ) {}
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
  /** Lookups and searches over #data, rebuilt whenever it changes. */
  #query: FileQuery;
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
    this.#query = new FileQuery(data);
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
    return this.#query.salon(id);
  }

  rows(filter?: StorageFilter): Promise<StoredRow[]> {
    return this.#query.rows(filter);
  }

  row(itemId: string): Promise<StoredRow | undefined> {
    return this.#query.row(itemId);
  }

  count(filter?: StorageFilter): Promise<number> {
    return this.#query.count(filter);
  }

  exactSearch(query: ExactQuery): Promise<ScoredItem[]> {
    return this.#query.exactSearch(query);
  }

  /** HNSW with the filter inside the graph walk, at `ef` for this query only. */
  async graphSearch(query: GraphQuery): Promise<ScoredItem[]> {
    const hnsw = this.#data.hnsw;
    if (query.ef !== this.#ef) hnsw.setEf(query.ef);
    try {
      return await this.#query.graphSearch(query);
    } finally {
      if (query.ef !== this.#ef) hnsw.setEf(this.#ef);
    }
  }

  lexical(text: string, k: number, filter?: StorageFilter): Promise<ScoredItem[]> {
    return this.#query.lexical(text, k, filter);
  }

  rowRefs(): RowRefs {
    return this.#query.rowRefs();
  }

  scores(vector: Float32Array, itemIds: readonly string[]): Promise<number[]> {
    return this.#query.scores(vector, itemIds);
  }

  get ef(): number {
    return this.#ef;
  }

  setEf(ef: number): void {
    this.#efGiven = ef;
    this.#ef = ef;
    this.#data.hnsw.setEf(ef);
  }

  /**
   * One write, in memory until `commit` saves it as a new generation (under the
   * folder's write lock, held since open). `abort`, or a failed commit, reloads the
   * last saved generation, so memory and disk never disagree.
   */
  async begin({ signal, onProgress }: WriteOptions): Promise<WriteTransaction> {
    const write = new PendingChange(this.#data.manifest.generation);
    const settle = () => {
      if (write.inserting && !write.settled) this.#settle(write, onProgress);
    };
    return {
      salonsBefore: this.#data.salons,
      remove: async (salonIds) => this.#remove(write, salonIds),
      insert: async (salons) => this.#insert(write, salons),
      insertItems: (items, vectors) => this.#insertItems(write, items, vectors, signal, onProgress),
      pending: async () => {
        settle();
        return this;
      },
      setState: async (key, value) => {
        this.#data.state = { ...this.#data.state, [key]: value };
        write.changed.add('state');
      },
      commit: async () => {
        settle();
        await this.#save(write.changed, signal, onProgress);
      },
      abort: () => this.#recover(write.generation),
    };
  }

  async readState(key: string, options: { shared?: boolean } = {}): Promise<unknown> {
    // Safe to share: the state is replaced on write, never modified in place. A copy
    // goes through JSON, so typed arrays read back as the plain arrays a reader of
    // the saved file gets (state-patch.ts).
    const value = this.#data.state[key];
    return value === undefined || options.shared ? value : JSON.parse(stateJson(value));
  }

  async close(): Promise<void> {
    this.#data.vectors.close();
    await this.#lock?.release();
    this.#lock = undefined;
  }

  // ---------------------------------------------------------------- internals

  /** Undo a write that did not commit: back to the saved generation (memory and folder). */
  async #recover(saved: number): Promise<void> {
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
  }

  /**
   * Drop salons: their items leave the graph and the vectors now, the item order at
   * #settle. Work goes by salon runs (posting lists), not by item: an add of 10
   * salons to a 200k-item store used to spend most of its JS time in passes over
   * every item. Returns the ids of the items dropped.
   */
  #remove(write: PendingChange, salonIds: readonly string[]): string[] {
    if (write.inserting) throw new Error('FileStore: remove after insert in one write');
    const data = this.#data;
    const droppedIds: string[] = [];
    for (const id of salonIds) {
      const run = this.#query.salonRuns.get(id);
      if (write.dropped.has(id)) continue;
      write.dropped.add(id);
      if (!run) continue;
      write.droppedRuns.push(run);
      for (let pos = run[0]; pos < run[1]; pos++) {
        const label = data.labels[pos] as number;
        data.hnsw.markDelete(label);
        data.vectors.clear(label);
        addLabel(data.pendingDeleted, label);
        const itemId = (data.items[pos] as Item).id;
        this.#query.labelById.delete(itemId);
        droppedIds.push(itemId);
      }
    }
    for (const kind of ['items', 'vectors', 'hnsw'] as const) write.changed.add(kind);
    return droppedIds;
  }

  /**
   * Declare the salons the write stores (their items follow, #insertItems). A write
   * saved as an append gives new items new labels (its segment is the labels past the
   * last save); one saved in full reuses freed labels lowest first, which keeps the
   * vectors dense.
   */
  #insert(write: PendingChange, salons: ReadonlyArray<{ salon: Salon; contentHash: string }>) {
    if (write.inserting) throw new Error('FileStore: insert twice in one write');
    const data = this.#data;
    write.inserting = salons;
    write.total = salons.reduce((n, { salon }) => n + salon.items.length, 0);
    let removing = 0;
    for (const [start, end] of write.droppedRuns) removing += end - start;
    this.#saveMode = saveMode(data.manifest, write.total, removing);
    // pop() from the end yields the lowest label first.
    if (this.#saveMode === 'full') {
      const used = new Uint8Array(data.labelCount);
      for (const label of data.labels) used[label] = 1;
      for (const [start, end] of write.droppedRuns)
        for (let pos = start; pos < end; pos++) used[data.labels[pos] as number] = 0;
      for (let l = data.labelCount - 1; l >= 0; l--) if (used[l] === 0) write.free.push(l);
    }
    // Size HNSW and the vectors buffer once for the whole write (no repeated doubling).
    this.#ensureCapacity(data.labelCount + Math.max(0, write.total - write.free.length));
    for (const kind of ['items', 'vectors', 'hnsw'] as const) write.changed.add(kind);
  }

  /** The next items of the declared salons, in order, into the graph and the vectors. */
  async #insertItems(
    write: PendingChange,
    items: readonly Item[],
    vectors: readonly Float32Array[],
    signal: AbortSignal | undefined,
    progress: (p: LensProgress) => void,
  ): Promise<void> {
    const data = this.#data;
    const { total, added } = write;
    for (const [i, item] of items.entries()) {
      const vector = vectors[i] as Float32Array;
      const label = write.free.pop() ?? data.labelCount++;
      data.vectors.set(label, vector);
      data.hnsw.addPoint(toArray(vector), label);
      let into = added.get(item.salonId);
      if (!into) {
        into = { items: [], labels: [] };
        added.set(item.salonId, into);
      }
      into.items.push(item);
      into.labels.push(label);
      this.#query.labelById.set(item.id, label);
      const v = ++write.inserted;
      if (v % INDEX_BATCH === 0) {
        progress({ stage: 'index', done: v, total });
        await new Promise((resolve) => setImmediate(resolve));
        throwIfAborted(signal, 'addSalons');
      }
    }
  }

  /**
   * The new salon list and item order (salon order, then document order) once every
   * item is in: a kept salon's items are copied as the run they already form.
   */
  #settle(write: PendingChange, progress: (p: LensProgress) => void): void {
    write.settled = true;
    const data = this.#data;
    if (write.total > 0) progress({ stage: 'index', done: write.total, total: write.total });
    const salonList = data.salons.filter((s) => !write.dropped.has(s.id));
    for (const { salon, contentHash } of write.inserting ?? []) {
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
      const fresh = write.added.get(salon.id);
      if (fresh) {
        for (const [i, item] of fresh.items.entries()) {
          items.push(item);
          labels.push(fresh.labels[i] as number);
        }
        continue;
      }
      const [start, end] = this.#query.salonRuns.get(salon.id) ?? [0, 0];
      for (let pos = start; pos < end; pos++) {
        items.push(data.items[pos] as Item);
        labels.push(data.labels[pos] as number);
      }
    }
    data.items = items;
    data.labels = labels;
    data.salons = salonList;
    this.#reindex(false);
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

  /** Rebuild the lookups after #data changed (see FileQuery.reset). */
  #reindex(labelsById = true): void {
    const data = this.#data;
    this.#query.reset(data, labelsById);
    if (this.#efGiven === undefined && this.#ef !== undefined) {
      this.#ef = effectiveEf(data.manifest.hnsw.ef, data.items.length);
      data.hnsw.setEf(this.#ef);
    }
  }
}

/** Capacity to grow to for `needed` slots from `current`: at least 1/8 more, so small adds rarely copy. */
function withHeadroom(needed: number, current: number): number {
  return Math.max(needed, Math.ceil(current * 1.125));
}

/** Add `label` to a list of [from, to) ranges, extending the last range when adjacent. */
function addLabel(ranges: Array<{ from: number; to: number }>, label: number): void {
  const last = ranges.at(-1);
  if (last && last.to === label) last.to++;
  else ranges.push({ from: label, to: label + 1 });
}
