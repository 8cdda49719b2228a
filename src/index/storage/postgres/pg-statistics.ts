/**
 * The neighbourhood statistics of a Postgres store (neighbourhoods.ts), kept in a
 * table of their own and written in the same transaction as the items they
 * describe. The saved value is a header (format, k, fingerprint, slot count) in
 * the `state` table plus the slots in blocks of BLOCK_SLOTS rows of `statistics`:
 * item ids as JSON, neighbour labels and cosines as little-endian int32 /
 * float32 bytea. A write sends only the blocks that changed since the copy it
 * last read or wrote (an add of one salon to 10k items: a few dozen blocks), and
 * a new process reads the whole table in one query instead of rebuilding it
 * (one k-NN query per item: 115 s at 10k items).
 *
 *   const saved = await readStatistics(client, generation);   // or undefined
 *   await writeStatistics(client, generation, value);          // inside the write's transaction
 */
import type pg from 'pg';

/** State key of the statistics (neighbourhoods.ts NEIGHBOURHOODS_STATE_KEY). */
export const STATISTICS_KEY = 'salon-lens.neighbourhoods';

/** Slots per row of the statistics table. */
const BLOCK_SLOTS = 256;

export const STATISTICS_TABLE_SQL = (schema: string) =>
  `CREATE TABLE IF NOT EXISTS ${schema}.statistics (
     block integer PRIMARY KEY, ids jsonb NOT NULL, labels bytea NOT NULL, scores bytea NOT NULL)`;

/** The saved statistics as neighbourhoods.ts writes and reads them. */
export interface StatisticsValue {
  format: number;
  k: number;
  fingerprint: string;
  ids: string[];
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

interface Header {
  format: number;
  k: number;
  fingerprint: string;
  slots: number;
}

/** Whether `value` has the shape this module stores (else it is kept as plain JSON state). */
export function isStatisticsValue(value: unknown): value is StatisticsValue {
  const v = value as Partial<StatisticsValue> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.k === 'number' &&
    v.k > 0 &&
    typeof v.fingerprint === 'string' &&
    Array.isArray(v.ids) &&
    v.labels?.length === v.ids.length * v.k &&
    v.scores?.length === v.labels.length
  );
}

/**
 * Copies of the saved table per block, as of one store generation: a write diffs
 * against them so that only changed blocks are sent.
 */
export class StatisticsCache {
  #generation = -1;
  #blocks: Buffer[] = [];

  /** The block texts a write may diff against, if they describe `generation`. */
  blocksAt(generation: number): Buffer[] | undefined {
    return this.#generation === generation ? this.#blocks : undefined;
  }

  remember(generation: number, blocks: Buffer[]): void {
    this.#generation = generation;
    this.#blocks = blocks;
  }

  forget(): void {
    this.#generation = -1;
    this.#blocks = [];
  }
}

/** One block's three columns, and a byte key to tell whether it changed. */
function block(value: StatisticsValue, b: number) {
  const from = b * BLOCK_SLOTS;
  const to = Math.min(value.ids.length, from + BLOCK_SLOTS);
  const ids = value.ids.slice(from, to);
  const labels = Buffer.from(
    Int32Array.from(sliceOf(value.labels, from * value.k, to * value.k)).buffer,
  );
  const scores = Buffer.from(
    Float32Array.from(sliceOf(value.scores, from * value.k, to * value.k)).buffer,
  );
  const key = Buffer.concat([Buffer.from(JSON.stringify(ids)), labels, scores]);
  return { ids, labels, scores, key };
}

function sliceOf(list: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return ArrayBuffer.isView(list)
    ? (list as Int32Array).subarray(from, to)
    : Array.prototype.slice.call(list, from, to);
}

async function tableExists(client: pg.Client, schema: string): Promise<boolean> {
  const r = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
    `${schema}.statistics`,
  ]);
  return Boolean(r.rows[0]?.t);
}

/**
 * The saved statistics, or undefined (never saved, or by a version without the
 * table). Remembers the blocks in `cache` for the generation they were read at.
 */
