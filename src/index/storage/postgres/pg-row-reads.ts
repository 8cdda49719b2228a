/**
 * Rows (item and vector) of the Postgres store as of one store generation, so that
 * one search reads each vector once: the k-NN and keyword queries send their hits'
 * vectors, and the row and score reads after them (query feedback, the second
 * scoring pass) take them from here. A read answered from memory must not be older
 * than what the server held when it was asked, so it is answered from memory only
 * in the turn of the event loop in which a statement of the store confirmed the
 * generation (`Confirmation`: the lens's next reads of one search follow in that
 * turn, with no I/O waited for in between); otherwise one statement reads the
 * generation and the rows not held. A changed generation empties the cache and the
 * caller refreshes. Reads asked for in the same tick (the lens asks for a search's
 * feedback rows one call per row, all at once) share one statement.
 *
 *   const cache = new RowCache();
 *   cache.put(generation, hits);
 *   const { generation, rows } = await readRows(client, ids, cache, generationSeen, confirmed);
 */
import type pg from 'pg';
import type { StoredRow } from '../seam.js';
import { vectorFromBinary } from './pg-queries.js';
import { ITEM_COLUMNS, type ItemRow, itemOf } from './pg-sql.js';

/**
 * Bytes of vectors the cache holds at most (32k rows at 512-d); past it the cache
 * starts over. The folder store holds a store's vectors in memory up to the same
 * size (vector-rows.ts), so both answer a warm search from memory.
 */
const MAX_VECTOR_BYTES = 64 * 1024 * 1024;

/** Rows of one store generation by item id (a new generation starts it over). */
export class RowCache {
  #generation = -1;
  #rows = new Map<string, StoredRow>();
  #bytes = 0;

  get(generation: number, id: string): StoredRow | undefined {
    return generation === this.#generation ? this.#rows.get(id) : undefined;
  }

  put(generation: number, rows: Iterable<StoredRow>): void {
    if (generation !== this.#generation || this.#bytes > MAX_VECTOR_BYTES) {
      this.#generation = generation;
      this.#rows = new Map();
      this.#bytes = 0;
    }
    for (const row of rows) {
      if (!this.#rows.has(row.item.id)) this.#bytes += row.vector.byteLength;
      this.#rows.set(row.item.id, row);
    }
  }
}

/** The store generation and the listed items, in one statement (one snapshot). */
const ROWS_AT_GENERATION = `SELECT m.value->>'generation' AS generation, ${ITEM_COLUMNS},
    vector_send(i.embedding) AS bytes
  FROM meta m LEFT JOIN items i ON i.id = ANY($1::text[])
  WHERE m.key = 'store'`;

/**
 * The rows of `ids` as of the store's current generation: from `cache` when it
 * holds them for `generation` (the one the caller last saw), else read. Without a
 * statement only when `confirmed` (the server reported `generation` in this turn of
 * the event loop) and the cache holds every row. Returns the generation the server
 * reports; when it is not `generation`, nothing came from the cache (the caller
 * refreshes its view of the store).
 */
export async function readRows(
  client: pg.Client,
  ids: readonly string[],
  cache: RowCache,
  generation: number,
  confirmed: boolean,
): Promise<{ generation: number; rows: Map<string, StoredRow> }> {
  const rows = new Map<string, StoredRow>();
  const missing: string[] = [];
  for (const id of ids) {
    const row = cache.get(generation, id);
    if (row) rows.set(id, row);
    else missing.push(id);
  }
  if (confirmed && missing.length === 0) return { generation, rows };
  let read = await fetchRows(client, missing);
  if (read.generation !== generation && rows.size > 0) {
    rows.clear();
    read = await fetchRows(client, ids);
  }
  cache.put(read.generation, read.rows);
  for (const row of read.rows) rows.set(row.item.id, row);
  return { generation: read.generation, rows };
}

async function fetchRows(
  client: pg.Client,
  ids: readonly string[],
): Promise<{ generation: number; rows: StoredRow[] }> {
  const r = await client.query<
    { generation: string } & ({ id: null } | (ItemRow & { bytes: Buffer }))
  >(ROWS_AT_GENERATION, [ids]);
  const rows: StoredRow[] = [];
  for (const row of r.rows)
    if (row.id !== null) rows.push({ item: itemOf(row), vector: vectorFromBinary(row.bytes) });
  return { generation: Number(r.rows[0]?.generation), rows };
}

/**
 * Calls made in the same tick answered by one `read` of all their ids together
 * (the lens reads a search's feedback rows with one call per row, all at once).
 */
export class TickBatch<T> {
  #pending: { ids: Set<string>; done: Promise<Map<string, T>> } | undefined;

  constructor(private readonly read: (ids: string[]) => Promise<Map<string, T>>) {}

  get(id: string): Promise<T | undefined> {
    if (!this.#pending) {
      const ids = new Set<string>();
      const done = Promise.resolve().then(() => {
        this.#pending = undefined;
        return this.read([...ids]);
      });
      this.#pending = { ids, done };
    }
    this.#pending.ids.add(id);
    return this.#pending.done.then((rows) => rows.get(id));
  }
}

/**
 * The store generation the server last reported, trusted until the event loop's
 * next turn (setImmediate): reads in between are as fresh as that statement.
 */
export class Confirmation {
  #generation: number | undefined;
  #pending = false;

  confirm(generation: number): void {
    this.#generation = generation;
    if (this.#pending) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      this.#generation = undefined;
    });
  }

  holds(generation: number): boolean {
    return this.#generation === generation;
  }
}
