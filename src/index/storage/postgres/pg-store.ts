/**
 * The Postgres + pgvector store: salons, items (with a `vector` column under an
 * HNSW cosine index and a full-text `tsvector`), derived state and a meta row, in
 * one schema. Filters run inside the SQL query (pgvector 0.8 iterative index scans);
 * every write is one transaction under a per-schema advisory lock, so concurrent
 * writers from several processes queue instead of overwriting each other, and
 * readers see a salon entirely or not at all.
 *
 *   const store = await openPgStore(parseStoreAddress('postgres://u@db/app?schema=lens'), { embedder });
 *   const hits = await store.nearest({ vector, k: 5, filter: { section: 'question' } });
 *
 * Scores are recomputed in JS from the stored float32 vectors, exactly as the file
 * store computes them, so both stores rank and tie the same way.
 */
import type pg from 'pg';
import type { Embedder } from '../../../embed/index.js';
import { parseOptions, SalonLensError, throwIfAborted } from '../../../errors.js';
import { compareSalons } from '../../../parse/index.js';
import type { StoreAddress } from '../address.js';
import { tokenize } from '../../search/bm25.js';
import { faultPoint } from '../fault-points.js';
import type { FileProblem, HnswParams, StoredSalon } from '../file/manifest.js';
import {
  type CreateLensOptions,
  CreateLensOptionsSchema,
  LENS_DEFAULTS,
  type OpenLensOptions,
  OpenLensOptionsSchema,
} from '../../options.js';
import { connectStore, waitForWriteLock } from './pg-connect.js';
import { createPrivilegeError, extensionError } from './pg-errors.js';
import { countBySalonFilter, FilterCounts } from './pg-filter-counts.js';
import { KEYWORD_INDEX_MAX_ITEMS, KeywordIndex } from './pg-keyword-index.js';
import { bm25Score, FILTER_PARAMS_FROM, PgLexical } from './pg-lexical.js';
import { Pipeline } from './pg-pipeline.js';
import {
  plansIndexScan,
  runVectorQuery,
  vectorFromBinary,
  vectorLiteral,
  vectorQuerySql,
} from './pg-queries.js';
import {
  Confirmation,
  ITEM_COLUMNS,
  type ItemRow,
  itemOf,
  RowCache,
  readRows,
  TickBatch,
} from './pg-row-reads.js';
import {
  claimStaging,
  dropAbandonedStaging,
  foreignObjects,
  newStagingName,
  schemaInUse,
  swapStaging,
  tablesOf,
} from './pg-schema.js';
import {
  isStatisticsValue,
  readStatistics,
  STATISTICS_KEY,
  STATISTICS_TABLE_SQL,
  StatisticsCache,
  writeStatistics,
} from './pg-statistics.js';
import { stateJson } from '../file/state-patch.js';
import {
  compareScored,
  dot,
  embedderMismatch,
  type LensStorage,
  type NearestQuery,
  type SalonChanges,
  type ScoredItem,
  type StorageFilter,
  type StorageInfo,
  type StoredRow,
} from '../seam.js';
import type { VerifyReport } from '../file/store-files.js';

type PgAddress = Extract<StoreAddress, { kind: 'postgres' }>;

export const PG_STORE_FORMAT = 'salon-lens-pg';
export const PG_STORE_VERSION = 1;
/** Rows per INSERT statement when writing items. */
const INSERT_BATCH = 500;
/** pgvector's upper bound for hnsw.ef_search. */
const PG_MAX_EF = 1000;
/** Extra rows fetched beyond k when Postgres orders by its own distance, re-ranked in JS. */
const RERANK_MARGIN = 10;

interface Meta {
  format: string;
  version: number;
  embedder: { id: string; dim: number };
  metric: 'cosine';
  hnsw: HnswParams;
  generation: number;
  updatedAt: string;
}

