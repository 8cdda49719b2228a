/**
 * The lens's one write path over any store: begin a transaction, remove, embed and
 * insert a chunk at a time, bring the neighbourhood statistics up to date on the
 * pending store, commit. Any failure or abort rolls the store back (WriteTransaction
 * in storage/seam.ts); nothing in the store calls back up here.
 *
 *   const { removedItems } = await writeSalons(storage, statistics, {
 *     upsert, remove, vectors: (items) => embed(items.map((i) => i.text)), onProgress,
 *   });
 */
import { SalonLensError, throwIfAborted } from '../errors.js';
import type { Item, Salon } from '../parse/index.js';
import type { LensStatistics } from './csls/lens-statistics.js';
import type { LensProgress } from './options.js';
import type { LensStorage, WriteTransaction } from './storage/seam.js';

/**
 * Items embedded per step of a write, each step inserted before the next is
 * embedded: memory for pending vectors stays at one chunk however large the input
 * (2,000 salons are ~200k vectors; all at once they doubled the peak).
 */
export const EMBED_CHUNK = 4096;

export interface SalonWrite {
  /** Salons inserted, or replaced whole when their id is stored. */
  upsert: ReadonlyArray<{ salon: Salon; contentHash: string }>;
  /** Salon ids removed (unknown ids are ignored). */
  remove: readonly string[];
  /** Unit vectors of a chunk of the upserted items; `offset` among all `total` (progress). */
  vectors: (items: Item[], offset: number, total: number) => Promise<Float32Array[]>;
  signal?: AbortSignal;
  onProgress: (progress: LensProgress) => void;
}

/** Apply `change` atomically, statistics included. Returns how many stored items no longer exist. */
export async function writeSalons(
  storage: LensStorage,
  statistics: LensStatistics,
  change: SalonWrite,
): Promise<{ removedItems: number }> {
  const { signal, onProgress: progress } = change;
  const items = change.upsert.flatMap((u) => u.salon.items);
  const addedIds = items.map((item) => item.id);
  let dropped: string[] = [];
  await inTransaction(storage, change, async (tx) => {
    dropped = await tx.remove([...change.upsert.map((u) => u.salon.id), ...change.remove]);
    await tx.insert(change.upsert);
    for (let start = 0; start < items.length; start += EMBED_CHUNK) {
      const chunk = items.slice(start, start + EMBED_CHUNK);
      const vectors = await change.vectors(chunk, start, items.length);
      throwIfAborted(signal, 'addSalons');
      await tx.insertItems(chunk, vectors);
    }
    const pending = await tx.pending();
    const derived = await statistics.derive(
      { storage: pending, replacedItemIds: dropped, salonsBefore: tx.salonsBefore },
      addedIds,
      (done, total) => progress({ stage: 'statistics', done, total }),
    );
    throwIfAborted(signal, 'addSalons');
    for (const [key, value] of Object.entries(derived)) await tx.setState(key, value);
  }).then(
    () => statistics.committed(storage),
    (error: unknown) => {
      statistics.failed();
      throw error;
    },
  );
  // Removed: ids stored before and not after (an edited salon keeps the ids it still has).
  const kept = new Set(addedIds);
  return { removedItems: dropped.filter((id) => !kept.has(id)).length };
}

/** Store a JSON value under `key`, atomically. */
export function writeState(storage: LensStorage, key: string, value: unknown): Promise<void> {
  return inTransaction(storage, { onProgress: () => {} }, (tx) => tx.setState(key, value));
}

/** begin → `fn` → commit; on any failure abort, and report an abort as ABORTED. */
async function inTransaction(
  storage: LensStorage,
  options: { signal?: AbortSignal; onProgress: (progress: LensProgress) => void },
  fn: (tx: WriteTransaction) => Promise<void>,
): Promise<void> {
  const { signal } = options;
  const tx = await storage.begin(options);
  try {
    await fn(tx);
    await tx.commit();
  } catch (error) {
    await tx.abort();
    throw signal?.aborted && !(error instanceof SalonLensError && error.code === 'ABORTED')
      ? new SalonLensError('ABORTED', 'the operation was aborted', { cause: error })
      : error;
  }
}
