/**
 * "At a glance": what a reader wants before the long theme cards. Pure, from the
 * report view's themes and salons (oldest first):
 * - recurring: themes seen in at least RECURRING_SALONS salons, most salons first;
 * - contested: themes with the largest share of disagreements (at least MIN_CONTESTED_SIZE items);
 * - new: themes whose first item is in the latest salon;
 * - faded: themes present before but absent from the latest salon, largest first.
 *
 *   const glance = atAGlance(view.themes, view.salons);
 */
import type { SalonView, ThemeView } from './report-view.js';

export const RECURRING_SALONS = 3;
export const GLANCE_LIST = 5;
const MIN_CONTESTED_SIZE = 3;

export interface Glance {
  recurring: ThemeView[];
  /** How many themes recur (the list is cut at GLANCE_LIST). */
  recurringCount: number;
  contested: ThemeView[];
  latestSalon?: SalonView;
  newInLatest: ThemeView[];
  faded: ThemeView[];
}

export function atAGlance(themes: readonly ThemeView[], salons: readonly SalonView[]): Glance {
  const present = (t: ThemeView): number => t.salonsPresent.length;
  const recurringAll = themes
    .filter((t) => present(t) >= RECURRING_SALONS)
    .sort((a, b) => present(b) - present(a) || b.theme.size - a.theme.size || a.number - b.number);
  const contested = themes
    .filter((t) => t.theme.size >= MIN_CONTESTED_SIZE && t.theme.contested > 0)
    .sort((a, b) => b.theme.contested - a.theme.contested || a.number - b.number)
    .slice(0, GLANCE_LIST);
  const latestIndex = salons.length - 1;
  const latestSalon = salons.length >= 2 ? salons[latestIndex] : undefined;
  const inLatest = (t: ThemeView): boolean => (t.countsBySalon[latestIndex] ?? 0) > 0;
  const before = (t: ThemeView): boolean =>
    t.countsBySalon.slice(0, latestIndex).some((c) => c > 0);
  const bySize = (a: ThemeView, b: ThemeView): number =>
    b.theme.size - a.theme.size || a.number - b.number;
  return {
    recurring: recurringAll.slice(0, GLANCE_LIST),
    recurringCount: recurringAll.length,
    contested,
    ...(latestSalon ? { latestSalon } : {}),
    newInLatest: latestSalon
      ? themes
          .filter((t) => inLatest(t) && !before(t))
          .sort(bySize)
          .slice(0, GLANCE_LIST)
      : [],
    faded: latestSalon
      ? themes
          .filter((t) => !inLatest(t) && before(t))
          .sort(bySize)
          .slice(0, GLANCE_LIST)
      : [],
  };
}
