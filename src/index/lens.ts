/**
 * The lens: search, filters, similar questions and derived state over a storage
 * backend (storage/seam.ts: the folder store or Postgres). The lens is the facade:
 * it owns the read/write queue; queries are ranked once for every store in
 * search/lens-queries.ts (the exact-vs-graph plan in search/planner.ts), writes
 * run in lens-write.ts.
 *
 *   const lens = await createLens('.lens', { embedder });
 *   await lens.addSalons(['examples/salons'], { onProgress: console.error });
 *   const hits = await lens.search('who owns model weights?', { k: 5, section: 'question' });
 *   const groups = lens.similarQuestions();
 *   await lens.close();
 *
 * Writes go through one in-process queue; the storage makes each one atomic.
 */
import { z } from 'zod';
import type { Embedder } from '../embed/index.js';
import { parseOptions, SalonLensError, throwIfAborted } from '../errors.js';
import { assertNoWarnings, type Salon } from '../parse/index.js';
import { LensStatistics } from './csls/lens-statistics.js';
import { LensVectors } from './lens-embed.js';
import { planAdd, readSalonInput } from './lens-input.js';
import type {
  AddSummary,
  LensInfo,
  LensSnapshot,
  RecallReport,
  StoredSalonInfo,
} from './lens-types.js';
import { type SalonWrite, writeSalons, writeState } from './lens-write.js';
import {
  type AddSalonsOptions,
  AddSalonsOptionsSchema,
  type RecallCheckOptions,
  RecallCheckOptionsSchema,
  type RemoveSalonsOptions,
  RemoveSalonsOptionsSchema,
  type SearchOptions,
  type SimilarQuestionsOptions,
  type SimilarToOptions,
  StateKeySchema,
  type VectorSearchOptions,
} from './options.js';
import { salonRef } from './recurring/similar-questions.js';
import type { SearchHit, SimilarQuestionGroup } from './schema.js';
import { LensQueries } from './search/lens-queries.js';
import { recallCheck } from './search/recall-check.js';
import type { LensStorage } from './storage/seam.js';

export type {
  AddSummary,
  LensInfo,
  LensSnapshot,
  RecallReport,
  SalonReplacement,
  StoredSalonInfo,
} from './lens-types.js';

export class Lens {
  readonly #storage: LensStorage;
  /** CSLS statistics; loaded (or rebuilt) on first use, updated inside each write. */
  readonly #statistics = new LensStatistics();
  /** Search, similar items and recurring questions (search/lens-queries.ts). */
  readonly #queries: LensQueries;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  /** Reads in flight: a write waits for those begun before it (see #read). */
  #reads = new Set<Promise<unknown>>();

  /** Embedded and given vectors, checked and normalised (lens-embed.ts). */
  readonly #vectors: LensVectors;

  private constructor(
    storage: LensStorage,
    readonly embedder: Embedder,
  ) {
    this.#storage = storage;
    this.#vectors = new LensVectors(embedder, storage.info().embedder.dim);
    this.#queries = new LensQueries(storage, embedder, this.#vectors, this.#statistics);
  }

  /** @internal use createLens / openLens */
  static _make(storage: LensStorage, embedder: Embedder): Lens {
    return new Lens(storage, embedder);
  }

  /** The store's folder (or database URL). */
  get dir(): string {
    return this.#storage.location;
  }

  get readOnly(): boolean {
    return this.#storage.readOnly;
  }

  get manifest(): LensInfo {
    const { location, ...info } = this.#storage.info();
    return { dir: location, ...info, readOnly: this.readOnly };
  }