/** `{"a","b"}`: a text[] literal, every element quoted. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** WHERE clause of a filter, with its parameters appended to `params`. */
function whereOf(f: StorageFilter, params: unknown[]): { sql: string; joinSalons: boolean } {
  const parts: string[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (f.section !== undefined) parts.push(`i.section = ANY(${add([f.section].flat())})`);
  if (f.salon !== undefined) parts.push(`i.salon_id = ANY(${add([f.salon].flat())})`);
  if (f.excludeSalon !== undefined)
    parts.push(`NOT (i.salon_id = ANY(${add([f.excludeSalon].flat())}))`);
  if (f.excludeItems && f.excludeItems.length > 0)
    parts.push(`NOT (i.id = ANY(${add([...f.excludeItems])}))`);
  // Undated salons fail both comparisons (NULL), as in the file store.
  if (f.dateFrom) parts.push(`s.date >= ${add(f.dateFrom)}`);
  if (f.dateTo) parts.push(`s.date <= ${add(f.dateTo)}`);
  return {
    sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '',
    joinSalons: Boolean(f.dateFrom || f.dateTo),
  };
}

function fromOf(joinSalons: boolean): string {
  return joinSalons ? 'items i JOIN salons s ON s.id = i.salon_id' : 'items i';
}

function hasFilter(f: StorageFilter): boolean {
  return (
    f.section !== undefined ||
    f.salon !== undefined ||
    f.excludeSalon !== undefined ||
    (f.excludeItems?.length ?? 0) > 0 ||
    Boolean(f.dateFrom || f.dateTo)
  );
}

/** A connected client (timeouts, mapped errors: pg-connect.ts). */
const connect = connectStore;

async function usePath(client: pg.Client, schema: string): Promise<void> {
  const ext = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vector'`,
  );
  const extSchema = ext.rows[0]?.nspname;
  const path = [schema, ...(extSchema && extSchema !== schema ? [extSchema] : [])];
  await client.query(`SET search_path TO ${path.map(quoteIdent).join(', ')}`);
}

