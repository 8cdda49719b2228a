/** The result and info types of the Lens API (lens.ts). */
import type { ContentWarning, Item } from '../parse/index.js';
import type { SalonRef } from './schema.js';
import type { StorageInfo, StoredSalon } from './storage/seam.js';

export interface AddSummary {
  /** Salons new to the store. */
  added: number;
  /** Salons whose content changed: their items were replaced. */
  updated: number;
  /** Salons already stored with the same content: skipped, not embedded. */
  unchanged: number;
  /** Stored items that no longer exist after the call. */
  removedItems: number;
  /** Items embedded and inserted by the call. */
  embeddedItems: number;
  /** Documents left out because they were invalid (only with `skipInvalid`). */
  skipped: Array<{ file: string; message: string }>;
  /**
   * Content the reading left out or found odd (unknown headings, chatter, leaked
   * instructions, a tool report passed as a document...), one entry per line or file.
   */
  warnings: ContentWarning[];
  /**
   * Stored salons this call replaced by one from another source file or with
   * another title (present only when there are some): the same id claimed by a
   * different document, or the same document stored under a new id. Shown as
   * warnings by the CLI, so two salons never replace each other silently.
   */
  replaced?: SalonReplacement[];
}

export interface SalonReplacement {
  /** The id stored now. */
  id: string;
  /** The replaced salon's id (differs from `id` when the same source file got a new id). */
  previousId: string;
  previous: { title: string; source: string };
  now: { title: string; source: string };
}

export interface LensInfo extends Omit<StorageInfo, 'location'> {
  /** Folder or database URL (without password). */
  dir: string;
  readOnly: boolean;
}

export interface RecallReport {
  /**
   * Mean over queries of the share of ANN top-k hits scoring at least the exact k-th
   * score (the ann-benchmarks definition). Unlike |ANN ∩ exact| / k it does not punish
   * a different pick among equal scores: in a 200k-item store of generated text, 167
   * of 200 queries had ties at the k-th place and the set overlap read 0.46 while
   * every ANN hit was as close as the exact ones.
   */
  recall: number;
  k: number;
  ef: number;
  queries: number;
}

export interface LensSnapshot {
  salons: SalonRef[];
  /** Salon order, then document order. */
  items: Item[];
  /** `vectors[i]` belongs to `items[i]`; copies, safe to keep. */
  vectors: Float32Array[];
}

export type StoredSalonInfo = StoredSalon;
