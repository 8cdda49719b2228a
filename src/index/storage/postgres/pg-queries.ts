/**
 * The vector queries of the Postgres store, shaped so the planner does what was
 * measured to be fast (bench/pg.ts, 512-d, pgvector 0.8 on PostgreSQL 15):
 *
 * - An index search forces the HNSW scan with `SET LOCAL enable_sort = off` in the
 *   same simple-protocol message, and `RESET enable_sort` right after it (one
 *   implicit transaction, one round trip; statements sent in the same message,
 *   pg-pipeline.ts, plan as usual). Left to itself, the planner's cost for HNSW grows
 *   with hnsw.ef_search, and from ef_search ≈ 100 it chose a full scan and sort:
 *   270 ms instead of 2.7 ms at 2,000 items. Not a session-wide `SET` on the
 *   reader: it would also steer the keyword, count and exact statements (a sort is
 *   their only plan, but joins and grouping would avoid sorts they should take),
 *   to save the parse of a message that is sent anyway.
 * - Vectors are sent (for the re-scoring in JS) only for the rows the LIMIT keeps: in
 *   a single SELECT the conversion ran for every scanned row. They go in pgvector's
 *   binary form (vector_send), 2 KB a row at 512-d and decoded natively, where the
 *   text form was ~5 KB of decimals for JSON.parse.
 *
 *   const sql = vectorQuerySql(ITEM_COLUMNS, 'items i', where, k, false);
 *   const rows = await runVectorQuery(pipeline, client, sql, params, false);
 */
import type pg from 'pg';
import type { Pipeline } from './pg-pipeline.js';

/**
 * A vector as pgvector text. Nine significant digits name every float32 exactly
 * (pgvector reads them back with strtof), and print in half the time of the
 * shortest double form with two thirds of its length (57 vs 115 µs at 512-d here):
 * this runs once per search.
 */
export function vectorLiteral(v: Float32Array): string {
  let text = '[';
  for (let i = 0; i < v.length; i++) {
    if (i > 0) text += ',';
    text += (v[i] as number).toPrecision(9);
  }
  return `${text}]`;
}

/** What vectorLiteral writes: numbers only, so it is quoted without an escaping pass. */
const VECTOR_TEXT = /^\[[-+0-9.e,]*\]$/;

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** pgvector's binary form (vector_send: uint16 dim, uint16 unused, big-endian float32s). */
export function vectorFromBinary(bytes: Buffer): Float32Array {
  const dim = bytes.readUInt16BE(0);
  const out = new Float32Array(dim);
  // One copy, then the byte order flipped in place (native) on little-endian hosts.
  const own = Buffer.from(out.buffer);
  bytes.copy(own, 0, 4, 4 + 4 * dim);
  if (LITTLE_ENDIAN) own.swap32();
  return out;
}

/**
 * `sql` with its $n parameters written in as literals (for a simple-protocol
 * message, which takes no parameters). Strings go through the driver's quoting;
 * arrays become ARRAY[...]::text[].
 */
export function inlineParams(client: pg.Client, sql: string, params: readonly unknown[]): string {
  const literal = (value: unknown): string => {
    if (Array.isArray(value))
      return value.length === 0
        ? `'{}'::text[]`
        : `ARRAY[${value.map((v) => client.escapeLiteral(String(v))).join(',')}]::text[]`;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string' && VECTOR_TEXT.test(value)) return `'${value}'`;
    return client.escapeLiteral(String(value));
  };
  return sql.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}

/**
 * The nearest `limit` rows by cosine distance to $1 among `from` + `where`, with
 * `columns`, the vector as `bytes` (vector_send) when `withVectors`, and the store
 * generation the rows were read at (so a search needs no round trip of its own to
 * notice another process's write). Without vectors the statement is a third of the
 * time (0.46 vs 1.4 ms for 30 rows at 512-d here): the caller takes them from its
 * row cache and reads only those it lacks.
 * `exact` orders by `distance + 0`, which no index can serve (a scan of every
 * passing row); its sort then carries only the columns, and the kept rows' vectors
 * are read again by id (a 2 KB vector copied into the sort for every passing row
 * cost more than the distances).
 */
export function vectorQuerySql(
  columns: string,
  from: string,
  where: string,
  limit: number,
  exact: boolean,
  withVectors = true,
): string {
  const generation = `(SELECT value->>'generation' FROM meta WHERE key = 'store') AS generation`;
  const outer = columns.replace(/\bi\./g, 'top.');
  if (exact) {
    const top = `(
      SELECT ${columns} FROM ${from} ${where}
      ORDER BY (i.embedding <=> $1::vector) + 0, i.id LIMIT ${limit}
    ) top`;
    return withVectors
      ? `SELECT ${outer}, vector_send(v.embedding) AS bytes, ${generation} FROM ${top} JOIN items v ON v.id = top.id`
      : `SELECT ${outer}, ${generation} FROM ${top}`;
  }
  return `SELECT ${outer}${withVectors ? ', vector_send(top.embedding) AS bytes' : ''}, ${generation} FROM (
      SELECT ${columns}, i.embedding FROM ${from} ${where} ORDER BY i.embedding <=> $1::vector LIMIT ${limit}
    ) top`;
}

/**
 * Run a vector query through `pipeline` (with the other statements of this turn,
 * pg-pipeline.ts) and return its rows: an index search with the HNSW scan forced
 * (see above), an exact one as it is.
 */
export async function runVectorQuery<R extends pg.QueryResultRow>(
  pipeline: Pipeline,
  client: pg.Client,
  sql: string,
  params: readonly unknown[],
  exact: boolean,
): Promise<R[]> {
  const text = inlineParams(client, sql, params);
  if (exact) return ((await pipeline.run<R>(text, 1))[0] as pg.QueryResult<R>).rows;
  // RESET: inside a write's transaction, or before the next statement of the same
  // message, the setting would otherwise last.
  const results = await pipeline.run<R>(
    `SET LOCAL enable_sort = off; ${text}; RESET enable_sort`,
    3,
  );
  return (results[1] as pg.QueryResult<R>).rows;
}

/**
 * Whether a vector query on `items` plans an HNSW index scan, with the settings
 * the store searches with at the widest ef (the planner's HNSW cost grows with
 * it). Undefined when the table holds no vector to ask with.
 */
export async function plansIndexScan(
  client: pg.Client,
  schema: string,
): Promise<boolean | undefined> {
  const sample = await client.query<{ v: string }>(
    `SELECT embedding::text AS v FROM ${schema}.items LIMIT 1`,
  );
  const v = sample.rows[0]?.v;
  if (v === undefined) return undefined;
  const results = (await client.query(
    `BEGIN; SET LOCAL enable_sort = off; SET LOCAL hnsw.ef_search = 1000;
     EXPLAIN (FORMAT JSON) SELECT id FROM ${schema}.items
       ORDER BY embedding <=> ${client.escapeLiteral(v)}::vector LIMIT 10;
     ROLLBACK`,
  )) as unknown as pg.QueryResult<{ 'QUERY PLAN': unknown }>[];
  const plan = JSON.stringify(results[3]?.rows[0]?.['QUERY PLAN'] ?? '');
  // Rows in distance order from an index scan: only a vector index gives that order.
  return plan.includes('"Node Type":"Index Scan"');
}