async function readMeta(client: pg.Client, schema: string): Promise<Meta | undefined> {
  // A `meta` table of someone else's (other columns) is no store: not an SQL error.
  const shape = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND NOT attisdropped
       AND ((attname = 'key' AND atttypid = 'text'::regtype)
         OR (attname = 'value' AND atttypid = 'jsonb'::regtype))`,
    [`${quoteIdent(schema)}.meta`],
  );
  if (shape.rows[0]?.n !== 2) return undefined;
  const r = await client.query<{ value: Meta }>(
    `SELECT value FROM ${quoteIdent(schema)}.meta WHERE key = 'store'`,
  );
  return r.rows[0]?.value;
}

function notFound(address: PgAddress): SalonLensError {
  return new SalonLensError(
    'STORE_NOT_FOUND',
    `No lens store in schema "${address.schema}" of ${address.display}. ` +
      `Create one with: salon-lens index <folders> --store '${address.display}'`,
    { details: { dir: address.display } },
  );
}

function checkFormat(address: PgAddress, meta: Meta): void {
  if (meta.format === PG_STORE_FORMAT && meta.version <= PG_STORE_VERSION) return;
  const problem =
    meta.format !== PG_STORE_FORMAT
      ? `holds a "${meta.format}" meta row, not a salon-lens store`
      : `uses store format version ${meta.version}, newer than this salon-lens reads (${PG_STORE_VERSION})`;
  throw new SalonLensError('STORE_CORRUPT', `Schema "${address.schema}" ${problem}.`, {
    details: {
      dir: address.display,
      file: `${address.schema}.meta`,
      problem,
      ...(meta.format === PG_STORE_FORMAT ? { reason: 'newer-format' } : {}),
    },
  });
}

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
  readonly #filterCounts = new FilterCounts();
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
    return r.rows
      .sort(
        (a, b) =>
          (this.#salonOrder.get(a.salon_id) ?? 0) - (this.#salonOrder.get(b.salon_id) ?? 0) ||
          a.doc_index - b.doc_index,
      )
      .map((row) => ({ item: itemOf(row), vector: vectorFromBinary(row.bytes) }));
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
   * Top-k by cosine among items passing the filter, which runs inside the SQL:
   * the HNSW index scan keeps going (iterative scan) until k rows pass it. A
   * filter leaving at most `exactBelow` items, `exact`, or an index scan that comes
   * back short, is answered by an exact scan instead, as in the file store.
   */
  async nearest(query: NearestQuery): Promise<ScoredItem[]> {
    // No generation check of its own: the search query returns the generation it
    // read, and a search that read another one than ours runs again, refreshed.
    const seen = { generation: this.#meta.generation };
    const hits = await this.#nearest(query, seen);
    if (seen.generation === this.#meta.generation) return hits;
    await this.refresh();
    return this.#nearest(query, seen);
  }

  async #nearest(query: NearestQuery, seen: { generation: number }): Promise<ScoredItem[]> {
    const filter = query.filter ?? {};
    const method = query.method ?? 'auto';
    const matching = hasFilter(filter)
      ? await this.#count(filter, Math.max(LENS_DEFAULTS.exactBelow, query.k) + 1)
      : this.info().itemCount;
    const want = Math.min(query.k, matching);
    if (want === 0) {
      await this.refresh(); // nothing searched, so nothing told us the generation
      return [];
    }
    const useExact =
      method === 'exact' ||
      (method === 'auto' && hasFilter(filter) && matching <= LENS_DEFAULTS.exactBelow);
    if (useExact) return this.#search(query.vector, want, filter, true, seen);
    if (query.ef !== undefined) await this.#applyEf(query.ef, false);
    try {
      const hits = await this.#search(query.vector, want, filter, false, seen);
      if (method === 'auto' && hits.length < want)
        return this.#search(query.vector, want, filter, true, seen);
      return hits;
    } finally {
      if (query.ef !== undefined) await this.#applyEf(this.#ef, false);
    }
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
      return items.rows
        .sort(
          (a, b) =>
            (this.#salonOrder.get(a.salon_id) ?? 0) - (this.#salonOrder.get(b.salon_id) ?? 0) ||
            a.doc_index - b.doc_index,
        )
        .map(itemOf);
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

  async applyChanges(changes: SalonChanges): Promise<{ removedItems: number }> {
    const { signal, onProgress: progress } = changes;
    // Embed before the transaction: it then holds the lock only while it writes.
    const pending = changes.upsert.flatMap(({ salon }) =>
      salon.items.map((item, docIndex) => ({ item, docIndex })),
    );
    const vectors: Float32Array[] = [];
    for (let start = 0; start < pending.length; start += 4096) {
      const chunk = pending.slice(start, start + 4096);
      vectors.push(
        ...(await changes.embed(
          chunk.map((p) => p.item.text),
          start,
          pending.length,
        )),
      );
      throwIfAborted(signal, 'addSalons');
    }
    const removed = new Set<string>();
    await this.#transaction(signal, async (client, base) => {
      const salonsBefore = changes.derivedState ? await readSalons(client) : [];
      const ids = [...changes.upsert.map((u) => u.salon.id), ...changes.remove];
      const dropped = await client.query<{ id: string }>(
        'DELETE FROM items WHERE salon_id = ANY($1) RETURNING id',
        [ids],
      );
      const replacedItemIds = dropped.rows.map((row) => row.id);
      for (const id of replacedItemIds) removed.add(id);
      await client.query('DELETE FROM salons WHERE id = ANY($1)', [ids]);
      faultPoint('pg: old rows deleted');
      const salons = changes.upsert.map((u) => u.salon);
      await client.query(
        `INSERT INTO salons (id, title, date, source, content_hash, item_count)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[])`,
        [
          salons.map((s) => s.id),
          salons.map((s) => s.title),
          salons.map((s) => s.date ?? null),
          salons.map((s) => s.source),
          changes.upsert.map((u) => u.contentHash),
          salons.map((s) => s.items.length),
        ],
      );
      for (let start = 0; start < pending.length; start += INSERT_BATCH) {
        throwIfAborted(signal, 'addSalons');
        const batch = pending.slice(start, start + INSERT_BATCH);
        await client.query(
          `INSERT INTO items (id, salon_id, doc_index, section, text, ordinal, line, embedding, terms)
           SELECT id, salon_id, doc_index, section, text, ordinal, line, embedding, terms::text[]
           FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[],
                       $6::int[], $7::int[], $8::text[]::vector[], $9::text[])
             AS u(id, salon_id, doc_index, section, text, ordinal, line, embedding, terms)`,
          [
            batch.map((p) => p.item.id),
            batch.map((p) => p.item.salonId),
            batch.map((p) => p.docIndex),
            batch.map((p) => p.item.section),
            batch.map((p) => p.item.text),
            batch.map((p) => p.item.ordinal),
            batch.map((p) => p.item.line),
            batch.map((_, i) => vectorLiteral(vectors[start + i] as Float32Array)),
            // Tokens as a Postgres array literal per row (unnest cannot take text[][] of ragged rows).
            batch.map((p) => arrayLiteral(tokenize(p.item.text))),
          ],
        );
        for (const p of batch) removed.delete(p.item.id);
        const done = Math.min(start + INSERT_BATCH, pending.length);
        progress({ stage: 'index', done, total: pending.length });
        faultPoint(`pg: inserted ${done} items`);
      }
      if (!changes.derivedState) return undefined;
      const view = await this.#pendingView(client, base);
      const derived = await changes.derivedState({ storage: view, replacedItemIds, salonsBefore });
      throwIfAborted(signal, 'addSalons');
      faultPoint('pg: statistics computed');
      return this.#writeDerived(client, base.generation, derived);
    });
    return { removedItems: removed.size };
  }

  /**
   * Derived state into the write's transaction: the statistics into their table
   * (changed blocks only), anything else as a JSON row. Returns what to do once the
   * transaction commits.
   */
  async #writeDerived(
    client: pg.Client,
    generation: number,
    derived: Record<string, unknown>,
  ): Promise<() => void> {
    const done: Array<() => void> = [];
    for (const [key, value] of Object.entries(derived)) {
      if (key === STATISTICS_KEY && isStatisticsValue(value)) {
        const { commit } = await writeStatistics(
          client,
          quoteIdent(this.#staging ?? this.#address.schema),
          this.#statistics,
          { base: generation, next: generation + 1 },
          value,
        );
        done.push(commit);
      } else {
        await client.query(
          `INSERT INTO state (key, value) VALUES ($1, $2::jsonb)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          [key, stateJson(value)],
        );
      }
    }
    return () => {
      for (const commit of done) commit();
    };
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

  async writeState(key: string, value: unknown): Promise<void> {
    await this.#transaction(undefined, (client, base) =>
      this.#writeDerived(client, base.generation, { [key]: value }),
    );
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

  /** Terms in all items together (BM25's mean length, like the file store), once per generation. */
  async #termTotal(): Promise<number> {
    if (this.#lengths?.generation !== this.#meta.generation) {
      const r = await this.#reader.query<{ total: string | null }>(
        'SELECT sum(cardinality(terms)) AS total FROM items',
      );
      this.#lengths = { generation: this.#meta.generation, total: Number(r.rows[0]?.total ?? 0) };
    }
    return this.#lengths.total;
  }

  async #applyEf(ef: number, remember = true): Promise<void> {
    const value = Math.max(1, Math.min(Math.floor(ef), PG_MAX_EF));
    if (remember) this.#ef = value;
    await this.#reader.query(`SET hnsw.ef_search = ${value}`);
  }

  /**
   * Items passing `filter`, counted up to `cap` (the only question is: more than
   * cap?): from the salon list, or counted once per generation (pg-filter-counts.ts).
   * A count of an older generation than the server's is safe: the search after it
   * reads the generation, and on a change `nearest` refreshes and counts again.
   */
  async #count(filter: StorageFilter, cap: number): Promise<number> {
    const bySalon = countBySalonFilter(this.#salons, filter);
    if (bySalon !== undefined) return bySalon;
    const generation = this.#meta.generation;
    const known = this.#filterCounts.get(generation, filter, cap);
    if (known !== undefined) return known;
    const params: unknown[] = [];
    const w = whereOf(filter, params);
    const r = await this.#reader.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${fromOf(w.joinSalons)} ${w.sql} LIMIT ${cap}) t`,
      params,
    );
    return this.#filterCounts.put(generation, filter, cap, Number(r.rows[0]?.n ?? 0));
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
    seen: { generation: number },
  ): Promise<ScoredItem[]> {
    const params: unknown[] = [vectorLiteral(q)];
    const w = whereOf(filter, params);
    const sql = vectorQuerySql(
      ITEM_COLUMNS,
      fromOf(w.joinSalons),
      w.sql,
      exact ? k + RERANK_MARGIN : k,
      exact,
    );
    type Row = ItemRow & { generation: string; bytes: Buffer };
    const rows = await runVectorQuery<Row>(this.#pipeline, this.#reader, sql, params, exact);
    if (rows[0]) seen.generation = Number(rows[0].generation);
    else if (!this.#pendingRows) await this.refresh();
    const stored = rows.map((row) => ({ item: itemOf(row), vector: vectorFromBinary(row.bytes) }));
    // The rows the search's next reads ask for (a pending write's view has its own).
    if (!this.#pendingRows && rows[0]) {
      this.#rowCache.put(seen.generation, stored);
      if (seen.generation === this.#meta.generation) this.#confirmed.confirm(seen.generation);
    }
    return stored
      .map((row) => ({ item: row.item, score: dot(q, row.vector) }))
      .sort(compareScored)
      .slice(0, k);
  }

  async #writerClient(): Promise<pg.Client> {
    if (!this.#writer) {
      this.#writer = await connect(this.#address);
      await usePath(this.#writer, this.#staging ?? this.#address.schema);
    }
    return this.#writer;
  }

  /**
   * One write: BEGIN, the schema's advisory lock (a second writer waits here), the
   * change, a new generation, COMMIT. Any failure or abort rolls back; a killed
   * process's open transaction is rolled back by the server.
   */
  async #transaction(
    signal: AbortSignal | undefined,
    fn: (client: pg.Client, base: Meta) => Promise<(() => void) | undefined>,
  ): Promise<void> {
    const client = await this.#writerClient();
    await client.query('BEGIN');
    let afterCommit: (() => void) | undefined;
    try {
      await waitForWriteLock(client, this.#address);
      faultPoint('pg: locked');
      // The generation this write builds on, read under the lock.
      const base = await client.query<{ value: Meta }>(
        `SELECT value FROM meta WHERE key = 'store'`,
      );
      afterCommit = await fn(client, base.rows[0]?.value ?? this.#meta);
      throwIfAborted(signal, 'save');
      await client.query(
        `UPDATE meta SET value = jsonb_set(jsonb_set(value, '{generation}',
           to_jsonb((value->>'generation')::int + 1)), '{updatedAt}', to_jsonb($1::text))
         WHERE key = 'store'`,
        [new Date().toISOString()],
      );
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
      afterCommit?.();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw signal?.aborted && !(error instanceof SalonLensError && error.code === 'ABORTED')
        ? new SalonLensError('ABORTED', 'the operation was aborted', { cause: error })
        : error;
    }
    await this.refresh();
  }
}

/** The stored salons, in salon order, as `client` sees them. */
async function readSalons(client: pg.Client): Promise<StoredSalon[]> {
  const r = await client.query<{
    id: string;
    title: string;
    date: string | null;
    source: string;
    content_hash: string;
    item_count: number;
  }>('SELECT id, title, date, source, content_hash, item_count FROM salons');
  return r.rows
    .map((s) => ({
      id: s.id,
      title: s.title,
      ...(s.date ? { date: s.date } : {}),
      source: s.source,
      contentHash: s.content_hash,
      itemCount: s.item_count,
    }))
    .sort(compareSalons);
}

function schemaSql(schema: string, dim: number, hnsw: HnswParams): string {
  const s = quoteIdent(schema);
  return `
    CREATE TABLE ${s}.meta (key text PRIMARY KEY, value jsonb NOT NULL);
    CREATE TABLE ${s}.salons (
      id text PRIMARY KEY, title text NOT NULL, date text, source text NOT NULL,
      content_hash text NOT NULL, item_count integer NOT NULL);
    CREATE TABLE ${s}.items (
      id text PRIMARY KEY,
      salon_id text NOT NULL REFERENCES ${s}.salons (id) ON DELETE CASCADE,
      doc_index integer NOT NULL, section text NOT NULL, text text NOT NULL,
      ordinal integer NOT NULL, line integer NOT NULL,
      embedding vector(${dim}) NOT NULL,
      terms text[] NOT NULL);
    -- Vectors inline (not TOASTed): a full scan read 9× the pages, 13.6 vs 1.7 ms at 2,000 items.
    ALTER TABLE ${s}.items ALTER COLUMN embedding SET STORAGE MAIN;
    CREATE INDEX items_salon ON ${s}.items (salon_id, doc_index);
    CREATE INDEX items_section ON ${s}.items (section);
    CREATE INDEX items_embedding_hnsw ON ${s}.items
      USING hnsw (embedding vector_cosine_ops) WITH (m = ${hnsw.m}, ef_construction = ${hnsw.efConstruction});
    CREATE INDEX items_terms ON ${s}.items USING gin (terms);
    CREATE TABLE ${s}.state (key text PRIMARY KEY, value jsonb NOT NULL);
    ${STATISTICS_TABLE_SQL(s)};`;
}

/** The tables a store creates (and the only ones it ever drops). */
const STORE_TABLES = tablesOf(schemaSql('s', 1, LENS_DEFAULTS.hnsw));

/**
 * Create an empty store in the URL's schema (created if missing). An existing store
 * is STORE_EXISTS unless `force`, which builds the new store in a staging schema and
 * replaces the old one's tables only when its first write commits (see pg-schema.ts).
 * A schema holding anything salon-lens did not create is refused (SCHEMA_IN_USE).
 */
export async function createPgStore(
  address: PgAddress,
  options: CreateLensOptions,
): Promise<PgStore> {
  const o = parseOptions(CreateLensOptionsSchema, options, 'createLens options');
  const client = await connect(address);
  const ddl = (sql: string) =>
    client.query(sql).catch((error: unknown) => {
      throw createPrivilegeError(error, address);
    });
  try {
    const installed = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`);
    if (installed.rowCount === 0) {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector').catch((cause: unknown) => {
        throw extensionError(cause, address);
      });
    }
    await client.query('BEGIN');
    try {
      await waitForWriteLock(client, address);
      // CREATE SCHEMA IF NOT EXISTS asks for CREATE on the database even when the schema exists.
      const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
        address.schema,
      ]);
      if (schemaExists.rowCount === 0) await ddl(`CREATE SCHEMA ${quoteIdent(address.schema)}`);
      const previous = await readMeta(client, address.schema);
      const marked = previous?.format === PG_STORE_FORMAT;
      if (marked && !o.force) {
        throw new SalonLensError(
          'STORE_EXISTS',
          `A lens store already exists in schema "${address.schema}" of ${address.display}. Open it instead, or pass force to replace it.`,
          { details: { dir: address.display } },
        );
      }
      const foreign = await foreignObjects(client, address.schema, STORE_TABLES, marked);
      if (foreign.length > 0) throw schemaInUse(address, foreign);
      let staging: string | undefined;
      if (marked) {
        await dropAbandonedStaging(client, address.schema);
        staging = newStagingName(address.schema);
        await claimStaging(client, staging);
        await ddl(`CREATE SCHEMA ${quoteIdent(staging)}`);
      }
      const home = staging ?? address.schema;
      await usePath(client, home);
      await ddl(schemaSql(home, o.embedder.dim, o.hnsw));
      const meta: Meta = {
        format: PG_STORE_FORMAT,
        version: PG_STORE_VERSION,
        embedder: { id: o.embedder.id, dim: o.embedder.dim },
        metric: 'cosine',
        hnsw: { ...o.hnsw },
        generation: 1,
        updatedAt: new Date().toISOString(),
      };
      await client.query(
        `INSERT INTO ${quoteIdent(home)}.meta (key, value) VALUES ('store', $1::jsonb)`,
        [JSON.stringify(meta)],
      );
      await client.query('COMMIT');
      return await PgStore._open(address, client, meta, false, undefined, staging);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

export async function openPgStore(address: PgAddress, options: OpenLensOptions): Promise<PgStore> {
  const o = parseOptions(OpenLensOptionsSchema, options, 'openLens options');
  const client = await connect(address);
  try {
    const meta = await readMeta(client, address.schema);
    if (!meta) throw notFound(address);
    checkFormat(address, meta);
    const mismatch = embedderMismatch(address.display, meta.embedder, o.embedder);
    if (mismatch) throw mismatch;
    await usePath(client, address.schema);
    return await PgStore._open(address, client, meta, o.readOnly, o.ef);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** The embedder a Postgres store was built with (to open it with the same one). */
export async function readPgEmbedder(address: PgAddress): Promise<Embedder['id']> {
  const client = await connect(address);
  try {
    const meta = await readMeta(client, address.schema);
    if (!meta) throw notFound(address);
    checkFormat(address, meta);
    return meta.embedder.id;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function pgStoreExists(address: PgAddress): Promise<boolean> {
  const client = await connect(address);
  try {
    return (await readMeta(client, address.schema)) !== undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Check a Postgres store: schema version, tables, row counts against the salons'
 * item counts, embedder and vector dimension, and the HNSW index. Never throws for a
 * damaged store.
 */
export async function verifyPgStore(address: PgAddress): Promise<VerifyReport> {
  const dir = address.display;
  const client = await connect(address);
  const problems: FileProblem[] = [];
  const where = (table: string) => `${address.schema}.${table}`;
  try {
    let meta: Meta | undefined;
    try {
      meta = await readMeta(client, address.schema);
      if (meta) checkFormat(address, meta);
    } catch (error) {
      if (!(error instanceof SalonLensError)) throw error;
      return {
        dir,
        ok: false,
        problems: [
          { file: where('meta'), problem: String(error.details.problem ?? error.message) },
        ],
        advice:
          error.details.reason === 'newer-format'
            ? 'The store is intact but was written by a newer salon-lens; upgrade salon-lens to use it.'
            : rebuildAdvice(dir),
      };
    }
    if (!meta) {
      return {
        dir,
        ok: false,
        problems: [
          { file: where('meta'), problem: 'is missing: there is no lens store in this schema' },
        ],
        advice: `Create one with: salon-lens index <folders> --store '${dir}'`,
      };
    }
    const s = quoteIdent(address.schema);
    for (const table of ['salons', 'items', 'state']) {
      const t = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
        `${s}.${table}`,
      ]);
      if (!t.rows[0]?.t) problems.push({ file: where(table), problem: 'is missing' });
    }
    let itemCount: number | undefined;
    let salonCount: number | undefined;
    let indexScan: boolean | undefined;
    if (problems.length === 0) {
      const counts = await client.query<{ salon_id: string; expected: number; actual: string }>(
        `SELECT s.id AS salon_id, s.item_count AS expected, count(i.id) AS actual
         FROM ${s}.salons s LEFT JOIN ${s}.items i ON i.salon_id = s.id
         GROUP BY s.id, s.item_count`,
      );
      salonCount = counts.rows.length;
      itemCount = 0;
      for (const row of counts.rows) {
        itemCount += Number(row.actual);
        if (Number(row.actual) !== row.expected) {
          problems.push({
            file: where('items'),
            problem: `salon ${row.salon_id} has ${row.actual} items, its salons row says ${row.expected}`,
          });
        }
      }
      const dim = await client.query<{ dim: number }>(
        `SELECT atttypmod AS dim FROM pg_attribute
         WHERE attrelid = $1::regclass AND attname = 'embedding'`,
        [`${s}.items`],
      );
      if (dim.rows[0]?.dim !== meta.embedder.dim) {
        problems.push({
          file: where('items'),
          problem: `embedding column has dimension ${dim.rows[0]?.dim}, the embedder ${meta.embedder.id} has ${meta.embedder.dim}`,
        });
      }
      const index = await client.query(
        `SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND tablename = 'items'
         AND indexdef ILIKE '%USING hnsw%vector_cosine_ops%'`,
        [address.schema],
      );
      if (index.rowCount === 0) {
        problems.push({ file: where('items'), problem: 'has no HNSW cosine index on embedding' });
      } else {
        indexScan = await plansIndexScan(client, s);
        if (indexScan === false)
          problems.push({
            file: where('items'),
            problem: 'vector queries do not plan a scan of the HNSW index (EXPLAIN)',
          });
      }
    }
    return {
      dir,
      ok: problems.length === 0,
      generation: meta.generation,
      ...(itemCount !== undefined ? { itemCount } : {}),
      ...(salonCount !== undefined ? { salonCount } : {}),
      embedder: meta.embedder,
      ...(indexScan !== undefined ? { indexScan } : {}),
      problems,
      ...(problems.length > 0 ? { advice: rebuildAdvice(dir) } : {}),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function rebuildAdvice(dir: string): string {
  return (
    'The store is damaged (nothing was changed); your salon documents are the source of truth. ' +
    `Rebuild it from them: salon-lens index <folders with your salon documents> --store '${dir}' --force`
  );
}