  /** Stored salons in salon order, with their content hashes and item counts. */
  salons(): StoredSalonInfo[] {
    return this.#storage.salons();
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
      const { salons, skipped, warnings } = await readSalonInput(input, o, progress);
      if (o.strict) assertNoWarnings(warnings);
      throwIfAborted(o.signal, 'addSalons');

      const summary: AddSummary = {
        added: 0,
        updated: 0,
        unchanged: 0,
        removedItems: 0,
        embeddedItems: 0,
        skipped,
        warnings,
      };
      await this.#storage.refresh();
      const { changed, remove, replaced, counts } = planAdd(this.#storage.salons(), salons);
      Object.assign(summary, counts);
      if (replaced.length > 0) summary.replaced = replaced;
      if (changed.length === 0 && remove.length === 0) return summary;

      const pending = changed.flatMap((c) => c.salon.items);
      const { vectorOf } = o;
      const { removedItems } = await this.#write({
        upsert: changed,
        remove,
        vectors: async (items, offset, total) => {
          const onProgress = (p: { done: number }) =>
            progress({ stage: 'embed', done: offset + p.done, total });
          const texts = items.map((item) => item.text);
          if (!vectorOf) return this.#vectors.embed(texts, o.signal, onProgress);
          const given = items.map((item) => this.#vectors.given(vectorOf, item));
          const missing = given.flatMap((v, i) => (v ? [] : [i]));
          if (missing.length === 0) return given as Float32Array[];
          const embedded = await this.#vectors.embed(
            missing.map((i) => texts[i] as string),
            o.signal,
            onProgress,
          );
          summary.embeddedItems += embedded.length;
          missing.forEach((i, j) => {
            given[i] = embedded[j];
          });
          return given as Float32Array[];
        },
        signal: o.signal,
        onProgress: progress,
      });
      summary.removedItems = removedItems;
      if (!vectorOf) summary.embeddedItems = pending.length;
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
      await this.#storage.refresh();
      const storedIds = new Set(this.#storage.salons().map((s) => s.id));
      const known = idList.filter((id) => storedIds.has(id));
      if (known.length === 0) return { removedSalons: 0, removedItems: 0 };
      const { removedItems } = await this.#write({
        upsert: [],
        remove: known,
        vectors: async () => [],
        signal: o.signal,
        onProgress: o.onProgress ?? (() => {}),
      });
      return { removedSalons: new Set(known).size, removedItems };
    });
  }

  /**
   * Items closest to `text`, best first, ties by item id. Filters apply inside
   * the search, so `k` hits come back whenever `k` items match the filters.
   * `score` is the fused score in the default fused mode (fused-search.ts: vector hits
   * corrected for hubs and section style, re-scored after query feedback, plus a light
   * BM25 share), the `scoring`'s value in vector mode (CSLS by default: cosine
   * corrected for hubs, see hubness.ts), the BM25 score in lexical mode and the
   * reciprocal-rank-fusion score in hybrid mode (always best first); `cosine` is
   * the plain cosine (all but lexical mode).
   */
  search(text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    return this.#read(async () => {
      this.#assertOpen();
      return this.#queries.search(text, options);
    });
  }

  /**
   * Items closest to a vector from the store's embedding model (apps that embed
   * elsewhere): like `search` in vector mode, without embedding a text. The vector
   * needs the store's dimension; it is normalised.
   */
  searchVector(vector: ArrayLike<number>, options: VectorSearchOptions = {}): Promise<SearchHit[]> {
    return this.#read(async () => {
      this.#assertOpen();
      return this.#queries.searchVector(vector, options);
    });
  }

  /** Items closest to a stored item (itself excluded). */
  similarTo(itemId: string, options: SimilarToOptions = {}): Promise<SearchHit[]> {
    return this.#read(async () => {
      this.#assertOpen();
      return this.#queries.similarTo(itemId, options);
    });
  }

  /**
   * Recurring questions: groups of questions that may ask the same thing, as
   * candidates to review. Candidate pairs are each question's `k` nearest
   * questions (other salons when `crossSalonOnly`) scoring at or above the
   * threshold (default: 0 for the contrastive and CSLS scorings, the embedder's
   * cosine with `scoring: 'cosine'`). The default contrastive scoring embeds each
   * candidate pair that shares words once more without them (contrastive.ts).
   * Default `linkage: 'complete'`: every pair inside a group reaches the threshold,
   * groups hold at most `maxSize` questions and one per salon, and come strongest
   * (highest weakest link) first with every link's score. 'average' and 'single'
   * are the older merge rules, largest groups first.
   */
  similarQuestions(options: SimilarQuestionsOptions = {}): Promise<SimilarQuestionGroup[]> {
    return this.#read(async () => {
      this.#assertOpen();
      return this.#queries.similarQuestions(options);
    });
  }

  /** ANN vs exact top-k on stored items used as queries (each query's own item left out). */
  recallCheck(options: RecallCheckOptions = {}): Promise<RecallReport> {
    return this.#read(() => this.#recallCheck(options));
  }

  async #recallCheck(options: RecallCheckOptions): Promise<RecallReport> {
    this.#assertOpen();
    const o = parseOptions(RecallCheckOptionsSchema, options, 'recallCheck options');
    return recallCheck(this.#storage, o);
  }

  /** Query-time ef for this lens (not saved): higher = better recall, slower queries. */
  setEf(ef: number): void {
    this.#assertOpen();
    this.#storage.setEf(parseOptions(z.number().int().min(1).max(100_000), ef, 'ef'));
  }

  /** Everything the cluster stage needs, in stable order (salon order, then document order). */
  snapshot(): Promise<LensSnapshot> {
    return this.#read(() => this.#snapshot());
  }

  async #snapshot(): Promise<LensSnapshot> {
    this.#assertOpen();
    const rows = await this.#storage.rows();
    return {
      salons: this.#storage.salons().map(salonRef),
      items: rows.map((r) => ({ ...r.item })),
      vectors: rows.map((r) => r.vector.slice()),
    };
  }

  /** A copy of the JSON value stored under `key`, or undefined. */
  readState(key: string): Promise<unknown> {
    return this.#read(async () => {
      this.#assertOpen();
      return this.#storage.readState(parseOptions(StateKeySchema, key, 'state key'));
    });
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
      await writeState(this.#storage, k, JSON.parse(json));
    });
  }

  /** Release the write lock and native memory. Safe to call twice. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const reads = [...this.#reads];
    const done = this.#queue.then(async () => {
      await Promise.allSettled(reads);
      if (this.#closed) return;
      this.#closed = true;
      await this.#storage.close();
    });
    this.#queue = done.catch(() => undefined);
    return done;
  }

  // ---------------------------------------------------------------- internals

  /**
   * Run a read after the writes queued before it, never beside one: every answer
   * comes from one complete state (before a write, or after it commits or rolls back).
   */
  #read<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#reads.add(run);
    const done = () => this.#reads.delete(run);
    run.then(done, done);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new SalonLensError(
        'STORE_CLOSED',
        `The lens on ${this.dir} is closed; open it again to use it.`,
      );
    }
  }

  /**
   * Serialise writes within this process (the storage serialises processes). A
   * write changes the lens's memory in place (graph, items, statistics) before it
   * commits, so it starts only once the reads begun before it have answered.
   */
  #exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const reads = [...this.#reads];
    const run = this.#queue.then(async () => {
      await Promise.allSettled(reads);
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

  /** The store's section centres (fused search), cached until the next write. */
  /** The store's neighbourhood statistics: saved ones, or rebuilt (older stores) and kept in memory. */
  /** One atomic write, the neighbourhood statistics brought up to date inside it (lens-write.ts). */
  #write(change: SalonWrite): Promise<{ removedItems: number }> {
    this.#queries.invalidate();
    return writeSalons(this.#storage, this.#statistics, change);
  }
}
