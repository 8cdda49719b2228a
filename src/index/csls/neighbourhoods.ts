/**
 * The neighbourhood statistics of a store (each item's k nearest items of other
 * salons, hence its CSLS radius r), kept by item id above any storage backend and
 * saved in the store's derived state in the same atomic write as the items they
 * describe (lens-write.ts).
 *
 *   const stats = StoredNeighbourhoods.load(storage) ?? StoredNeighbourhoods.build(storage);
 *   stats.radius('2024-01-20-copyright#question-3'); // mean cosine of its 5 neighbours
 *
 * A write updates only the items whose neighbourhoods changed (hubness.ts); the
 * state carries a fingerprint of the stored salons, so statistics from another
 * generation (a store written by an older version) are never used: they are rebuilt.
 */
import { sha256 } from '../../util/hash.js';
import { nearest } from '../search/planner.js';
import type { LensStorage } from '../storage/seam.js';
import {
  NEIGHBOURHOOD_K,
  type Neighbour,
  NeighbourhoodTable,
  type NeighbourSource,
  updateNeighbourhoods,
} from './hubness.js';

/** State key the statistics are saved under. */
export const NEIGHBOURHOODS_STATE_KEY = 'salon-lens.neighbourhoods';

interface SavedNeighbourhoods {
  format: 1;
  k: number;
  fingerprint: string;
  /** Slot → item id ('' = free slot). */
  ids: string[];
  /**
   * Per slot, k neighbour slots (−1 = empty) and their cosines: plain arrays as read
   * from a store file, typed arrays as this class writes them.
   */
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

/** Identifies the stored content: the salons and their content hashes. */
export function contentFingerprint(storage: LensStorage): string {
  return salonsFingerprint(storage.info().embedder.id, storage.salons());
}

/** contentFingerprint of a store holding `salons` (e.g. before a write). */
export function salonsFingerprint(
  embedderId: string,
  salons: ReadonlyArray<{ id: string; contentHash: string }>,
): string {
  const list = salons.map((s) => `${s.id}\u0000${s.contentHash}`).sort();
  return sha256(`${embedderId}\u0000${list.join('\u0001')}`);
}

export class StoredNeighbourhoods {
  #ids: string[];
  #slotOf: Map<string, number>;
  #table: NeighbourhoodTable;

  private constructor(ids: string[], table: NeighbourhoodTable) {
    this.#ids = ids;
    this.#table = table;
    this.#slotOf = new Map();
    ids.forEach((id, slot) => {
      if (id !== '') this.#slotOf.set(id, slot);
    });
  }

  /**
   * The saved statistics if they describe exactly what `storage` holds (or the
   * content of `fingerprint`, e.g. the store before a pending write), else undefined.
   */
  static async load(
    storage: LensStorage,
    fingerprint = contentFingerprint(storage),
  ): Promise<StoredNeighbourhoods | undefined> {
    const saved = (await storage.readState(NEIGHBOURHOODS_STATE_KEY, { shared: true })) as
      | SavedNeighbourhoods
      | undefined;
    if (
      saved?.format !== 1 ||
      saved.k !== NEIGHBOURHOOD_K ||
      saved.fingerprint !== fingerprint ||
      saved.labels.length !== saved.ids.length * saved.k
    )
      return undefined;
    const table = NeighbourhoodTable.fromBuffers(
      saved.k,
      Int32Array.from(saved.labels),
      Float32Array.from(saved.scores),
    );
    // A copy: `update` changes ids in place, and the saved state must keep the
    // last-saved ids, or the next write's patch never records an id change.
    return new StoredNeighbourhoods([...saved.ids], table);
  }

  /** From scratch: one k-NN search per stored item. */
  static async build(
    storage: LensStorage,
    onProgress?: (done: number, total: number) => void,
  ): Promise<StoredNeighbourhoods> {
    const stats = new StoredNeighbourhoods([], new NeighbourhoodTable());
    await stats.update(
      storage,
      { removed: [], added: (await storage.rows()).map((r) => r.item.id) },
      onProgress,
    );
    return stats;
  }

  /** r of a stored item (0 if unknown or it has no neighbour in another salon). */
  radius(itemId: string): number {
    const slot = this.#slotOf.get(itemId);
    return slot === undefined ? 0 : this.#table.radius(slot);
  }

  /**
   * Bring the statistics up to date with `storage` after items were removed and
   * added (a changed salon's items count as both). Returns how many items got
   * their neighbour list recomputed.
   */
  async update(
    storage: LensStorage,
    change: { removed: string[]; added: string[] },
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    const removed: number[] = [];
    for (const id of change.removed) {
      const slot = this.#slotOf.get(id);
      if (slot === undefined) continue;
      removed.push(slot);
      this.#slotOf.delete(id);
      this.#ids[slot] = '';
    }
    // Reuse freed slots lowest first so the saved arrays stay dense.
    const free: number[] = [];
    for (let slot = this.#ids.length - 1; slot >= 0; slot--)
      if (this.#ids[slot] === '') free.push(slot);
    const added = change.added.map((id) => {
      const slot = free.pop() ?? this.#ids.length;
      this.#ids[slot] = id;
      this.#slotOf.set(id, slot);
      return slot;
    });
    const { recomputed } = await updateNeighbourhoods(
      this.#table,
      this.#source(storage),
      { added, removed },
      { onProgress },
    );
    return recomputed;
  }

  /** The JSON saved in the store's state (with the fingerprint of what it describes). */
  toState(storage: LensStorage): SavedNeighbourhoods {
    const { labels, scores } = this.#table.buffers();
    const slots = this.#ids.length * this.#table.k;
    // Typed copies (block copies): the store writes them as plain JSON arrays and
    // diffs them element by element (state-patch.ts).
    return {
      format: 1,
      k: this.#table.k,
      fingerprint: contentFingerprint(storage),
      ids: [...this.#ids],
      labels: labels.slice(0, slots),
      scores: scores.slice(0, slots),
    };
  }

  #source(storage: LensStorage): NeighbourSource {
    const rowOf = (slot: number) => storage.row(this.#ids[slot] as string);
    const toSlots = (hits: ReadonlyArray<{ item: { id: string }; score: number }>): Neighbour[] =>
      hits.map((h) => ({ label: this.#slotOf.get(h.item.id) as number, score: h.score }));
    return {
      nearest: async (slot, k) => {
        const row = await rowOf(slot);
        if (!row) return [];
        return toSlots(
          await nearest(storage, {
            vector: row.vector,
            k,
            filter: { excludeSalon: row.item.salonId },
          }),
        );
      },
      pairScore: async (a, b) => {
        const [ra, rb] = await Promise.all([rowOf(a), rowOf(b)]);
        if (!ra || !rb || ra.item.salonId === rb.item.salonId) return undefined;
        return (await storage.scores(ra.vector, [rb.item.id]))[0];
      },
      labels: () => this.#slotOf.values(),
    };
  }
}
