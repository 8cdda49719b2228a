/**
 * "At a glance": what a reader wants before the long theme cards. Pure, from the
 * report view's themes and salons (oldest first):
 * - recurring: themes seen in at least RECURRING_SALONS salons, most salons first;
 * - contested: themes with the largest share of disagreements (at least MIN_CONTESTED_SIZE items);
 * - new: themes whose first item is in the latest salon;
 * - faded: themes present before but absent from the latest salon, largest first.
 * Past a few dozen salons (grouped by period) "latest salon" means little, so the box
 * measures against the archive instead (`archive`): themes in most periods, themes
 * rising or fading over the last RECENT_PERIODS periods (their share of items there
 * against before), and the most widely asked recurring questions.
 *
 *   const glance = atAGlance(view.themes, view.salons);
 */
import type { SimilarQuestionGroup } from '../index/index.js';
import { type PeriodView, periodsPresent, type SalonView, type ThemeView } from './report-view.js';

export const RECURRING_SALONS = 3;
export const GLANCE_LIST = 5;
/** Recurring-question entries in a report page at all; the rest are in report.json. */
export const RECURRING_SHOWN = 12;
const MIN_CONTESTED_SIZE = 3;

export interface Glance {
  recurring: ThemeView[];
  /** How many themes recur (the list is cut at GLANCE_LIST). */
  recurringCount: number;
  contested: ThemeView[];
  latestSalon?: SalonView;
  newInLatest: ThemeView[];
  faded: ThemeView[];
  archive?: ArchiveGlance;
}

export interface Trend {
  theme: ThemeView;
  /** Share of the items of the recent periods, and of the periods before. */
  recent: number;
  before: number;
}

export interface ArchiveGlance {
  periods: number;
  /** Themes present in at least MOST_PERIODS of the periods, most periods first. */
  inMostPeriods: ThemeView[];
  inMostCount: number;
  rising: Trend[];
  fading: Trend[];
  questions: SimilarQuestionGroup[];
}

/** Share of periods a theme must appear in to count as "in most periods". */
export const MOST_PERIODS = 0.75;
/** Periods counted as recent for rising and fading. */
export const RECENT_PERIODS = 4;
/** A share that at least doubles (or halves) is rising (or fading). */
const TREND_RATIO = 2;
/** Items a trend needs on its strong side, so two items are not a trend. */
const TREND_ITEMS = 5;

function archiveGlance(
  themes: readonly ThemeView[],
  periods: readonly PeriodView[],
  questions: readonly SimilarQuestionGroup[],
): ArchiveGlance {
  const dated = periods.filter((p) => p.key !== 'undated').length;
  const present = periodsPresent;
  const inMost = themes
    .filter((t) => present(t) >= Math.ceil(MOST_PERIODS * periods.length))
    .sort((a, b) => present(b) - present(a) || b.theme.size - a.theme.size || a.number - b.number);
  const recentFrom = Math.max(1, dated - RECENT_PERIODS);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const recentItems = sum(periods.slice(recentFrom, dated).map((p) => p.total));
  const beforeItems = sum(periods.slice(0, recentFrom).map((p) => p.total));
  const trends = themes.map((t) => {
    const recent = sum(t.countsByPeriod.slice(recentFrom, dated));
    const before = sum(t.countsByPeriod.slice(0, recentFrom));
    return {
      theme: t,
      recentCount: recent,
      beforeCount: before,
      recent: recentItems > 0 ? recent / recentItems : 0,
      before: beforeItems > 0 ? before / beforeItems : 0,
    };
  });
  const strip = ({ theme, recent, before }: Trend): Trend => ({ theme, recent, before });
  const ratio = (x: { recent: number; before: number }) => (x.recent + 1e-9) / (x.before + 1e-9);
  return {
    periods: periods.length,
    inMostPeriods: inMost.slice(0, GLANCE_LIST),
    inMostCount: inMost.length,
    rising: trends
      .filter((x) => x.recentCount >= TREND_ITEMS && ratio(x) >= TREND_RATIO)
      .sort((a, b) => ratio(b) - ratio(a) || a.theme.number - b.theme.number)
      .slice(0, GLANCE_LIST)
      .map(strip),
    fading: trends
      .filter((x) => x.beforeCount >= TREND_ITEMS && ratio(x) <= 1 / TREND_RATIO)
      .sort((a, b) => ratio(a) - ratio(b) || a.theme.number - b.theme.number)
      .slice(0, GLANCE_LIST)
      .map(strip),
    questions: questions.slice(0, 3),
  };
}

export function atAGlance(
  themes: readonly ThemeView[],
  salons: readonly SalonView[],
  periods?: readonly PeriodView[],
  questions: readonly SimilarQuestionGroup[] = [],
): Glance {
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
    ...(periods ? { archive: archiveGlance(themes, periods, questions) } : {}),
  };
}
