/**
 * A lens's copy of its store's neighbourhood statistics (neighbourhoods.ts): loaded
 * from the store on first use (built when none are saved), reloaded when another
 * process's write changed the store, and brought up to date inside each write of
 * this lens, under the store's write lock, from the statistics saved with the
 * generation the write builds on. Two writers therefore never both rebuild: the
 * second waits for the lock, then updates what the first saved.
 *
 *   const stats = new LensStatistics();
 *   const r = (await stats.current(storage)).radius(itemId);
 *   await tx.setState(key, (await stats.derive(pending, addedIds, progress))[key]); // lens-write.ts
 */

import type { LensStorage, PendingWrite } from '../storage/seam.js';
import {
  NEIGHBOURHOODS_STATE_KEY,
  StoredNeighbourhoods,
  salonsFingerprint,
} from './neighbourhoods.js';

interface Held {
  stats: StoredNeighbourhoods;
  /** Store generation and content the statistics describe. */
  generation: number;
  fingerprint: string;
}

/** How often this process rebuilt the statistics of a store holding items (tests read it). */
export const statisticsRebuilds = { count: 0 };

export class LensStatistics {
  #held: Promise<Held> | undefined;
  /** Set by `derive` until the write commits (`committed`) or fails (`failed`). */
  #pending: { stats: StoredNeighbourhoods; fingerprint: string } | undefined;

  /** The statistics of what `storage` holds now (as of its last refresh). */
  async current(storage: LensStorage): Promise<StoredNeighbourhoods> {
    const generation = storage.info().generation;
    if (this.#held) {
      const held = await this.#held.catch(() => undefined);
      if (held && held.generation === generation) return held.stats;
    }
    const loading = (async (): Promise<Held> => {
      const fingerprint = salonsFingerprint(storage.info().embedder.id, storage.salons());
      const stats =
        (await StoredNeighbourhoods.load(storage, fingerprint)) ?? (await rebuild(storage));
      return { stats, generation, fingerprint };
    })();
    this.#held = loading;
    // A failed load is not kept: the next query tries again.
    loading.catch(() => {
      if (this.#held === loading) this.#held = undefined;
    });
    return (await loading).stats;
  }

  /**
   * For a write (lens-write.ts): the statistics of the pending store, from those of
   * the store before the write (held, else saved, else built on the pending store).
   */
  async derive(
    pending: PendingWrite,
    addedIds: readonly string[],
    onProgress: (done: number, total: number) => void,
  ): Promise<Record<string, unknown>> {
    const { storage } = pending;
    const embedderId = storage.info().embedder.id;
    const before = salonsFingerprint(embedderId, pending.salonsBefore);
    const held = await this.#held?.catch(() => undefined);
    // The held copy is updated in place: drop it now, it no longer describes the store.
    this.#held = undefined;
    let stats = held?.fingerprint === before ? held.stats : undefined;
    stats ??= await StoredNeighbourhoods.load(storage, before);
    if (stats) {
      await stats.update(
        storage,
        { removed: [...pending.replacedItemIds], added: [...addedIds] },
        onProgress,
      );
    } else if (pending.salonsBefore.length === 0) {
      // A first write: its items are all there is, nothing to rebuild.
      stats = await StoredNeighbourhoods.build(storage, onProgress);
    } else stats = await rebuild(storage, onProgress);
    const fingerprint = salonsFingerprint(embedderId, storage.salons());
    this.#pending = { stats, fingerprint };
    return { [NEIGHBOURHOODS_STATE_KEY]: stats.toState(storage) };
  }

  /** The write that called `derive` committed as `storage`'s current generation. */
  committed(storage: LensStorage): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending)
      this.#held = Promise.resolve({ ...pending, generation: storage.info().generation });
  }

  /** The write failed or was aborted: what `derive` computed is not the store's. */
  failed(): void {
    this.#pending = undefined;
  }
}

function rebuild(
  storage: LensStorage,
  onProgress?: (done: number, total: number) => void,
): Promise<StoredNeighbourhoods> {
  statisticsRebuilds.count++;
  return StoredNeighbourhoods.build(storage, onProgress);
}
