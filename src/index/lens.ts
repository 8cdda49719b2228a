/**
 * The lens store: salons' items, their vectors and an HNSW graph in one folder,
 * with search, filters, similar questions and a small derived-state store.
 *
 *   const lens = await createLens('.lens', { embedder });
 *   await lens.addSalons(['examples/salons'], { onProgress: console.error });
 *   const hits = await lens.search('who owns model weights?', { k: 5, section: 'question' });
 *   const groups = lens.similarQuestions();
 *   await lens.close();
 *
 * Writes go through one in-process queue and the folder's write lock; any failure
 * or abort before the manifest switch reloads the last saved generation, so memory
 * and disk never disagree.
 */
import { mkdir } from 'node:fs/promises';
import hnswlib from 'hnswlib-node';
import { z } from 'zod';
import type { Embedder } from '../embed/index.js';
import { parseOptions, SalonLensError, throwIfAborted } from '../errors.js';
import {
  compareSalons,
  type Item,
  loadSalons,
  type Salon,
  SalonSchema,
  salonContentHash,
} from '../parse/index.js';
import { type Bm25Index, buildBm25 } from './bm25.js';
import { groupPairs, type ScoredPair } from './group-pairs.js';
import { acquireWriteLock, type WriteLock } from './lock.js';
import {
  type HnswParams,
  type Manifest,
  readManifest,
  STORE_FORMAT,
  STORE_FORMAT_VERSION,
  type StoredSalon,
  type StoreFileKind,
} from './manifest.js';
import {
  type AddSalonsOptions,
  AddSalonsOptionsSchema,
  type CreateLensOptions,
  CreateLensOptionsSchema,
  type ItemFilter,
  LENS_DEFAULTS,
  type LensProgress,
  type OpenLensOptions,
  OpenLensOptionsSchema,
  type RecallCheckOptions,
  RecallCheckOptionsSchema,
  type RemoveSalonsOptions,
  RemoveSalonsOptionsSchema,
  type SearchOptions,
  SearchOptionsSchema,
  type SimilarQuestionsOptions,
  SimilarQuestionsOptionsSchema,
  type SimilarToOptions,
  SimilarToOptionsSchema,
  StateKeySchema,
} from './options.js';
import type { SalonRef, SearchHit, SimilarQuestionGroup } from './schema.js';
import {
  type Hnsw,
  highestGeneration,
  loadGeneration,
  removeUnreferenced,
  type StoreData,
  saveGeneration,
  type VerifyReport,
  verifyStore,
} from './store-files.js';

const { HierarchicalNSW } = hnswlib;

/** First HNSW capacity of a new store; each write then sizes it to what it needs. */
const INITIAL_CAPACITY = 1024;
/** Points inserted between yields to the event loop (progress, abort). */
const INDEX_BATCH = 256;
/**
 * Texts embedded per step of addSalons, each step inserted before the next is
 * embedded: memory for pending vectors stays at one chunk however large the input
 * (2,000 salons are ~200k vectors; all at once they doubled the peak).
 */
const EMBED_CHUNK = 4096;

/** Built once: constructing a zod schema per query showed up in search latency. */
const QUERY_SCHEMA = z.string().trim().min(1, 'expected a non-empty query');

export interface AddSummary {
  /** Salons new to the store. */
  added: number;
  /** Salons whose content changed: their items were replaced. */
  updated: number;
  /** Salons already stored with the same content: skipped, not embedded. */
  unchanged: number;
  /** Stored items that no longer exist after the call. */
  removedItems: number;
  /** Items embedded and inserted by the call. */
  embeddedItems: number;
  /** Documents left out because they were invalid (only with `skipInvalid`). */
  skipped: Array<{ file: string; message: string }>;
}

export interface LensInfo {
  dir: string;
  format: { name: string; version: number };
  generation: number;
  updatedAt: string;
  embedder: { id: string; dim: number };
  metric: 'cosine';
  itemCount: number;
  salonCount: number;
  /** Stored HNSW parameters; `ef` is the one in force for this lens. */
  hnsw: HnswParams;
  readOnly: boolean;
}

export interface RecallReport {
  /**
   * Mean over queries of the share of ANN top-k hits scoring at least the exact k-th
   * score (the ann-benchmarks definition). Unlike |ANN ∩ exact| / k it does not punish
   * a different pick among equal scores: in a 200k-item store of generated text, 167
   * of 200 queries had ties at the k-th place and the set overlap read 0.46 while
   * every ANN hit was as close as the exact ones.
   */
  recall: number;
  k: number;
  ef: number;
  queries: number;
}

export interface LensSnapshot {
  salons: SalonRef[];
  /** Salon order, then document order. */
  items: Item[];
  /** `vectors[i]` belongs to `items[i]`; copies, safe to keep. */
  vectors: Float32Array[];
}

export type StoredSalonInfo = StoredSalon;

interface Scored {
  pos: number;
  score: number;
}

