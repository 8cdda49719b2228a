/**
 * The storage seam of the lens: what a backend (the file store, Postgres) must
 * provide so that search, similar questions and grouping are written once above it
 * (see lens.ts). Filters cross the seam as data, not closures, so a database can
 * run them inside its own query. Reads are asynchronous because a database answers
 * over the network; `info()` and `salons()` are the store's view as of its last
 * read or write (small, kept in memory by every backend).
 *
 *   const store: LensStorage = await openFileStore(dir, { embedder });
 *   const hits = await nearest(store, { vector, k: 5, filter: { section: 'question' } }); // search/planner.ts
 */
import { z } from 'zod';
import type { Embedder } from '../../embed/index.js';
import { SalonLensError } from '../../errors.js';
import type { Item, Salon } from '../../parse/index.js';
import type { ItemFilter, LensProgress } from '../options.js';

export const StoredSalonSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  date: z.string().optional(),
  source: z.string(),
  /** `salonContentHash` of the salon when it was embedded: equal hash ⇒ no re-embedding. */
  contentHash: z.string(),
  itemCount: z.number().int().nonnegative(),
});
export type StoredSalon = z.infer<typeof StoredSalonSchema>;

export const HnswParamsSchema = z.object({
  /** Graph degree (hnswlib `M`). */
  m: z.number().int().min(2).max(128),
  efConstruction: z.number().int().min(4).max(4096),
  /** Query-time candidate list size; higher = better recall, slower queries. */
  ef: z.number().int().min(1).max(100_000),
  randomSeed: z.number().int().nonnegative(),
});
export type HnswParams = z.infer<typeof HnswParamsSchema>;

/** A damaged or unreadable part of a store: a file, or a table (`schema.table`). */
export interface FileProblem {
  file: string;
  problem: string;
}

/** What `verifyLens` reports for any store kind. */
export interface VerifyReport {
  dir: string;
  ok: boolean;
  generation?: number;
  itemCount?: number;
  salonCount?: number;
  embedder?: { id: string; dim: number };
  /** Postgres: whether a vector query plans a scan of the HNSW index (EXPLAIN); absent when empty. */
  indexScan?: boolean;
  problems: FileProblem[];
  /** What the user should do when not ok. */
  advice?: string;
}

/** What a store holds, for `Lens.manifest`. */
export interface StorageInfo {
  /** Folder or database URL (without password) the store lives in. */
  location: string;
  format: { name: string; version: number };
  generation: number;
  updatedAt: string;
  embedder: { id: string; dim: number };
  metric: 'cosine';
  itemCount: number;
  salonCount: number;
  /** Stored HNSW parameters; `ef` is the one in force for this session. */
  hnsw: HnswParams;
}

/** A filter as data: `ItemFilter` plus items left out by id (e.g. the query item itself). */
export interface StorageFilter extends ItemFilter {
  excludeItems?: readonly string[];
}

/** An exact top-k: every item passing the filter is scored. */
export interface ExactQuery {
  /** Unit-length query vector of the store's dimension. */
  vector: Float32Array;
  k: number;
  filter?: StorageFilter;
}

/** A graph (ANN index) top-k at this ef, the filter applied inside the walk; no fallback. */
export interface GraphQuery extends ExactQuery {
  ef: number;
}

/** A stored item with its score; lists are best first, ties by item id. */
export interface ScoredItem {
  item: Item;
  score: number;
  /** The item's row in the store's `rowRefs()` (this generation), from stores that have them. */
  ref?: number;
}

/**
 * Rows by number, for a store that holds its vectors in this process (the file
 * store): a ranking that re-scores every candidate reads its row and per-item
 * values by number instead of looking the item id up in maps of every item. The
 * numbers belong to one generation; ask again after a write or refresh.
 */
export interface RowRefs {
  generation: number;
  /** Row numbers are below this. */
  size: number;
  /** Each stored item's id and row number. */
  forEach(visit: (itemId: string, ref: number) => void): void;
  /** Cosine of `vector` with row `ref`, summed as `scores` sums it. */
  dot(ref: number, vector: Float32Array): number;
  /** out += weight × row `ref`. */
  addTo(out: Float32Array, ref: number, weight: number): void;
}

/** A stored item with its unit vector (a view: copy it to keep it). */
export interface StoredRow {
  item: Item;
  vector: Float32Array;
}

export interface WriteOptions {
  signal?: AbortSignal;
  onProgress: (progress: LensProgress) => void;
}

/**
 * One atomic write, driven by the lens (Lens.#write): every change lands at
 * `commit`, or none does. The store holds its write lock from `begin` to the end
 * (a second writer waits at `begin`). The lens embeds and computes derived state
 * itself; the store never calls back.
 *
 *   const tx = await storage.begin({ signal, onProgress });
 *   const dropped = await tx.remove(['2024-01-20-copyright']);
 *   await tx.insert([{ salon, contentHash }]);
 *   await tx.insertItems(salon.items, vectors);          // a chunk at a time, in order
 *   await tx.setState(key, derive(await tx.pending()));
 *   await tx.commit();                                    // or tx.abort()
 */
