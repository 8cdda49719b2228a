/**
 * The Postgres + pgvector store: salons, items (with a `vector` column under an
 * HNSW cosine index and a full-text `tsvector`), derived state and a meta row, in
 * one schema. Filters run inside the SQL query (pgvector 0.8 iterative index scans);
 * every write is one transaction under a per-schema advisory lock, so concurrent
 * writers from several processes queue instead of overwriting each other, and
 * readers see a salon entirely or not at all.
 *
 *   const store = await openPgStore(parseStoreAddress('postgres://u@db/app?schema=lens'), { embedder }); // pg-open.ts
 *   const hits = await nearest(store, { vector, k: 5, filter: { section: 'question' } });
 *
 * Scores are recomputed in JS from the stored float32 vectors, exactly as the file
 * store computes them, so both stores rank and tie the same way.
 */
import type pg from 'pg';
import { throwIfAborted } from '../../../errors.js';
import type { Item } from '../../../parse/index.js';
import { type Bm25Stats, bm25Score, tokenize } from '../../search/bm25.js';
import { faultPoint } from '../fault-points.js';
import { stateJson } from '../file/state-patch.js';
import {
  compareScored,
  dot,
  type ExactQuery,
  type GraphQuery,
  type LensStorage,
  type ScoredItem,
  type StorageFilter,
  type StorageInfo,
  type StoredRow,
  type StoredSalon,
  type WriteOptions,
  type WriteTransaction,
} from '../seam.js';
import { connectStore as connect, waitForWriteLock } from './pg-connect.js';
import { runIndexSearch, vectorFromBinary, vectorLiteral, vectorQuerySql } from './pg-queries.js';
import { swapStaging } from './pg-schema.js';
import {
  documentFrequencies,
  fromOf,
  ITEM_COLUMNS,
  type ItemRow,
  insertItems,
  insertSalons,
  itemOf,
  lexicalCandidates,
  type Meta,
  nextGeneration,
  type PgAddress,
  parseVector,
  quoteIdent,
  readSalons,
  STORE_TABLES,
  totalTermCount,
  upsertState,
  usePath,
  whereOf,
} from './pg-sql.js';
import {
  isStatisticsValue,
  readStatistics,
  STATISTICS_KEY,
  StatisticsCache,
  writeStatistics,
} from './pg-statistics.js';

/** Rows per INSERT statement when writing items. */
const INSERT_BATCH = 500;
/** pgvector's upper bound for hnsw.ef_search. */
const PG_MAX_EF = 1000;
/** Filter counts kept (a search's filters repeat: a section, a salon list). */
const COUNTS_KEPT = 64;
/** Extra rows fetched beyond k when Postgres orders by its own distance, re-ranked in JS. */
const RERANK_MARGIN = 10;

export class PgStore implements LensStorage {
  readonly #address: PgAddress;
  readonly #reader: pg.Client;
  #writer: pg.Client | undefined;
  readonly #readOnly: boolean;
  #meta: Meta;
  #ef: number;
  #salons: StoredSalon[] = [];
  #salonById = new Map<string, StoredSalon>();
  #salonOrder = new Map<string, number>();
  /** Total BM25 token count of the stored items, for the generation it was read at. */
  #lengths: { generation: number; total: number } | undefined;
  /** Filter → item count, for the generation it was counted at (see count). */
  #counts = new Map<string, { generation: number; n: number }>();
  /**
   * Set while this store replaces an existing one (create with force) and has not
   * committed a write: the schema it is built in, swapped in by that first commit.
   */
  #staging: string | undefined;
  /** Rows read so far, in a view of a pending write only (the write's own k-NN searches reread them). */
  #pendingRows: Map<string, StoredRow> | undefined;
  #allPending = false;
  /** The saved statistics' blocks as last read or written (pg-statistics.ts). */
  readonly #statistics: StatisticsCache;

  private constructor(
    address: PgAddress,
    reader: pg.Client,
    meta: Meta,
    readOnly: boolean,
    statistics = new StatisticsCache(),
  ) {
    this.#address = address;
    this.#reader = reader;
    this.#meta = meta;
    this.#readOnly = readOnly;
    this.#ef = meta.hnsw.ef;
    this.#statistics = statistics;
  }

