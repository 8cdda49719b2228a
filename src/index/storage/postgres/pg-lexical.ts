/**
 * Keyword search (BM25) on the Postgres store in one statement a search, scored
 * exactly as the file store scores it (bm25.ts):
 *
 * - Document frequencies are kept per store generation, so a term's count over all
 *   items (a scan of every row holding it) runs once per write, not per search.
 * - Postgres computes BM25 with the JS idf values and keeps the best k + margin
 *   rows; JS scores those again term by term and keeps k (the margin covers the last
 *   bits in which the two computations may differ).
 * - MaxScore: terms whose idf is small next to the query's rarest term (a word in
 *   most items) only add to the score of items found through the other terms. An
 *   item holding none of those scores at most Σ idf·(k1 + 1) over the common terms;
 *   when the k-th hit scores more than that the answer is exact, else the search
 *   runs again over every term. "privacy item 3" over 10k items whose texts all say
 *   "item": 2,500 candidate rows instead of 10,000.
 *
 *   const lexical = new PgLexical();
 *   const hits = await lexical.search(client, { terms, k, filter, itemCount, termTotal, generation });
 */
import type pg from 'pg';
import { B, type Bm25Stats, bm25Idf, bm25Score, K1 } from '../../search/bm25.js';
import type { Pipeline } from './pg-pipeline.js';
import { inlineParams } from './pg-queries.js';

/** Extra rows fetched beyond k, scored again in JS. */
const MARGIN = 20;
/** A term is common (MaxScore) when its idf is below this share of the query's highest. */
const COMMON_SHARE = 0.25;

export interface LexicalQuery {
  terms: readonly string[];
  k: number;
  columns: string;
  from: string;
  /** `WHERE …` of the filter, or '', with its parameters numbered from 5 (see `paramsFrom`). */
  where: string;
  whereParams: readonly unknown[];
  itemCount: number;
  termTotal: number;
  /** The generation `itemCount` and `termTotal` describe. */
  generation: number;
}

/** First parameter number a filter's WHERE may use. */
export const FILTER_PARAMS_FROM = 5;

export interface LexicalRow {
  terms: string[];
  /** The item's vector (vector_send), for the search's reads after it. */
  bytes: Buffer;
  [column: string]: unknown;
}

export class PgLexical {
  #generation = -1;
  #df = new Map<string, number>();

  /**
   * The best k rows by BM25 (unsorted: the caller scores them with `bm25Score` and
   * `stats`), and the generation the server read, which the caller
   * compares with `q.generation` (another one: refresh and ask again).
   */
  async search(
    client: pg.Client,
    pipeline: Pipeline,
    q: LexicalQuery,
  ): Promise<{ generation: number; rows: LexicalRow[]; stats: Bm25Stats }> {
    if (q.generation !== this.#generation) {
      this.#generation = q.generation;
      this.#df = new Map();
    }
    const unknown = q.terms.filter((t) => !this.#df.has(t));
    if (unknown.length > 0) {
      const r = await client.query<{ t: string; n: string; generation: string }>(
        `SELECT t, (SELECT count(*) FROM items WHERE terms @> ARRAY[t]) AS n,
           (SELECT value->>'generation' FROM meta WHERE key = 'store') AS generation
         FROM unnest($1::text[]) AS t`,
        [unknown],
      );
      const generation = Number(r.rows[0]?.generation);
      if (generation !== q.generation)
        return { generation, rows: [], stats: { n: 0, avgLength: 0, df: this.#df } };
      for (const row of r.rows) this.#df.set(row.t, Number(row.n));
    }
    const avgLength = q.itemCount === 0 ? 0 : q.termTotal / q.itemCount;
    const idf = q.terms.map((t) => bm25Idf(this.#df.get(t) ?? 0, q.itemCount));
    const stats = { n: q.itemCount, avgLength, df: this.#df };
    // Terms no item holds find nothing and bound nothing.
    const held = q.terms.flatMap((t, j) => ((this.#df.get(t) ?? 0) > 0 ? [j] : []));
    const top = Math.max(0, ...held.map((j) => idf[j] as number));
    const common = (j: number) => (idf[j] as number) < COMMON_SHARE * top;
    const rare = held.filter((j) => !common(j)).map((j) => q.terms[j] as string);
    const bound = held.reduce(
      (sum, j) => (common(j) ? sum + (idf[j] as number) * (K1 + 1) : sum),
      0,
    );
    const run = (candidates: readonly string[]) =>
      this.#query(client, pipeline, q, candidates, idf, avgLength);
    let read = await run(rare);
    if (rare.length < held.length && read.generation === q.generation) {
      // Exact only if no item holding common terms alone can reach the k-th score.
      const kth = read.rows
        .map((row) => bm25Score(q.terms, row.terms, stats))
        .sort((a, b) => b - a)[q.k - 1];
      if (kth === undefined || kth <= bound)
        read = await run(held.map((j) => q.terms[j] as string));
    }
    return { ...read, stats };
  }

  async #query(
    client: pg.Client,
    pipeline: Pipeline,
    q: LexicalQuery,
    candidates: readonly string[],
    idf: readonly number[],
    avgLength: number,
  ): Promise<{ generation: number; rows: LexicalRow[] }> {
    const norm = `(${K1} * (1 - ${B} + ${B} * cardinality(i.terms) / $3::float8))`;
    const parts = q.terms.map((_, j) => {
      const tf = `cardinality(array_positions(i.terms, ($1::text[])[${j + 1}]))::float8`;
      return `($2::float8[])[${j + 1}] * (${tf} * ${K1 + 1}) / (${tf} + ${norm})`;
    });
    // Vectors are read by id for the kept rows only (carried through the sort, they cost 3×).
    const sql = `WITH hits AS (
         SELECT ${q.columns}, i.terms, ${parts.join(' + ')} AS rough FROM ${q.from}
         ${q.where ? `${q.where} AND` : 'WHERE'} i.terms && $4::text[]
         ORDER BY rough DESC, i.id LIMIT ${q.k + MARGIN})
       SELECT ${q.columns.replace(/\bi\./g, 'hits.')}, hits.terms,
         vector_send(v.embedding) AS bytes, m.value->>'generation' AS generation
       FROM meta m LEFT JOIN (hits JOIN items v ON v.id = hits.id) ON true WHERE m.key = 'store'`;
    const params = [q.terms, idf, avgLength || 1, candidates, ...q.whereParams];
    // Sent with the vector search of the same turn (pg-pipeline.ts).
    const [r] = await pipeline.run<{ generation: string; id: string | null } & LexicalRow>(
      inlineParams(client, sql, params),
      1,
    );
    if (!r) throw new Error('keyword search: no result');
    return {
      generation: Number(r.rows[0]?.generation),
      rows: r.rows.filter((row) => row.id !== null),
    };
  }
}
