/**
 * Keyword search of the Postgres store answered in this process: the items' texts
 * are read once per store generation (one statement, ~1 MB at 10k items) into the
 * file store's own BM25 index (bm25.ts), so a search costs what it costs on a
 * folder and ranks exactly as the folder does. Scoring in SQL had to visit every
 * row holding a query word in a table whose rows carry 2 KB vectors: 40–80 ms at
 * 10k items for a word in a quarter of them. Up to MAX_ITEMS items (memory: the
 * texts and their postings); past it the store searches in SQL (pg-lexical.ts).
 * The caller confirms the generation with the server first (one small statement,
 * sent with the search's vector query).
 *
 *   const index = new KeywordIndex();
 *   const hits = await index.search(generation, load, text, k, filter, salonById);
 */
import type { Item } from '../../../parse/index.js';
import { type Bm25Index, buildBm25 } from '../../search/bm25.js';
import type { StoredSalon } from '../file/manifest.js';
import { compareScored, type ScoredItem, type StorageFilter } from '../seam.js';

/** Stores larger than this search keywords in SQL. */
export const KEYWORD_INDEX_MAX_ITEMS = 200_000;

interface Built {
  generation: number;
  items: Item[];
  bm25: Bm25Index;
}

export class KeywordIndex {
  #built: Promise<Built> | undefined;

  /**
   * The file store's answer for `text` over the items of `generation` (`load`
   * returns them in salon then document order, the file store's positions, so
   * that ties rank alike).
   */
  async search(
    generation: number,
    load: () => Promise<Item[]>,
    text: string,
    k: number,
    filter: StorageFilter,
    salonById: ReadonlyMap<string, StoredSalon>,
  ): Promise<ScoredItem[]> {
    let built = this.#built ? await this.#built : undefined;
    if (built?.generation !== generation) {
      const next = load().then((items) => ({
        generation,
        items,
        bm25: buildBm25(items.map((item) => item.text)),
      }));
      this.#built = next;
      next.catch(() => {
        if (this.#built === next) this.#built = undefined;
      });
      built = await next;
    }
    const { items, bm25 } = built;
    const keep = keepOf(filter, salonById);
    return bm25
      .search(text, Number.MAX_SAFE_INTEGER, keep && ((doc) => keep(items[doc] as Item)))
      .map((h) => ({ item: items[h.doc] as Item, score: h.score }))
      .sort(compareScored)
      .slice(0, k);
  }
}

/** The filter as a test of one item (the file store's rules: an undated salon fails a date range). */
function keepOf(
  f: StorageFilter,
  salonById: ReadonlyMap<string, StoredSalon>,
): ((item: Item) => boolean) | undefined {
  const sections = f.section === undefined ? undefined : new Set<string>([f.section].flat());
  const only = f.salon === undefined ? undefined : new Set([f.salon].flat());
  const skip = f.excludeSalon === undefined ? undefined : new Set([f.excludeSalon].flat());
  const skipItems = f.excludeItems?.length ? new Set(f.excludeItems) : undefined;
  const { dateFrom, dateTo } = f;
  if (!sections && !only && !skip && !skipItems && !dateFrom && !dateTo) return undefined;
  return (item) => {
    if (sections && !sections.has(item.section)) return false;
    if (only && !only.has(item.salonId)) return false;
    if (skip?.has(item.salonId) || skipItems?.has(item.id)) return false;
    if (dateFrom || dateTo) {
      const date = salonById.get(item.salonId)?.date;
      if (!date || (dateFrom && date < dateFrom) || (dateTo && date > dateTo)) return false;
    }
    return true;
  };
}