  /** @internal use createPgStore / openPgStore */
  static async _open(
    address: PgAddress,
    reader: pg.Client,
    meta: Meta,
    readOnly: boolean,
    ef?: number,
    staging?: string,
  ): Promise<PgStore> {
    const store = new PgStore(address, reader, meta, readOnly);
    store.#staging = staging;
    await reader.query('SET hnsw.iterative_scan = strict_order');
    await store.#applyEf(ef ?? meta.hnsw.ef);
    await store.#loadSalons();
    return store;
  }

  /**
   * The store as the open transaction on `client` sees it (rows it wrote included),
   * for derived state computed inside a write. Never closed: the client is the writer's.
   */
  async #pendingView(client: pg.Client, meta: Meta): Promise<PgStore> {
    const view = new PgStore(this.#address, client, meta, true, this.#statistics);
    view.#pendingRows = new Map();
    await client.query('SET LOCAL hnsw.iterative_scan = strict_order');
    await client.query(`SET LOCAL hnsw.ef_search = ${Math.max(1, Math.min(this.#ef, PG_MAX_EF))}`);
    view.#ef = this.#ef;
    await view.#loadSalons();
    return view;
  }

  get location(): string {
    return this.#address.display;
  }

  get readOnly(): boolean {
    return this.#readOnly;
  }