export async function readStatistics(
  client: pg.Client,
  schema: string,
  cache: StatisticsCache,
): Promise<StatisticsValue | undefined> {
  if (!(await tableExists(client, schema))) return undefined;
  // One statement, so header, blocks and generation come from one snapshot even
  // while another process commits a write.
  const r = await client.query<{
    header: Header;
    generation: string;
    block: number | null;
    ids: string[] | null;
    labels: Buffer | null;
    scores: Buffer | null;
  }>(
    `SELECT h.value AS header, m.value->>'generation' AS generation,
            s.block, s.ids, s.labels, s.scores
     FROM (SELECT value FROM ${schema}.state WHERE key = $1) h
     CROSS JOIN (SELECT value FROM ${schema}.meta WHERE key = 'store') m
     LEFT JOIN ${schema}.statistics s ON true
     ORDER BY s.block`,
    [STATISTICS_KEY],
  );
  const header = r.rows[0]?.header;
  if (!header) return undefined;
  const ids: string[] = [];
  const labels = new Int32Array(header.slots * header.k);
  const scores = new Float32Array(header.slots * header.k);
  const blocks: Buffer[] = [];
  for (const row of r.rows) {
    if (row.block === null || !row.ids || !row.labels || !row.scores) continue; // no blocks
    if (row.block !== blocks.length) return undefined; // a gap: not ours to trust
    const at = ids.length * header.k;
    for (const id of row.ids) ids.push(id);
    labels.set(new Int32Array(copyOf(row.labels)), at);
    scores.set(new Float32Array(copyOf(row.scores)), at);
    blocks.push(Buffer.concat([Buffer.from(JSON.stringify(row.ids)), row.labels, row.scores]));
  }
  if (ids.length !== header.slots) return undefined;
  cache.remember(Number(r.rows[0]?.generation), blocks);
  return {
    format: header.format,
    k: header.k,
    fingerprint: header.fingerprint,
    ids,
    labels,
    scores,
  };
}

/** An aligned copy (a Buffer from the pg driver may start at any byte offset). */
function copyOf(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/**
 * Save `value` through `client` (inside the write's transaction). Blocks equal to
 * the cached copy of `baseGeneration` are not sent; without a cached copy every
 * block is. The cache then holds the new blocks for `newGeneration`, once the
 * caller commits (`commit`), or is dropped (the transaction may roll back).
 * Returns how many blocks were written.
 */
export async function writeStatistics(
  client: pg.Client,
  schema: string,
  cache: StatisticsCache,
  generations: { base: number; next: number },
  value: StatisticsValue,
): Promise<{ written: number; commit: () => void }> {
  if (!(await tableExists(client, schema))) await client.query(STATISTICS_TABLE_SQL(schema));
  const before = cache.blocksAt(generations.base);
  cache.forget();
  const count = Math.ceil(value.ids.length / BLOCK_SLOTS);
  const blocks: Buffer[] = [];
  const changed: Array<ReturnType<typeof block> & { b: number }> = [];
  for (let b = 0; b < count; b++) {
    const next = block(value, b);
    blocks.push(next.key);
    const old = before?.[b];
    if (!old?.equals(next.key)) changed.push({ ...next, b });
  }
  for (let start = 0; start < changed.length; start += 64) {
    const batch = changed.slice(start, start + 64);
    await client.query(
      `INSERT INTO ${schema}.statistics (block, ids, labels, scores)
       SELECT b, i, l, s FROM unnest($1::int[], $2::jsonb[], $3::bytea[], $4::bytea[]) AS u(b, i, l, s)
       ON CONFLICT (block) DO UPDATE SET ids = EXCLUDED.ids, labels = EXCLUDED.labels,
         scores = EXCLUDED.scores`,
      [
        batch.map((c) => c.b),
        batch.map((c) => JSON.stringify(c.ids)),
        batch.map((c) => c.labels),
        batch.map((c) => c.scores),
      ],
    );
  }
  if (!before || before.length > count)
    await client.query(`DELETE FROM ${schema}.statistics WHERE block >= $1`, [count]);
  const header: Header = {
    format: value.format,
    k: value.k,
    fingerprint: value.fingerprint,
    slots: value.ids.length,
  };
  await client.query(
    `INSERT INTO ${schema}.state (key, value) VALUES ($1, $2::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [STATISTICS_KEY, JSON.stringify(header)],
  );
  return { written: changed.length, commit: () => cache.remember(generations.next, blocks) };
}