export class Lens {
  #data: StoreData;
  #lock: WriteLock | undefined;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #ef: number;
  // Derived lookups, rebuilt whenever #data changes.
  #posById = new Map<string, number>();
  #posByLabel = new Int32Array(0);
  #salonById = new Map<string, StoredSalon>();
  #bm25: Bm25Index | undefined;

  private constructor(
    readonly dir: string,
    readonly embedder: Embedder,
    data: StoreData,
    lock: WriteLock | undefined,
    ef?: number,
  ) {
    this.#data = data;
    this.#lock = lock;
    this.#ef = ef ?? data.manifest.hnsw.ef;
    this.#reindex();
  }

  /** @internal use createLens / openLens */
  static async _make(
    dir: string,
    embedder: Embedder,
    data: StoreData,
    lock: WriteLock | undefined,
    ef?: number,
  ): Promise<Lens> {
    return new Lens(dir, embedder, data, lock, ef);
  }

  get readOnly(): boolean {
    return this.#lock === undefined;
  }

  get manifest(): LensInfo {
    const m = this.#data.manifest;
    return {
      dir: this.dir,
      format: { name: m.format, version: m.version },
      generation: m.generation,
      updatedAt: m.updatedAt,
      embedder: { ...m.embedder },
      metric: m.metric,
      itemCount: this.#data.items.length,
      salonCount: m.salons.length,
      hnsw: { ...m.hnsw, ef: this.#ef },
      readOnly: this.readOnly,
    };
  }

  /** Stored salons in salon order, with their content hashes and item counts. */
  salons(): StoredSalonInfo[] {
    return this.#data.manifest.salons.map((s) => ({ ...s }));
  }

  /**
   * Embed and insert new salons; replace the items of salons whose content
   * changed; skip unchanged salons without embedding. Saves atomically.
   * Aborting (before the save commits) leaves store and lens as they were.
   */
  addSalons(
    input: readonly string[] | readonly Salon[],
    options: AddSalonsOptions = {},
  ): Promise<AddSummary> {
    return this.#exclusive('addSalons', async () => {
      const o = parseOptions(AddSalonsOptionsSchema, options, 'addSalons options');
      const progress = o.onProgress ?? (() => {});
      throwIfAborted(o.signal, 'addSalons');
      const { salons, skipped } = await this.#readInput(input, o, progress);
      throwIfAborted(o.signal, 'addSalons');

      const summary: AddSummary = {
        added: 0,
        updated: 0,
        unchanged: 0,
        removedItems: 0,
        embeddedItems: 0,
        skipped,
      };
      const changed: Array<{ salon: Salon; hash: string }> = [];
      for (const salon of salons) {
        const hash = salonContentHash(salon);
        const stored = this.#salonById.get(salon.id);
        if (stored?.contentHash === hash) summary.unchanged++;
        else {
          if (stored) summary.updated++;
          else summary.added++;
          changed.push({ salon, hash });
        }
      }
      if (changed.length === 0) return summary;

      await this.#mutate(o.signal, async () => {
        const before = new Set(this.#posById.keys());
        summary.embeddedItems = await this.#apply(changed, [], o.signal, progress);
        for (const id of this.#posById.keys()) before.delete(id);
        summary.removedItems = before.size;
        await this.#save(new Set(['items', 'vectors', 'hnsw']), o.signal, progress);
      });
      return summary;
    });
  }

  /** Remove salons (and their items) by id; unknown ids are ignored. Returns the number of items removed. */
  removeSalons(
    ids: readonly string[],
    options: RemoveSalonsOptions = {},
  ): Promise<{ removedSalons: number; removedItems: number }> {
    return this.#exclusive('removeSalons', async () => {
      const o = parseOptions(RemoveSalonsOptionsSchema, options, 'removeSalons options');
      const idList = parseOptions(z.array(z.string()), ids, 'removeSalons ids');
      const known = idList.filter((id) => this.#salonById.has(id));
      if (known.length === 0) return { removedSalons: 0, removedItems: 0 };
      const progress = o.onProgress ?? (() => {});
      const itemsBefore = this.#data.items.length;
      await this.#mutate(o.signal, async () => {
        await this.#apply([], known, o.signal, progress);
        await this.#save(new Set(['items', 'vectors', 'hnsw']), o.signal, progress);
      });
      return {
        removedSalons: new Set(known).size,
        removedItems: itemsBefore - this.#data.items.length,
      };
    });
  }

  /**
   * Items closest to `text`, best first, ties by item id. Filters apply inside
   * the search, so `k` hits come back whenever `k` items match the filters.
   * `score` is the cosine similarity in vector mode, the BM25 score in lexical mode
   * and the reciprocal-rank-fusion score in hybrid mode (always best first).
   */
  async search(text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    this.#assertOpen();
    const query = parseOptions(QUERY_SCHEMA, text, 'search query');
    const o = parseOptions(SearchOptionsSchema, options, 'search options');
    const keep = this.#filter(o);
    if (o.mode === 'lexical') {
      return this.#lexical(query, o.k, keep).map((h) => this.#hit(h));
    }
    const [q] = await this.#embed([query]);
    if (!q) return [];
    if (o.mode === 'vector')
      return this.#vectorSearch(q, o.k, keep, o.exact).map((h) => this.#hit(h));
    return this.#hybrid(query, q, o.k, keep, o.exact).map((h) => this.#hit(h));
  }

  /** Items closest to a stored item (itself excluded). */
  similarTo(itemId: string, options: SimilarToOptions = {}): SearchHit[] {
    this.#assertOpen();
    const o = parseOptions(SimilarToOptionsSchema, options, 'similarTo options');
    const pos = this.#posById.get(itemId);
    if (pos === undefined) {
      throw new SalonLensError('ITEM_NOT_FOUND', `No item "${itemId}" in store ${this.dir}.`, {
        details: { itemId, dir: this.dir },
      });
    }
    const base = this.#filter(o);
    const salonId = this.#data.items[pos]?.salonId;
    const keep = (p: number) =>
      p !== pos &&
      (base === undefined || base(p)) &&
      (!o.crossSalonOnly || this.#data.items[p]?.salonId !== salonId);
    return this.#vectorSearch(this.#rowOfPos(pos), o.k, keep, o.exact).map((h) => this.#hit(h));
  }

  /**
   * Groups of questions that ask the same thing. Candidate pairs are each
   * question's `k` nearest questions at or above `threshold` cosine (from other
   * salons when `crossSalonOnly`); pairs merge groups strongest first, with
   * average linkage (default: a merge must keep the mean cross similarity at or
   * above the threshold, and cross-salon groups hold one question per salon) or
   * single linkage (plain transitive union; on the corpus this chains 138 of 156
   * questions into one group). Largest groups first; ties by earliest salon, then item id.
   */
  similarQuestions(options: SimilarQuestionsOptions = {}): SimilarQuestionGroup[] {
    this.#assertOpen();
    const o = parseOptions(SimilarQuestionsOptionsSchema, options, 'similarQuestions options');
    const threshold = o.threshold ?? this.embedder.thresholds.similarQuestion;
    const base = this.#filter({
      section: 'question',
      salon: o.salon,
      dateFrom: o.dateFrom,
      dateTo: o.dateTo,
    });
    const items = this.#data.items;
    const questions: number[] = [];
    for (let p = 0; p < items.length; p++) if (base === undefined || base(p)) questions.push(p);
    // Position -> question index (-1: not a question in scope), and questions per salon,
    // so each search knows its candidate count without a pass over the whole store.
    const qIndex = new Int32Array(items.length).fill(-1);
    const perSalon = new Map<string, number>();
    for (const [i, p] of questions.entries()) {
      qIndex[p] = i;
      const salonId = (items[p] as Item).salonId;
      perSalon.set(salonId, (perSalon.get(salonId) ?? 0) + 1);
    }
    const pairs: ScoredPair[] = [];
    const seen = new Set<number>();
    for (const [i, p] of questions.entries()) {
      const salonId = (items[p] as Item).salonId;
      const keep = (c: number) =>
        c !== p &&
        (qIndex[c] as number) >= 0 &&
        (!o.crossSalonOnly || items[c]?.salonId !== salonId);
      const matching = o.crossSalonOnly
        ? questions.length - (perSalon.get(salonId) as number)
        : questions.length - 1;
      const hits = this.#vectorSearch(this.#rowOfPos(p), o.k, keep, false, {
        matching,
        within: questions,
      });
      for (const hit of hits) {
        if (hit.score < threshold) break; // best first: the rest are lower
        const j = qIndex[hit.pos] as number;
        // A pair is usually found from both ends; keep it once (a < b).
        const a = Math.min(i, j);
        const b = Math.max(i, j);
        const key = a * questions.length + b;
        if (seen.has(key)) continue;
        seen.add(key);
        pairs.push({ a, b, score: hit.score });
      }
    }
    const single = o.linkage === 'single';
    const groups = groupPairs(questions.length, pairs, {
      // Single linkage: any pair merges its groups (plain union-find).
      threshold: single ? Number.NEGATIVE_INFINITY : threshold,
      vectorOf: (i) => this.#rowOfPos(questions[i] as number),
      // Cross-salon groups hold at most one question per salon: a salon does not
      // ask the same thing twice, and this stops groups growing by chaining.
      keyOf:
        o.crossSalonOnly && !single
          ? (i) => (items[questions[i] as number] as Item).salonId
          : undefined,
    }).map((members) => this.#group(members.map((i) => questions[i] as number)));
    return groups.sort((a, b) => {
      if (b.questions.length !== a.questions.length) return b.questions.length - a.questions.length;
      const fa = a.questions[0];
      const fb = b.questions[0];
      return compareQuestion(fa?.salon, fa?.item, fb?.salon, fb?.item);
    });
  }

  /** ANN vs exact top-k on stored items used as queries (each query's own item left out). */
  recallCheck(options: RecallCheckOptions = {}): RecallReport {
    this.#assertOpen();
    const o = parseOptions(RecallCheckOptionsSchema, options, 'recallCheck options');
    const n = this.#data.items.length;
    const ef = o.ef ?? this.#ef;
    if (n < 2) return { recall: 1, k: o.k, ef, queries: 0 };
    const queries = Math.min(o.sample, n);
    const k = Math.min(o.k, n - 1);
    const hnsw = this.#data.hnsw;
    hnsw.setEf(ef);
    let total = 0;
    try {
      for (let i = 0; i < queries; i++) {
        // Evenly spread, deterministic sample.
        const pos = Math.floor((i * n) / queries);
        const q = this.#rowOfPos(pos);
        const keep = (p: number) => p !== pos;
        const exact = this.#exact(q, k, keep);
        const kth = (exact.at(-1) as Scored).score;
        const ann = this.#ann(q, k + 1)
          .filter((h) => h.pos !== pos)
          .slice(0, k);
        // Both lists score with #dot on the same stored vectors, so ties compare exactly.
        let found = 0;
        for (const h of ann) if (h.score >= kth) found++;
        total += found / exact.length;
      }
    } finally {
      hnsw.setEf(this.#ef);
    }
    return { recall: total / queries, k, ef, queries };
  }

  /** Query-time ef for this lens (not saved): higher = better recall, slower queries. */
  setEf(ef: number): void {
    this.#assertOpen();
    const value = parseOptions(z.number().int().min(1).max(100_000), ef, 'ef');
    this.#ef = value;
    this.#data.hnsw.setEf(value);
  }

  /** Everything the cluster stage needs, in stable order (salon order, then document order). */
  snapshot(): LensSnapshot {
    this.#assertOpen();
    const salons = this.#data.manifest.salons.map(salonRef);
    const items = this.#data.items.map((item) => ({ ...item }));
    const vectors = this.#data.items.map((_, pos) => this.#rowOfPos(pos).slice());
    return { salons, items, vectors };
  }

  /** A copy of the JSON value stored under `key`, or undefined. */
  readState(key: string): unknown {
    this.#assertOpen();
    const k = parseOptions(StateKeySchema, key, 'state key');
    const value = this.#data.state[k];
    return value === undefined ? undefined : structuredClone(value);
  }

  /** Store a JSON value under `key` (atomically, checksummed, like all store files). */
  writeState(key: string, value: unknown): Promise<void> {
    return this.#exclusive('writeState', async () => {
      const k = parseOptions(StateKeySchema, key, 'state key');
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (cause) {
        throw new SalonLensError(
          'INVALID_OPTIONS',
          `writeState("${k}"): value is not JSON-serialisable`,
          { cause },
        );
      }
      if (json === undefined) {
        throw new SalonLensError(
          'INVALID_OPTIONS',
          `writeState("${k}"): expected a JSON value, got ${typeof value}`,
        );
      }
      await this.#mutate(undefined, async () => {
        this.#data.state = { ...this.#data.state, [k]: JSON.parse(json) };
        await this.#save(new Set(['state']), undefined, () => {});
      });
    });
  }

  /** Release the write lock and native memory. Safe to call twice. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const done = this.#queue.then(async () => {
      this.#closed = true;
      await this.#lock?.release();
      this.#lock = undefined;
    });
    this.#queue = done.catch(() => undefined);
    return done;
  }

  // ---------------------------------------------------------------- internals

  #assertOpen(): void {
    if (this.#closed) {
      throw new SalonLensError(
        'STORE_CLOSED',
        `The lens on ${this.dir} is closed; open it again to use it.`,
      );
    }
  }

  /** Serialise writes within this process (the lock file serialises processes). */
  #exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      this.#assertOpen();
      if (this.readOnly) {
        throw new SalonLensError(
          'STORE_READ_ONLY',
          `${what}: the lens on ${this.dir} was opened readOnly.`,
        );
      }
      return fn();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Run an in-memory change plus its save; on any failure, go back to the saved generation. */
  async #mutate(signal: AbortSignal | undefined, fn: () => Promise<void>): Promise<void> {
    const saved = this.#data.manifest.generation;
    try {
      await fn();
    } catch (error) {
      if (this.#data.manifest.generation === saved) {
        // Nothing was committed: drop half-applied memory and anything half-written.
        await removeUnreferenced(this.dir, this.#data.manifest).catch(() => undefined);
        this.#data = await loadGeneration(this.dir);
        this.#data.hnsw.setEf(this.#ef);
        this.#reindex();
      }
      throw signal?.aborted && !isAbort(error)
        ? new SalonLensError('ABORTED', 'the operation was aborted', { cause: error })
        : error;
    }
  }

  /** Salons from paths (progress counts documents) or validated parsed salons. */
  async #readInput(
    input: readonly string[] | readonly Salon[],
    options: { maxBytes?: number; skipInvalid: boolean },
    progress: (p: LensProgress) => void,
  ): Promise<{ salons: Salon[]; skipped: AddSummary['skipped'] }> {
    if (!Array.isArray(input)) {
      throw new SalonLensError(
        'INVALID_OPTIONS',
        'addSalons: expected an array of paths or of parsed salons',
      );
    }
    if (input.length === 0) return { salons: [], skipped: [] };
    if (input.every((x) => typeof x === 'string')) {
      const { maxBytes, skipInvalid } = options;
      const loaded = await loadSalons(input as string[], {
        maxBytes,
        skipInvalid,
        onProgress: progress,
      });
      return { salons: loaded.salons, skipped: loaded.skipped };
    }
    const salons = parseOptions(z.array(SalonSchema), input, 'addSalons salons');
    progress({ stage: 'parse', done: salons.length, total: salons.length });
    const seen = new Map<string, Salon>();
    for (const salon of salons) {
      const other = seen.get(salon.id);
      if (other && salonContentHash(other) !== salonContentHash(salon)) {
        throw new SalonLensError(
          'DUPLICATE_SALON',
          `Two different salons share the id "${salon.id}" (${other.source} and ${salon.source}).`,
          { details: { id: salon.id, sources: [other.source, salon.source] } },
        );
      }
      seen.set(salon.id, salon);
    }
    return { salons: [...seen.values()].sort(compareSalons), skipped: [] };
  }

  async #embed(
    texts: string[],
    signal?: AbortSignal,
    progress?: (p: LensProgress) => void,
  ): Promise<Float32Array[]> {
    const vectors = await this.embedder.embed(texts, {
      signal,
      onProgress: progress
        ? (p) => progress({ stage: 'embed', done: p.done, total: p.total })
        : undefined,
    });
    const dim = this.#data.manifest.embedder.dim;
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== dim)) {
      throw new SalonLensError(
        'EMBED_FAILED',
        `Embedder ${this.embedder.id} returned ${vectors.length} vectors of dim ${vectors[0]?.length} for ${texts.length} texts; expected dim ${dim}.`,
      );
    }
    return vectors.map(normalised);
  }

  /**
   * Replace the items of `replace` salons, drop `remove` salons, embed and insert
   * the new items (a chunk at a time). Freed HNSW labels are reused lowest first,
   * which keeps the vectors file dense and the result independent of history order.
   * Returns the number of items embedded.
   */
  async #apply(
    replace: Array<{ salon: Salon; hash: string }>,
    remove: string[],
    signal: AbortSignal | undefined,
    progress: (p: LensProgress) => void,
  ): Promise<number> {
    const data = this.#data;
    const dim = data.manifest.embedder.dim;
    const dropped = new Set([...replace.map((r) => r.salon.id), ...remove]);
    const kept: Array<{ item: Item; label: number }> = [];
    const used = new Uint8Array(data.labelCount);
    data.items.forEach((item, pos) => {
      const label = data.labels[pos] as number;
      if (dropped.has(item.salonId)) {
        data.hnsw.markDelete(label);
        data.vectors.fill(0, label * dim, (label + 1) * dim);
      } else {
        kept.push({ item, label });
        used[label] = 1;
      }
    });
    const free: number[] = [];
    for (let l = data.labelCount - 1; l >= 0; l--) if (used[l] === 0) free.push(l);
    // pop() from the end yields the lowest label first.

    const pending = replace.flatMap(({ salon }) => salon.items);
    const total = pending.length;
    // Size HNSW and the vectors buffer once for the whole call (no repeated doubling).
    this.#ensureCapacity(data.labelCount + Math.max(0, total - free.length));
    const rows: Array<{ item: Item; label: number }> = [];
    for (let start = 0; start < total; start += EMBED_CHUNK) {
      const chunk = pending.slice(start, start + EMBED_CHUNK);
      const vectors = await this.#embed(
        chunk.map((item) => item.text),
        signal,
        (p) => progress({ stage: 'embed', done: start + p.done, total }),
      );
      throwIfAborted(signal, 'addSalons');
      for (const [i, item] of chunk.entries()) {
        const vector = vectors[i] as Float32Array;
        const label = free.pop() ?? data.labelCount++;
        data.vectors.set(vector, label * dim);
        data.hnsw.addPoint(Array.from(vector), label);
        rows.push({ item, label });
        const v = start + i + 1;
        if (v % INDEX_BATCH === 0) {
          progress({ stage: 'index', done: v, total });
          await new Promise((resolve) => setImmediate(resolve));
          throwIfAborted(signal, 'addSalons');
        }
      }
    }
    if (total > 0) progress({ stage: 'index', done: total, total });

    // New salon list and item order: salon order, then document order.
    const salonList = data.manifest.salons.filter((s) => !dropped.has(s.id));
    for (const { salon, hash } of replace) {
      salonList.push({
        id: salon.id,
        title: salon.title,
        ...(salon.date ? { date: salon.date } : {}),
        source: salon.source,
        contentHash: hash,
        itemCount: salon.items.length,
      });
    }
    salonList.sort(compareSalons);
    const bySalon = new Map<string, Array<{ item: Item; label: number }>>();
    for (const row of kept.concat(rows)) {
      const list = bySalon.get(row.item.salonId);
      if (list) list.push(row);
      else bySalon.set(row.item.salonId, [row]);
    }
    const ordered = salonList.flatMap((s) => bySalon.get(s.id) ?? []);
    data.items = ordered.map((r) => r.item);
    data.labels = ordered.map((r) => r.label);
    data.manifest = { ...data.manifest, salons: salonList };
    this.#reindex();
    return total;
  }

  /** Make room for `labels` HNSW points and vector rows (grows, never shrinks). */
  #ensureCapacity(labels: number): void {
    const data = this.#data;
    const dim = data.manifest.embedder.dim;
    if (labels > data.hnsw.getMaxElements()) data.hnsw.resizeIndex(labels);
    if (labels * dim > data.vectors.length) {
      const grown = new Float32Array(Math.max(labels, INITIAL_CAPACITY) * dim);
      grown.set(data.vectors);
      data.vectors = grown;
    }
  }

  async #save(
    changed: ReadonlySet<StoreFileKind>,
    signal: AbortSignal | undefined,
    progress: (p: LensProgress) => void,
  ): Promise<void> {
    throwIfAborted(signal, 'save');
    const generation = (await highestGeneration(this.dir, this.#data.manifest)) + 1;
    const manifest = await saveGeneration(this.dir, this.#data, {
      changed,
      generation,
      signal,
      onStep: (s) => progress({ stage: 'save', done: s.done, total: s.total }),
    });
    this.#data.manifest = manifest;
  }

  #reindex(): void {
    const data = this.#data;
    this.#posById = new Map(data.items.map((item, pos) => [item.id, pos]));
    this.#posByLabel = new Int32Array(data.labelCount).fill(-1);
    data.labels.forEach((label, pos) => {
      this.#posByLabel[label] = pos;
    });
    this.#salonById = new Map(data.manifest.salons.map((s) => [s.id, s]));
    this.#bm25 = undefined;
  }

  #rowOfPos(pos: number): Float32Array {
    const dim = this.#data.manifest.embedder.dim;
    const label = this.#data.labels[pos] as number;
    return this.#data.vectors.subarray(label * dim, (label + 1) * dim);
  }

  #filter(f: ItemFilter): ((pos: number) => boolean) | undefined {
    const sections = f.section === undefined ? undefined : new Set([f.section].flat());
    const only = f.salon === undefined ? undefined : new Set([f.salon].flat());
    const not = f.excludeSalon === undefined ? undefined : new Set([f.excludeSalon].flat());
    const { dateFrom, dateTo } = f;
    if (!sections && !only && !not && !dateFrom && !dateTo) return undefined;
    const items = this.#data.items;
    const salonById = this.#salonById;
    return (pos) => {
      const item = items[pos];
      if (!item) return false;
      if (sections && !sections.has(item.section)) return false;
      if (only && !only.has(item.salonId)) return false;
      if (not?.has(item.salonId)) return false;
      if (dateFrom || dateTo) {
        const date = salonById.get(item.salonId)?.date;
        if (!date) return false;
        if (dateFrom && date < dateFrom) return false;
        if (dateTo && date > dateTo) return false;
      }
      return true;
    };
  }

  #compare = (a: Scored, b: Scored): number => {
    if (b.score !== a.score) return b.score - a.score;
    const ia = this.#data.items[a.pos]?.id ?? '';
    const ib = this.#data.items[b.pos]?.id ?? '';
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };

  #dot(q: Float32Array, pos: number): number {
    const row = this.#rowOfPos(pos);
    let s = 0;
    for (let i = 0; i < q.length; i++) s += (q[i] as number) * (row[i] as number);
    return s;
  }

  /**
   * Top-k by cosine among items passing `keep`. Small filtered subsets are searched
   * exactly; otherwise HNSW runs with the filter inside the graph search, and if it
   * comes back short of k matches (a very selective filter) we fall back to exact.
   * Callers that already know how many items pass `keep` (and a superset of them,
   * `within`) say so: counting is a pass over the whole store, which similarQuestions
   * would otherwise repeat for each of tens of thousands of questions.
   */
  #vectorSearch(
    q: Float32Array,
    k: number,
    keep: ((pos: number) => boolean) | undefined,
    exact: boolean,
    known?: { matching: number; within: readonly number[] },
  ): Scored[] {
    const n = this.#data.items.length;
    let matching = n;
    if (known) matching = known.matching;
    else if (keep) {
      // Only two facts matter: is the subset small enough for exact search, and
      // does it hold k items. Stop counting once both are known (a full count
      // per query cost ~2× query time on 100k items in bench/ann.ts).
      const enough = Math.max(LENS_DEFAULTS.exactBelow, k) + 1;
      matching = 0;
      for (let p = 0; p < n && matching < enough; p++) if (keep(p)) matching++;
    }
    const want = Math.min(k, matching);
    if (want === 0) return [];
    const within = known?.within;
    if (exact || (keep && matching <= LENS_DEFAULTS.exactBelow))
      return this.#exact(q, want, keep, within);
    const hits = this.#ann(q, want, keep);
    return hits.length < want ? this.#exact(q, want, keep, within) : hits;
  }

  #ann(q: Float32Array, k: number, keep?: (pos: number) => boolean): Scored[] {
    const hnsw: Hnsw = this.#data.hnsw;
    const posByLabel = this.#posByLabel;
    const filter = keep
      ? (label: number) => {
          const pos = posByLabel[label] ?? -1;
          return pos >= 0 && keep(pos);
        }
      : undefined;
    const { neighbors } = hnsw.searchKnn(Array.from(q), Math.min(k, hnsw.getMaxElements()), filter);
    const out: Scored[] = [];
    for (const label of neighbors) {
      const pos = posByLabel[label] ?? -1;
      // Scores are recomputed from the stored vectors so ANN and exact agree to the bit.
      if (pos >= 0) out.push({ pos, score: this.#dot(q, pos) });
    }
    return out.sort(this.#compare);
  }

  /** Brute-force top-k over all items, or over the positions in `within` only. */
  #exact(
    q: Float32Array,
    k: number,
    keep?: (pos: number) => boolean,
    within?: readonly number[],
  ): Scored[] {
    const n = within ? within.length : this.#data.items.length;
    const top: Scored[] = [];
    for (let c = 0; c < n; c++) {
      const pos = within ? (within[c] as number) : c;
      if (keep && !keep(pos)) continue;
      const candidate = { pos, score: this.#dot(q, pos) };
      if (top.length === k) {
        const worst = top[k - 1] as Scored;
        if (this.#compare(candidate, worst) >= 0) continue;
        top.pop();
      }
      // Insertion keeps `top` sorted; k is small, so this beats sorting n scores.
      let i = top.length;
      while (i > 0 && this.#compare(candidate, top[i - 1] as Scored) < 0) i--;
      top.splice(i, 0, candidate);
    }
    return top;
  }

  #lexical(query: string, k: number, keep: ((pos: number) => boolean) | undefined): Scored[] {
    this.#bm25 ??= buildBm25(this.#data.items.map((item) => item.text));
    return this.#bm25
      .search(query, Number.MAX_SAFE_INTEGER, keep)
      .map((h) => ({ pos: h.doc, score: h.score }))
      .sort(this.#compare)
      .slice(0, k);
  }

  /**
   * Reciprocal rank fusion of the vector and BM25 lists. The reported score is the
   * fused one (Σ 1/(rrfK + rank)), so scores fall in rank order; a cosine would not.
   */
  #hybrid(
    query: string,
    q: Float32Array,
    k: number,
    keep: ((pos: number) => boolean) | undefined,
    exact: boolean,
  ): Scored[] {
    const depth = Math.max(50, k * LENS_DEFAULTS.hybridDepth);
    const vector = this.#vectorSearch(q, depth, keep, exact);
    const lexical = this.#lexical(query, depth, keep);
    const fused = new Map<number, number>();
    for (const list of [vector, lexical]) {
      for (const [rank, h] of list.entries()) {
        fused.set(h.pos, (fused.get(h.pos) ?? 0) + 1 / (LENS_DEFAULTS.rrfK + rank + 1));
      }
    }
    return [...fused]
      .map(([pos, rrf]) => ({ pos, score: rrf }))
      .sort(this.#compare)
      .slice(0, k);
  }

  #hit(h: Scored): SearchHit {
    const item = this.#data.items[h.pos] as Item;
    const salon = this.#salonById.get(item.salonId);
    return {
      item: { ...item },
      salon: salon ? salonRef(salon) : { id: item.salonId, title: item.salonId },
      score: h.score,
    };
  }

  #group(positions: number[]): SimilarQuestionGroup {
    const questions = positions
      .map((pos) => ({ pos, item: this.#data.items[pos] as Item }))
      .map((q) => ({ ...q, salon: salonRef(this.#salonById.get(q.item.salonId) as StoredSalon) }))
      .sort((a, b) => compareQuestion(a.salon, a.item, b.salon, b.item));
    // Mean pairwise cosine of unit vectors from their sum: (|Σv|² − g) / (g (g − 1)).
    // Exact, and linear in the group size (the pairwise loop was quadratic).
    const g = questions.length;
    const dim = this.#data.manifest.embedder.dim;
    const sum = new Float64Array(dim);
    for (const { pos } of questions) {
      const row = this.#rowOfPos(pos);
      for (let d = 0; d < dim; d++) sum[d] = (sum[d] as number) + (row[d] as number);
    }
    let squared = 0;
    let self = 0;
    for (let d = 0; d < dim; d++) squared += (sum[d] as number) ** 2;
    for (const { pos } of questions) {
      const row = this.#rowOfPos(pos);
      for (let d = 0; d < dim; d++) self += (row[d] as number) ** 2;
    }
    const salons = new Map<string, SalonRef>();
    for (const q of questions) salons.set(q.salon.id, q.salon);
    return {
      questions: questions.map((q) => ({ item: { ...q.item }, salon: q.salon })),
      salons: [...salons.values()].sort(compareSalons),
      cohesion: g < 2 ? 1 : (squared - self) / (g * (g - 1)),
    };
  }
}

function salonRef(s: Pick<StoredSalon, 'id' | 'title' | 'date'>): SalonRef {
  return { id: s.id, title: s.title, ...(s.date ? { date: s.date } : {}) };
}

function compareQuestion(sa?: SalonRef, ia?: Item, sb?: SalonRef, ib?: Item): number {
  const bySalon = compareSalons(sa ?? { id: '' }, sb ?? { id: '' });
  if (bySalon !== 0) return bySalon;
  const a = ia?.id ?? '';
  const b = ib?.id ?? '';
  return a < b ? -1 : a > b ? 1 : 0;
}

function normalised(v: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += (v[i] as number) ** 2;
  norm = Math.sqrt(norm);
  if (!Number.isFinite(norm) || norm === 0) {
    throw new SalonLensError('EMBED_FAILED', 'The embedder returned a zero or non-finite vector.');
  }
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / norm;
  return out;
}

function isAbort(error: unknown): boolean {
  return error instanceof SalonLensError && error.code === 'ABORTED';
}

function embedderMismatch(
  dir: string,
  manifest: Manifest,
  embedder: Embedder,
): SalonLensError | undefined {
  if (manifest.embedder.id === embedder.id && manifest.embedder.dim === embedder.dim)
    return undefined;
  return new SalonLensError(
    'EMBEDDER_MISMATCH',
    `Store ${dir} was built with embedder ${manifest.embedder.id} (dim ${manifest.embedder.dim}), ` +
      `but it was opened with ${embedder.id} (dim ${embedder.dim}). Open it with the same embedder, ` +
      'or rebuild it with the new one (salon-lens index <folders> --store <dir> --force).',
    { details: { dir, stored: manifest.embedder, given: { id: embedder.id, dim: embedder.dim } } },
  );
}

/**
 * Create an empty store in `dir` (created if missing). An existing store is an
 * error (STORE_EXISTS) unless `force`, which replaces it; files that are not the
 * store's are never touched.
 */
export async function createLens(dir: string, options: CreateLensOptions): Promise<Lens> {
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

    const { embedder } = o;
    const hnsw = new HierarchicalNSW('cosine', embedder.dim);
    hnsw.initIndex({
      maxElements: INITIAL_CAPACITY,
      m: o.hnsw.m,
      efConstruction: o.hnsw.efConstruction,
      randomSeed: o.hnsw.randomSeed,
    });
    hnsw.setEf(o.hnsw.ef);
    const base = {
      format: STORE_FORMAT as typeof STORE_FORMAT,
      version: STORE_FORMAT_VERSION,
      embedder: { id: embedder.id, dim: embedder.dim },
      metric: 'cosine' as const,
      normalized: true as const,
      hnsw: { ...o.hnsw },
      itemCount: 0,
      labelCount: 0,
      salons: [] as StoredSalon[],
    };
    const data = {
      manifest: base,
      items: [] as Item[],
      labels: [] as number[],
      vectors: new Float32Array(0),
      labelCount: 0,
      hnsw,
      state: {},
    };
    const generation = (await highestGeneration(dir, previous)) + 1;
    const manifest = await saveGeneration(dir, data, {
      changed: new Set(['items', 'vectors', 'hnsw', 'state']),
      generation,
    });
    return await Lens._make(dir, embedder, { ...data, manifest }, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
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
 * process holds it); `readOnly` lenses do not, and read one consistent generation
 * even while a writer saves.
 */
export async function openLens(dir: string, options: OpenLensOptions): Promise<Lens> {
  const o = parseOptions(OpenLensOptionsSchema, options, 'openLens options');
  const check = (manifest: Manifest) => {
    const mismatch = embedderMismatch(dir, manifest, o.embedder);
    if (mismatch) throw mismatch;
  };
  // Refuse a missing store or another embedder before touching the lock or any data file.
  check(await readManifest(dir));
  if (o.readOnly) {
    const data = await loadGeneration(dir, check);
    if (o.ef !== undefined) data.hnsw.setEf(o.ef);
    return Lens._make(dir, o.embedder, data, undefined, o.ef);
  }
  const lock = await acquireWriteLock(dir);
  try {
    const data = await loadGeneration(dir, check);
    // Leftovers of a save that crashed before its manifest switch.
    await removeUnreferenced(dir, data.manifest);
    if (o.ef !== undefined) data.hnsw.setEf(o.ef);
    return await Lens._make(dir, o.embedder, data, lock, o.ef);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Check a store's manifest and every file (sizes, sha256, consistency) without an embedder. */
export function verifyLens(dir: string): Promise<VerifyReport> {
  return verifyStore(dir);
}