  info(): StorageInfo {
    return {
      location: this.location,
      format: { name: this.#meta.format, version: this.#meta.version },
      generation: this.#meta.generation,
      updatedAt: this.#meta.updatedAt,
      embedder: { ...this.#meta.embedder },
      metric: 'cosine',
      itemCount: this.#salons.reduce((n, s) => n + s.itemCount, 0),
      salonCount: this.#salons.length,
      hnsw: { ...this.#meta.hnsw, ef: this.#ef },
    };
  }

  salons(): StoredSalon[] {
    return this.#salons.map((s) => ({ ...s }));
  }

  salon(id: string): StoredSalon | undefined {
    return this.#salonById.get(id);
  }

  async refresh(): Promise<void> {
    if (this.#pendingRows) return; // a view inside a write: nobody else can write now
    const r = await this.#reader.query<{ value: Meta }>(
      `SELECT value FROM meta WHERE key = 'store'`,
    );
    const meta = r.rows[0]?.value;
    if (meta && meta.generation !== this.#meta.generation) {
      this.#meta = { ...meta, hnsw: { ...meta.hnsw } };
      await this.#loadSalons();
    }
  }

  async rows(filter: StorageFilter = {}): Promise<StoredRow[]> {
    await this.refresh();
    const params: unknown[] = [];
    const w = whereOf(filter, params);
    const r = await this.#reader.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS}, i.embedding::text AS embedding FROM ${fromOf(w.joinSalons)} ${w.sql}`,
      params,
    );
    return r.rows
      .sort(
        (a, b) =>
          (this.#salonOrder.get(a.salon_id) ?? 0) - (this.#salonOrder.get(b.salon_id) ?? 0) ||
          a.doc_index - b.doc_index,
      )
      .map((row) => ({ item: itemOf(row), vector: parseVector(row.embedding as string) }));
  }

  async row(itemId: string): Promise<StoredRow | undefined> {
    const known = this.#pendingRows?.get(itemId);
    if (known) return known;
    await this.refresh();
    const r = await this.#reader.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS}, i.embedding::text AS embedding FROM items i WHERE i.id = $1`,
      [itemId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const stored = { item: itemOf(row), vector: parseVector(row.embedding as string) };
    this.#pendingRows?.set(itemId, stored);
    return stored;
  }

  /**
   * Items passing the filter: from the salon list in memory when the filter is by
   * salon only, else counted by Postgres (kept per generation unless it leaves out
   * single items, which differ per query).
   */
  async count(filter: StorageFilter = {}): Promise<number> {
    const bySalon = this.#countBySalon(filter);
    if (bySalon === 0 && !this.#pendingRows) {
      // Nothing will be searched, so nothing tells us the generation: check it now.
      await this.refresh();
      return this.#countBySalon(filter) as number;
    }
    if (bySalon !== undefined) return bySalon;
    const key = (filter.excludeItems?.length ?? 0) === 0 ? JSON.stringify(filter) : undefined;
    const known = key === undefined ? undefined : this.#counts.get(key);
    if (known && known.generation === this.#meta.generation) return known.n;
    const params: unknown[] = [];
    const w = whereOf(filter, params);
    const r = await this.#reader.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${fromOf(w.joinSalons)} ${w.sql}`,
      params,
    );
    const n = Number(r.rows[0]?.n ?? 0);
    if (n === 0 && !this.#pendingRows) await this.refresh();
    if (this.#counts.size >= COUNTS_KEPT) this.#counts.clear();
    if (key !== undefined) this.#counts.set(key, { generation: this.#meta.generation, n });
    return n;
  }

  /** Top-k by cosine, every passing row scored (inside the SQL, then re-scored in JS). */
  exactSearch({ vector, k, filter = {} }: ExactQuery): Promise<ScoredItem[]> {
    return this.#current(() => this.#search(vector, k, filter, true));
  }

  /**
   * Top-k by the HNSW index with the filter inside the SQL: the index scan keeps
   * going (iterative scan) until k rows pass it or it runs out.
   */
  graphSearch({ vector, k, ef, filter = {} }: GraphQuery): Promise<ScoredItem[]> {
    return this.#current(async () => {
      const own = Math.min(ef, PG_MAX_EF) === this.#ef;
      if (!own) await this.#applyEf(ef, false);
      try {
        return await this.#search(vector, k, filter, false);
      } finally {
        if (!own) await this.#applyEf(this.#ef, false);
      }
    });
  }

  /**
   * Run a search; when it read another generation than ours (another process
   * wrote), refresh and run it again. A search reports the generation it read, so
   * the check costs no round trip of its own.
   */
  async #current(
    search: () => Promise<{ hits: ScoredItem[]; generation?: number }>,
  ): Promise<ScoredItem[]> {
    const first = await search();
    if (first.generation === undefined || first.generation === this.#meta.generation)
      return first.hits;
    await this.refresh();
    return (await search()).hits;
  }

  /**
   * BM25 with the file store's tokens, kept per item in a GIN-indexed `terms`
   * column: Postgres finds the items holding any query term (filter included) and
   * the terms' document frequencies; scoring is the file store's, so both stores
   * rank alike. (Postgres full text ranked differently: see docs/scaling.md.)
   */
  async lexical(text: string, k: number, filter: StorageFilter = {}): Promise<ScoredItem[]> {
    await this.refresh();
    const terms = [...new Set(tokenize(text))];
    if (terms.length === 0) return [];
    const stats = await this.#termStats(terms);
    return (await lexicalCandidates(this.#reader, terms, filter))
      .map((row) => ({ item: itemOf(row), score: bm25Score(terms, row.terms, stats) }))
      .sort(compareScored)
      .slice(0, k);
  }

  async scores(vector: Float32Array, itemIds: readonly string[]): Promise<number[]> {
    let byId: Map<string, { vector: Float32Array } | undefined>;
    if (this.#pendingRows) byId = await this.#allPendingRows();
    else {
      const r = await this.#reader.query<{ id: string; embedding: string }>(
        'SELECT id, embedding::text AS embedding FROM items WHERE id = ANY($1)',
        [[...itemIds]],
      );
      byId = new Map(r.rows.map((row) => [row.id, { vector: parseVector(row.embedding) }]));
    }
    return itemIds.map((id) => {
      const v = byId.get(id)?.vector;
      return v ? dot(vector, v) : Number.NaN;
    });
  }

  /**
   * Every row, in a view of a pending write: its statistics update checks pairs
   * one at a time, thousands per added salon, which took a round trip each (74 s
   * for one 30-item salon at 2,000 items). One binary read of all vectors instead.
   */
  async #allPendingRows(): Promise<Map<string, StoredRow>> {
    const rows = this.#pendingRows as Map<string, StoredRow>;
    if (this.#allPending) return rows;
    const r = await this.#reader.query<ItemRow & { bytes: Buffer }>(
      `SELECT ${ITEM_COLUMNS}, vector_send(i.embedding) AS bytes FROM items i`,
    );
    for (const row of r.rows)
      if (!rows.has(row.id))
        rows.set(row.id, { item: itemOf(row), vector: vectorFromBinary(row.bytes) });
    this.#allPending = true;
    return rows;
  }

  get ef(): number {
    return this.#ef;
  }

  setEf(ef: number): void {
    this.#ef = Math.min(ef, PG_MAX_EF);
    // Applied before the next query on this connection (queries run in order).
    void this.#applyEf(this.#ef).catch(() => undefined);
  }

  /**
   * One write: BEGIN, the schema's advisory lock (a second writer waits here), the
   * changes as the lens sends them, then at commit a new generation and COMMIT. Any
   * failure or abort rolls back; a killed process's open transaction is rolled back
   * by the server.
   */
  async begin({ signal, onProgress: progress }: WriteOptions): Promise<WriteTransaction> {
    const client = await this.#writerClient();
    await client.query('BEGIN');
    let base: Meta;
    let salonsBefore: StoredSalon[];
    try {
      await waitForWriteLock(client, this.#address);
      faultPoint('pg: locked');
      // The generation this write builds on, read under the lock.
      const meta = await client.query<{ value: Meta }>(
        `SELECT value FROM meta WHERE key = 'store'`,
      );
      base = meta.rows[0]?.value ?? this.#meta;
      salonsBefore = await readSalons(client);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    const afterCommit: Array<() => void> = [];
    let pending: Array<{ item: Item; docIndex: number }> = [];
    let inserted = 0;
    let view: PgStore | undefined;
    return {
      salonsBefore,
      remove: async (salonIds) => {
        const dropped = await client.query<{ id: string }>(
          'DELETE FROM items WHERE salon_id = ANY($1) RETURNING id',
          [[...salonIds]],
        );
        await client.query('DELETE FROM salons WHERE id = ANY($1)', [[...salonIds]]);
        faultPoint('pg: old rows deleted');
        return dropped.rows.map((row) => row.id);
      },
      insert: async (upsert) => {
        pending = upsert.flatMap(({ salon }) =>
          salon.items.map((item, docIndex) => ({ item, docIndex })),
        );
        await insertSalons(client, upsert);
      },
      insertItems: async (_items, vectors) => {
        for (let start = 0; start < vectors.length; start += INSERT_BATCH) {
          throwIfAborted(signal, 'addSalons');
          const from = inserted + start;
          const batch = pending.slice(from, from + Math.min(INSERT_BATCH, vectors.length - start));
          await insertItems(client, batch, vectors.slice(start, start + batch.length));
          const done = from + batch.length;
          progress({ stage: 'index', done, total: pending.length });
          faultPoint(`pg: inserted ${done} items`);
        }
        inserted += vectors.length;
      },
      pending: async () => {
        view ??= await this.#pendingView(client, base);
        return view;
      },
      setState: async (key, value) => {
        if (key === STATISTICS_KEY) faultPoint('pg: statistics computed');
        afterCommit.push(await this.#writeState(client, base.generation, key, value));
      },
      commit: async () => {
        throwIfAborted(signal, 'save');
        await nextGeneration(client);
        if (this.#staging) {
          await swapStaging(client, this.#staging, this.#address.schema, STORE_TABLES);
        }
        faultPoint('pg: before commit');
        await client.query('COMMIT');
        if (this.#staging) {
          this.#staging = undefined;
          await usePath(client, this.#address.schema);
          await usePath(this.#reader, this.#address.schema);
        }
        for (const done of afterCommit) done();
        await this.refresh();
      },
      abort: async () => {
        await client.query('ROLLBACK').catch(() => undefined);
      },
    };
  }

  /**
   * A state value into the write's transaction: the statistics into their table
   * (changed blocks only), anything else as a JSON row. Returns what to do once the
   * transaction commits.
   */
  async #writeState(
    client: pg.Client,
    generation: number,
    key: string,
    value: unknown,
  ): Promise<() => void> {
    if (key !== STATISTICS_KEY || !isStatisticsValue(value)) {
      await upsertState(client, key, stateJson(value));
      return () => {};
    }
    const schema = quoteIdent(this.#staging ?? this.#address.schema);
    const generations = { base: generation, next: generation + 1 };
    return (await writeStatistics(client, schema, this.#statistics, generations, value)).commit;
  }

  async readState(key: string): Promise<unknown> {
    if (key === STATISTICS_KEY)
      return readStatistics(
        this.#reader,
        quoteIdent(this.#staging ?? this.#address.schema),
        this.#statistics,
      );
    const r = await this.#reader.query<{ value: unknown }>(
      'SELECT value FROM state WHERE key = $1',
      [key],
    );
    return r.rows[0]?.value;
  }

  async close(): Promise<void> {
    if (this.#staging) {
      // A rebuild that never committed: the old store stands; its staging schema goes.
      await this.#reader
        .query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.#staging)} CASCADE`)
        .catch(() => undefined);
      this.#staging = undefined;
    }
    await Promise.all([
      this.#reader.end().catch(() => undefined),
      this.#writer?.end().catch(() => undefined),
    ]);
    this.#writer = undefined;
  }

  // ---------------------------------------------------------------- internals

  async #loadSalons(): Promise<void> {
    this.#salons = await readSalons(this.#reader);
    this.#salonById = new Map(this.#salons.map((s) => [s.id, s]));
    this.#salonOrder = new Map(this.#salons.map((s, i) => [s.id, i]));
  }

  /** Document count, mean length and each term's document frequency (all items, like the file store). */
  async #termStats(terms: string[]): Promise<Bm25Stats> {
    if (this.#lengths?.generation !== this.#meta.generation) {
      const total = await totalTermCount(this.#reader);
      this.#lengths = { generation: this.#meta.generation, total };
    }
    const n = this.info().itemCount;
    return {
      n,
      avgLength: n === 0 ? 0 : this.#lengths.total / n,
      df: await documentFrequencies(this.#reader, terms),
    };
  }

  async #applyEf(ef: number, remember = true): Promise<void> {
    const value = Math.max(1, Math.min(Math.floor(ef), PG_MAX_EF));
    if (remember) this.#ef = value;
    await this.#reader.query(`SET hnsw.ef_search = ${value}`);
  }

  /** Items passing a filter on salons only, from the salon list in memory (no query). */
  #countBySalon(f: StorageFilter): number | undefined {
    const { salon, excludeSalon, ...rest } = f;
    if (Object.values(rest).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0)))
      return undefined;
    const only = salon === undefined ? undefined : new Set([salon].flat());
    const skip = new Set([excludeSalon ?? []].flat());
    let n = 0;
    for (const s of this.#salons)
      if ((!only || only.has(s.id)) && !skip.has(s.id)) n += s.itemCount;
    return n;
  }

  /**
   * Postgres orders by its own distance (the HNSW index, or `+ 0` to keep the planner
   * off the index for an exact scan); the rows are then re-scored and ranked in JS.
   */
  async #search(
    q: Float32Array,
    k: number,
    filter: StorageFilter,
    exact: boolean,
  ): Promise<{ hits: ScoredItem[]; generation?: number }> {
    const params: unknown[] = [vectorLiteral(q)];
    const w = whereOf(filter, params);
    const sql = vectorQuerySql(
      ITEM_COLUMNS,
      fromOf(w.joinSalons),
      w.sql,
      exact ? k + RERANK_MARGIN : k,
      exact,
    );
    type Row = ItemRow & { generation: string };
    const rows = exact
      ? (await this.#reader.query<Row>(sql, params)).rows
      : await runIndexSearch<Row>(this.#reader, sql, params);
    if (!rows[0] && !this.#pendingRows) await this.refresh();
    const hits = rows
      .map((row) => ({
        item: itemOf(row),
        score: dot(q, parseVector(row.embedding as string)),
      }))
      .sort(compareScored)
      .slice(0, k);
    return rows[0] ? { hits, generation: Number(rows[0].generation) } : { hits };
  }

  async #writerClient(): Promise<pg.Client> {
    if (!this.#writer) {
      this.#writer = await connect(this.#address);
      await usePath(this.#writer, this.#staging ?? this.#address.schema);
    }
    return this.#writer;
  }
}
