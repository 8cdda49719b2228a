/**
 * The Postgres + pgvector store: salons, items (with a `vector` column under an
 * HNSW cosine index and a full-text `tsvector`), derived state and a meta row, in
 * one schema. Filters run inside the SQL query (pgvector 0.8 iterative index scans);
 * every write is one transaction under a per-schema advisory lock (pg-write.ts), so
 * concurrent writers from several processes queue instead of overwriting each other,
 * and readers see a salon entirely or not at all.
 *
 *   const store = await openPgStore(parseStoreAddress('postgres://u@db/app?schema=lens'), { embedder }); // pg-open.ts
 *   const hits = await nearest(store, { vector, k: 5, filter: { section: 'question' } });
 *
 * Scores are recomputed in JS from the stored float32 vectors, exactly as the file
 * store computes them, so both stores rank and tie the same way.
 */
import type pg from 'pg';
import { bm25Score, tokenize } from '../../search/bm25.js';
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
import { connectStore as connect } from './pg-connect.js';
import { countBySalonFilter } from './pg-filter-counts.js';
import { KEYWORD_INDEX_MAX_ITEMS, KeywordIndex } from './pg-keyword-index.js';
import { FILTER_PARAMS_FROM, PgLexical } from './pg-lexical.js';
import { Pipeline } from './pg-pipeline.js';
import { runVectorQuery, vectorFromBinary, vectorLiteral, vectorQuerySql } from './pg-queries.js';
import { Confirmation, RowCache, readRows, TickBatch } from './pg-row-reads.js';
import {
  fromOf,
  ITEM_COLUMNS,
  type ItemRow,
  itemOf,
  type Meta,
  type PgAddress,
  quoteIdent,
  readSalons,
  totalTermCount,
  usePath,
  whereOf,
} from './pg-sql.js';
import { readStatistics, STATISTICS_KEY, StatisticsCache } from './pg-statistics.js';
import { beginPgWrite } from './pg-write.js';

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
  /** Rows read at the current generation (pg-row-reads.ts): a search reads each vector once. */
  readonly #rowCache = new RowCache();
  readonly #rowBatch = new TickBatch((ids) => this.#readRows(ids));
  readonly #confirmed = new Confirmation();
  /** Keyword search with document frequencies kept per generation (pg-lexical.ts). */
  readonly #lexical = new PgLexical();
  /** Keyword search in this process up to KEYWORD_INDEX_MAX_ITEMS items (pg-keyword-index.ts). */
  readonly #keywords = new KeywordIndex();
  /** The reader's statements of one turn in one message (pg-pipeline.ts). */
  readonly #pipeline: Pipeline;

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
    this.#pipeline = new Pipeline(reader);
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
    const r = await this.#reader.query<ItemRow & { bytes: Buffer }>(
      `SELECT ${ITEM_COLUMNS}, vector_send(i.embedding) AS bytes FROM ${fromOf(w.joinSalons)} ${w.sql}`,
      params,
    );
    return this.#inSalonOrder(r.rows).map((row) => ({
      item: itemOf(row),
      vector: vectorFromBinary(row.bytes),
    }));
  }

  async row(itemId: string): Promise<StoredRow | undefined> {
    const pending = this.#pendingRows;
    if (!pending) return this.#rowBatch.get(itemId);
    const known = pending.get(itemId);
    if (known) return known;
    const r = await this.#reader.query<ItemRow & { bytes: Buffer }>(
      `SELECT ${ITEM_COLUMNS}, vector_send(i.embedding) AS bytes FROM items i WHERE i.id = $1`,
      [itemId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const stored = { item: itemOf(row), vector: vectorFromBinary(row.bytes) };
    pending.set(itemId, stored);
    return stored;
  }

  /**
   * Rows as of the store's current generation, in one statement that also tells it
   * (pg-row-reads.ts): those the last searches read come from memory unless another
   * process has written since, which refreshes this store's view.
   */
  async #readRows(ids: readonly string[]): Promise<Map<string, StoredRow>> {
    const generation = this.#meta.generation;
    const read = await readRows(
      this.#reader,
      ids,
      this.#rowCache,
      generation,
      this.#confirmed.holds(generation),
    );
    if (read.generation !== generation) await this.refresh();
    else this.#confirmed.confirm(generation);
    return read.rows;
  }

  /**
   * Items passing the filter: from the salon list in memory when the filter is by
   * salon only, else counted by Postgres (kept per generation unless it leaves out
   * single items, which differ per query).
   */
  async count(filter: StorageFilter = {}): Promise<number> {
    const bySalon = countBySalonFilter(this.#salons, filter);
    if (bySalon === 0 && !this.#pendingRows) {
      // Nothing will be searched, so nothing tells us the generation: check it now.
      await this.refresh();
      return countBySalonFilter(this.#salons, filter) as number;
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
   * column: one statement finds the best items holding any query term (filter
   * included; document frequencies kept per generation, pg-lexical.ts); they are
   * scored again with the file store's code, so both stores rank alike. (Postgres
   * full text ranked differently: see docs/scaling.md.)
   */
  async lexical(text: string, k: number, filter: StorageFilter = {}): Promise<ScoredItem[]> {
    const terms = [...new Set(tokenize(text))];
    if (terms.length === 0) return this.refresh().then(() => []);
    if (!this.#pendingRows && this.info().itemCount <= KEYWORD_INDEX_MAX_ITEMS)
      return this.#lexicalHere(text, k, filter);
    for (let attempt = 0; ; attempt++) {
      const generation = this.#meta.generation;
      const itemCount = this.info().itemCount;
      const termTotal = itemCount === 0 ? 0 : await this.#termTotal();
      // The filter's parameters come after the keyword search's own (pg-lexical.ts).
      const params: unknown[] = new Array(FILTER_PARAMS_FROM - 1);
      const w = whereOf(filter, params);
      const read = await this.#lexical.search(this.#reader, this.#pipeline, {
        terms,
        k,
        columns: ITEM_COLUMNS,
        from: fromOf(w.joinSalons),
        where: w.sql,
        whereParams: params.slice(FILTER_PARAMS_FROM - 1),
        itemCount,
        termTotal,
        generation,
      });
      // Counts and lengths are of the generation we know: another one was read, so again.
      if (read.generation !== generation && attempt === 0 && !this.#pendingRows) {
        await this.refresh();
        continue;
      }
      const rows = read.rows.map((row) => ({
        item: itemOf(row as unknown as ItemRow),
        vector: vectorFromBinary(row.bytes),
        score: bm25Score(terms, row.terms, read.stats),
      }));
      if (!this.#pendingRows && read.generation === generation) {
        this.#rowCache.put(generation, rows);
        this.#confirmed.confirm(generation);
      }
      return rows
        .map(({ item, score }) => ({ item, score }))
        .sort(compareScored)
        .slice(0, k);
    }
  }

  /**
   * Keyword search in this process (pg-keyword-index.ts) once the server has told
   * the generation, in the same message as the search's vector query.
   */
  async #lexicalHere(text: string, k: number, filter: StorageFilter): Promise<ScoredItem[]> {
    const [r] = await this.#pipeline.run<{ generation: string }>(
      `SELECT value->>'generation' AS generation FROM meta WHERE key = 'store'`,
      1,
    );
    const generation = Number(r?.rows[0]?.generation);
    if (generation !== this.#meta.generation) await this.refresh();
    else this.#confirmed.confirm(generation);
    const load = async () => {
      const items = await this.#reader.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items i`);
      return this.#inSalonOrder(items.rows).map(itemOf);
    };
    return this.#keywords.search(this.#meta.generation, load, text, k, filter, this.#salonById);
  }

  async scores(vector: Float32Array, itemIds: readonly string[]): Promise<number[]> {
    const byId = this.#pendingRows ? await this.#allPendingRows() : await this.#readRows(itemIds);
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

  /** One write transaction (pg-write.ts), on this store's writer connection. */
  async begin(options: WriteOptions): Promise<WriteTransaction> {
    const client = await this.#writerClient();
    return beginPgWrite(
      {
        client,
        address: this.#address,
        fallbackMeta: this.#meta,
        statistics: this.#statistics,
        staging: () => this.#staging,
        pendingView: (base) => this.#pendingView(client, base),
        committed: async () => {
          if (this.#staging) {
            this.#staging = undefined;
            await usePath(client, this.#address.schema);
            await usePath(this.#reader, this.#address.schema);
          }
          await this.refresh();
        },
      },
      options,
    );
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

  /** Rows in the one stored order: salon order, then document order (sorted in place). */
  #inSalonOrder<T extends ItemRow>(rows: T[]): T[] {
    return rows.sort(
      (a, b) =>
        (this.#salonOrder.get(a.salon_id) ?? 0) - (this.#salonOrder.get(b.salon_id) ?? 0) ||
        a.doc_index - b.doc_index,
    );
  }

  async #loadSalons(): Promise<void> {
    this.#salons = await readSalons(this.#reader);
    this.#salonById = new Map(this.#salons.map((s) => [s.id, s]));
    this.#salonOrder = new Map(this.#salons.map((s, i) => [s.id, i]));
  }

  /** Terms in all items together (BM25's mean length, like the file store), once per generation. */
  async #termTotal(): Promise<number> {
    if (this.#lengths?.generation !== this.#meta.generation) {
      const total = await totalTermCount(this.#reader);
      this.#lengths = { generation: this.#meta.generation, total };
    }
    return this.#lengths.total;
  }

  async #applyEf(ef: number, remember = true): Promise<void> {
    const value = Math.max(1, Math.min(Math.floor(ef), PG_MAX_EF));
    if (remember) this.#ef = value;
    await this.#reader.query(`SET hnsw.ef_search = ${value}`);
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
    // Inside a write the rows come with the hits (the pending view keeps no cache);
    // otherwise the vectors come from the row cache, and only missing ones are read.
    const inWrite = this.#pendingRows !== undefined;
    const sql = vectorQuerySql(
      ITEM_COLUMNS,
      fromOf(w.joinSalons),
      w.sql,
      exact ? k + RERANK_MARGIN : k,
      exact,
      inWrite,
    );
    type Row = ItemRow & { generation: string; bytes?: Buffer };
    const rows = await runVectorQuery<Row>(this.#pipeline, this.#reader, sql, params, exact);
    if (!rows[0]) {
      if (!inWrite) await this.refresh();
      return { hits: [] };
    }
    let generation = Number(rows[0].generation);
    let stored: StoredRow[];
    if (inWrite) {
      stored = rows.map((row) => ({
        item: itemOf(row),
        vector: vectorFromBinary(row.bytes as Buffer),
      }));
    } else {
      const ids = rows.map((row) => row.id);
      // Rows of one generation never change, so the cache answers for the generation the
      // query read; when that is not ours (another process wrote), a statement checks it
      // and `#current` then refreshes and asks again.
      const known = generation === this.#meta.generation;
      if (known) this.#confirmed.confirm(generation);
      const read = await readRows(this.#reader, ids, this.#rowCache, generation, known);
      stored = rows.flatMap((row) => {
        const vector = read.rows.get(row.id)?.vector;
        return vector ? [{ item: itemOf(row), vector }] : [];
      });
      // Vectors of a later generation than the hits (a write in between): say so, so
      // that `#current` refreshes and asks again.
      generation = read.generation;
    }
    const hits = stored
      .map((row) => ({ item: row.item, score: dot(q, row.vector) }))
      .sort(compareScored)
      .slice(0, k);
    return { hits, generation };
  }

  async #writerClient(): Promise<pg.Client> {
    if (!this.#writer) {
      this.#writer = await connect(this.#address);
      await usePath(this.#writer, this.#staging ?? this.#address.schema);
    }
    return this.#writer;
  }
}
