/**
 * How many items a filter leaves, without asking the server when that is known: a
 * filter on salons only (salon, excludeSalon) is counted from the salon list every
 * store keeps in memory. (Other filters' counts are kept per generation by the
 * store's `count`.)
 *
 *   countBySalonFilter(store.salons(), { salon: 's1' })    // 100, or undefined
 */
import type { StorageFilter, StoredSalon } from '../seam.js';

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
