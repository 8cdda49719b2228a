/**
 * How many items a filter leaves, without asking the server when that is known: a
 * filter on salons only (salon, excludeSalon) is counted from the salon list every
 * store keeps in memory (`countBySalonFilter`, also for a planner above the store);
 * any other filter's count is kept per store generation, so a search repeating a
 * filter (the same section and dates, page after page) counts it once per write.
 *
 *   countBySalonFilter(store.salons(), { salon: 's1' })    // 100, or undefined
 *   const counts = new FilterCounts();
 *   const n = counts.get(generation, filter, cap) ?? counts.put(generation, filter, cap, await count());
 */
import type { StoredSalon } from '../file/manifest.js';
import type { StorageFilter } from '../seam.js';

/** Filters whose counts are kept at most (they are a few bytes each). */
const MAX_FILTERS = 256;

/** Items passing a filter on salons only, from the salon list; undefined for any other filter. */
export function countBySalonFilter(
  salons: readonly Pick<StoredSalon, 'id' | 'itemCount'>[],
  filter: StorageFilter,
): number | undefined {
  const { salon, excludeSalon, ...rest } = filter;
  if (Object.values(rest).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0)))
    return undefined;
  const only = salon === undefined ? undefined : new Set([salon].flat());
  const skip = new Set([excludeSalon ?? []].flat());
  let n = 0;
  for (const s of salons) if ((!only || only.has(s.id)) && !skip.has(s.id)) n += s.itemCount;
  return n;
}

/** Counts (capped, as the store asks for them) of filters, as of one store generation. */
export class FilterCounts {
  #generation = -1;
  #counts = new Map<string, number>();

  get(generation: number, filter: StorageFilter, cap: number): number | undefined {
    return generation === this.#generation ? this.#counts.get(keyOf(filter, cap)) : undefined;
  }

  put(generation: number, filter: StorageFilter, cap: number, count: number): number {
    if (generation !== this.#generation || this.#counts.size >= MAX_FILTERS) {
      this.#generation = generation;
      this.#counts = new Map();
    }
    this.#counts.set(keyOf(filter, cap), count);
    return count;
  }
}

function keyOf(filter: StorageFilter, cap: number): string {
  const sorted = Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([cap, sorted]);
}
