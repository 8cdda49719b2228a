/**
 * One Postgres write, driven by the lens (storage/seam.ts `WriteTransaction`): BEGIN,
 * the schema's advisory lock (a second writer waits here), the changes as the lens
 * sends them, then at commit a new generation and COMMIT. Any failure or abort rolls
 * back; a killed process's open transaction is rolled back by the server. The
 * statistics go into their table in the same transaction (pg-statistics.ts).
 *
 *   const tx = await beginPgWrite(host, { signal, onProgress });
 *   await tx.remove(['s1']); await tx.insert(upsert); await tx.insertItems(items, vectors);
 *   await tx.commit();
 */
import type pg from 'pg';
import { throwIfAborted } from '../../../errors.js';
import type { Item } from '../../../parse/index.js';
import { faultPoint } from '../fault-points.js';
import { stateJson } from '../file/state-patch.js';
import type { LensStorage, StoredSalon, WriteOptions, WriteTransaction } from '../seam.js';
import { waitForWriteLock } from './pg-connect.js';
import { swapStaging } from './pg-schema.js';
import {
  insertItems,
  insertSalons,
  type Meta,
  nextGeneration,
  type PgAddress,
  quoteIdent,
  readSalons,
  STORE_TABLES,
  upsertState,
} from './pg-sql.js';
import {
  isStatisticsValue,
  STATISTICS_KEY,
  type StatisticsCache,
  writeStatistics,
} from './pg-statistics.js';

/** Rows per INSERT statement when writing items. */
const INSERT_BATCH = 500;

/** What a write needs of its store (pg-store.ts). */
export interface PgWriteHost {
  /** The store's writer connection (not the reader's). */
  client: pg.Client;
  address: PgAddress;
  /** The store's meta as last read, if the meta row cannot be read under the lock. */
  fallbackMeta: Meta;
  statistics: StatisticsCache;
  /** The staging schema a forced rebuild writes into until its first commit. */
  staging(): string | undefined;
  /** The store as this transaction sees it, for reads on the pending state. */
  pendingView(base: Meta): Promise<LensStorage>;
  /** After COMMIT: swap the search path off the staging schema, refresh the store's view. */
  committed(): Promise<void>;
}

export async function beginPgWrite(
  host: PgWriteHost,
  { signal, onProgress: progress }: WriteOptions,
): Promise<WriteTransaction> {
  const { client, address } = host;
  await client.query('BEGIN');
  let base: Meta;
  let salonsBefore: StoredSalon[];
  try {
    await waitForWriteLock(client, address);
    faultPoint('pg: locked');
    // The generation this write builds on, read under the lock.
    const meta = await client.query<{ value: Meta }>(`SELECT value FROM meta WHERE key = 'store'`);
    base = meta.rows[0]?.value ?? host.fallbackMeta;
    salonsBefore = await readSalons(client);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  const afterCommit: Array<() => void> = [];
  let pending: Array<{ item: Item; docIndex: number }> = [];
  let inserted = 0;
  let view: LensStorage | undefined;
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
      view ??= await host.pendingView(base);
      return view;
    },
    setState: async (key, value) => {
      if (key === STATISTICS_KEY) faultPoint('pg: statistics computed');
      afterCommit.push(await writeState(host, base.generation, key, value));
    },
    commit: async () => {
      throwIfAborted(signal, 'save');
      await nextGeneration(client);
      const staging = host.staging();
      if (staging) await swapStaging(client, staging, address.schema, STORE_TABLES);
      faultPoint('pg: before commit');
      await client.query('COMMIT');
      for (const done of afterCommit) done();
      await host.committed();
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
async function writeState(
  host: PgWriteHost,
  generation: number,
  key: string,
  value: unknown,
): Promise<() => void> {
  if (key !== STATISTICS_KEY || !isStatisticsValue(value)) {
    await upsertState(host.client, key, stateJson(value));
    return () => {};
  }
  const schema = quoteIdent(host.staging() ?? host.address.schema);
  const generations = { base: generation, next: generation + 1 };
  return (await writeStatistics(host.client, schema, host.statistics, generations, value)).commit;
}
