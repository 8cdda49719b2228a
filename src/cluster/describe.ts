/**
 * Everything a reader sees about one theme besides its label: representative items,
 * per-salon counts and dates and how contested it is (related insights: related-insights.ts).
 * Pure functions over item indices.
 *
 *   const reps = pickRepresentatives(members, scores, items, 3);
 */
import type { Item } from '../parse/schema.js';
import type { ThemeItemRef } from './schema.js';

export function itemRef(item: Item, score: number): ThemeItemRef {
  return { itemId: item.id, salonId: item.salonId, section: item.section, text: item.text, score };
}

/** Members sorted by score descending, ties by item id (members are indices into items). */
export function byScore(
  members: readonly number[],
  scores: ArrayLike<number>,
  items: readonly Item[],
): number[] {
  return [...members].sort((a, b) => {
    const d = (scores[b] as number) - (scores[a] as number);
    if (d !== 0) return d;
    const ia = (items[a] as Item).id;
    const ib = (items[b] as Item).id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
}

/**
 * Closest to the centroid first, but one item per salon until every contributing salon
 * has one, so a theme shared by several salons does not show three items from one.
 */
export function pickRepresentatives(
  members: readonly number[],
  scores: ArrayLike<number>,
  items: readonly Item[],
  count: number,
): number[] {
  const ranked = byScore(members, scores, items);
  const picked: number[] = [];
  const salons = new Set<string>();
  for (const m of ranked) {
    if (picked.length >= count) break;
    const salon = (items[m] as Item).salonId;
    if (!salons.has(salon)) {
      picked.push(m);
      salons.add(salon);
    }
  }
  for (const m of ranked) {
    if (picked.length >= count) break;
    if (!picked.includes(m)) picked.push(m);
  }
  return picked;
}

/** Contributing salons with counts, in date order (undated last), ties by salon id. */
export function salonBreakdown(
  members: readonly number[],
  items: readonly Item[],
  salonDates: ReadonlyMap<string, string | undefined>,
): {
  salons: Array<{ salonId: string; date?: string; count: number }>;
  firstDate?: string;
  lastDate?: string;
} {
  const counts = new Map<string, number>();
  for (const m of members) {
    const salon = (items[m] as Item).salonId;
    counts.set(salon, (counts.get(salon) ?? 0) + 1);
  }
  const salons = [...counts].map(([salonId, count]) => {
    const date = salonDates.get(salonId);
    return date === undefined ? { salonId, count } : { salonId, date, count };
  });
  const key = (s: { salonId: string; date?: string }): string =>
    `${s.date ?? '9999-99-99'} ${s.salonId}`;
  salons.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const dates = salons.map((s) => s.date).filter((d): d is string => d !== undefined);
  const out: ReturnType<typeof salonBreakdown> = { salons };
  if (dates.length > 0) {
    out.firstDate = dates[0] as string;
    out.lastDate = dates[dates.length - 1] as string;
  }
  return out;
}