export interface WriteTransaction {
  /** The salons stored when the write began (what derived state read now describes). */
  readonly salonsBefore: readonly StoredSalon[];
  /** Drop salons and their items (unknown ids are ignored); before `insert`. Returns the dropped item ids. */
  remove(salonIds: readonly string[]): Promise<string[]>;
  /** Store these salons (ids not stored, or removed by this write); their items follow. Once per write. */
  insert(salons: ReadonlyArray<{ salon: Salon; contentHash: string }>): Promise<void>;
  /** The next items of the inserted salons, in salon then document order, with their unit vectors. */
  insertItems(items: readonly Item[], vectors: readonly Float32Array[]): Promise<void>;
  /** The store as the write leaves it, for reads (state reads still see the state before it); valid until commit or abort. */
  pending(): Promise<LensStorage>;
  /** Store a JSON value under `key` in this write. */
  setState(key: string, value: unknown): Promise<void>;
  commit(): Promise<void>;
  /** Undo the write (also after a failed commit): the store is as before `begin`. */
  abort(): Promise<void>;
}

/** The store as a write will leave it, seen from inside the write (for derived state). */
export interface PendingWrite {
  /** Reads see the change; state reads still see the state before it. Valid during the call only. */
  storage: LensStorage;
  /** Ids of the items stored before the write that it removed or replaced. */
  replacedItemIds: readonly string[];
  /** The salons stored before the write (what derived state read now describes). */
  salonsBefore: readonly StoredSalon[];
}

export interface LensStorage {
  readonly location: string;
  /** True when this session may not write (no lock taken). */
  readonly readOnly: boolean;
  info(): StorageInfo;
  /** Bring `info()` and `salons()` up to date with writes of other processes. */
  refresh(): Promise<void>;
  /** Stored salons in salon order. */
  salons(): StoredSalon[];
  /** One stored salon (not a copy: do not modify), or undefined. */
  salon(id: string): StoredSalon | undefined;
  /** Items passing `filter` with their vectors, salon order then document order. */
  rows(filter?: StorageFilter): Promise<StoredRow[]>;
  /** One stored item and its vector, or undefined. */
  row(itemId: string): Promise<StoredRow | undefined>;
  /** How many items pass `filter` (exactly: the planner sizes k and ef by it). */
  count(filter?: StorageFilter): Promise<number>;
  /** Top-k by cosine among items passing the filter, scoring every one of them. */
  exactSearch(query: ExactQuery): Promise<ScoredItem[]>;
  /**
   * Top-k by cosine from the graph index alone: may return fewer than k passing
   * items; the planner (search/planner.ts) decides when to call which.
   */
  graphSearch(query: GraphQuery): Promise<ScoredItem[]>;
  /** Top-k items by the store's lexical ranking (BM25 for the file store). */
  lexical(text: string, k: number, filter?: StorageFilter): Promise<ScoredItem[]>;
  /** Cosine of `vector` with each listed item's vector, computed like exact `nearest` scores (an index search may differ in the last float32 bits). */
  scores(vector: Float32Array, itemIds: readonly string[]): Promise<number[]>;
  /** Row numbers for hits' `ref`, where the store has them (optional: see RowRefs). */
  rowRefs?(): RowRefs;
  /** Query-time graph breadth for this session (not saved); the planner's base ef. */
  setEf(ef: number): void;
  /** The ef queries use now: set by the caller, or the store's grown with its size. */
  readonly ef: number;
  /** Start a write (WriteTransaction); waits for other writers of the store. */
  begin(options: WriteOptions): Promise<WriteTransaction>;
  /**
   * The derived-state JSON value stored under `key`, or undefined: a copy, unless
   * `shared` (then the caller must not modify it; the statistics of a large store
   * are millions of numbers, and copying them was a measurable part of opening).
   */
  readState(key: string, options?: { shared?: boolean }): Promise<unknown>;
  /** Release locks, connections and memory. Called once. */
  close(): Promise<void>;
}

/**
 * Cosine of two unit vectors (`dot`) and of a vector with one row of a packed matrix
 * (`dotAt`), summed in the same order everywhere so scores tie exactly (util/vector.ts).
 */
export { dotF32 as dot, dotF32At as dotAt } from '../../util/vector.js';

/** Best first, ties by item id: the one order of every result list. */
export function compareScored(a: ScoredItem, b: ScoredItem): number {
  if (b.score !== a.score) return b.score - a.score;
  const ia = a.item.id;
  const ib = b.item.id;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** EMBEDDER_MISMATCH when `stored` was built by another embedder than `embedder`. */
export function embedderMismatch(
  location: string,
  stored: { id: string; dim: number },
  embedder: Embedder,
): SalonLensError | undefined {
  if (stored.id === embedder.id && stored.dim === embedder.dim) return undefined;
  return new SalonLensError(
    'EMBEDDER_MISMATCH',
    `Store ${location} was built with embedder ${stored.id} (dim ${stored.dim}), ` +
      `but it was opened with ${embedder.id} (dim ${embedder.dim}). Open it with the same embedder, ` +
      'or rebuild it with the new one (salon-lens index <folders> --store <dir> --force).',
    {
      details: {
        dir: location,
        stored: { ...stored },
        given: { id: embedder.id, dim: embedder.dim },
      },
    },
  );
}
