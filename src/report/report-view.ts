/**
 * What both human-readable renderers show, derived once from ReportData:
 * salons in date order with short keys (S1, S2…), theme numbers and styles,
 * the salon × theme count matrix, and lookups. Keeping this out of the
 * renderers means Markdown and HTML can never disagree on a number.
 *
 *   const view = createReportView(data);
 *   view.heatmap.counts[themeIndex][salonIndex]
 */
import type { Theme, ThemeItemRef } from '../cluster/index.js';
import { atAGlance, type Glance } from './glance.js';
import { type ThemeStyle, themeStyle } from './palette.js';
import { groupByPeriod } from './periods.js';
import type { ReportData, ReportItem, ReportSalon } from './schema.js';

export const DEFAULT_TITLE = 'Salon themes';

export interface SalonView extends ReportSalon {
  /** Short column key, "S1" for the earliest salon. */
  key: string;
  /** "2024-06-08 · Education" (title alone when undated). */
  label: string;
  total: number;
}

/** Salons grouped by quarter or year (only past GROUP_ABOVE salons). */
export interface PeriodView {
  key: string;
  salons: SalonView[];
  counts: { insight: number; question: number; disagreement: number };
  total: number;
}

export interface ThemeView {
  theme: Theme;
  /** 1-based display number, in the order clustering returned the themes. */
  number: number;
  style: ThemeStyle;
  /** Items of this theme per salon, aligned with `ReportView.salons`. */
  countsBySalon: number[];
  /** Salons that have at least one item in the theme, in date order. */
  salonsPresent: SalonView[];
  /** Items per period, aligned with `ReportView.periods` (empty when salons are not grouped). */
  countsByPeriod: number[];
}

export interface ReportView {
  title: string;
  builtAt: string;
  data: ReportData;
  salons: SalonView[];
  /** Salons by quarter or year past a few dozen salons; undefined for a short series. */
  periods?: PeriodView[];
  themes: ThemeView[];
  /**
   * Themes that get a heatmap row, a legend entry and a card: every theme for a short
   * series; past GROUP_ABOVE salons the THEMES_SHOWN most widely recurring, in that order.
   */
  shownThemes: ThemeView[];
  /** The other themes (a compact list; everything about them is in report.json), same ranking. */
  moreThemes: ThemeView[];
  itemCount: number;
  /** Largest cell of the heatmap (for the colour scale). */
  maxCell: number;
  unassigned: number;
  item(id: string): ReportItem | undefined;
  salon(id: string): SalonView | undefined;
  /** Theme of an item, or undefined for unassigned items. */
  themeOf(itemId: string): ThemeView | undefined;
  /** The summary box: recurring, contested, new and faded themes. */
  glance: Glance;
}

/** Longest word shown in a title, label or keyword; longer ones end in "…". */
export const MAX_TITLE_WORD = 40;

/**
 * `text` with every word over MAX_TITLE_WORD characters cut and ellipsized: a
 * 5,000-character "word" in items once became a theme title and widened the HTML
 * report's page by 60,000 px (item text itself is kept and wraps, see html-styles.ts).
 */
export function shortenLongWords(text: string): string {
  return text.replace(
    new RegExp(`\\S{${MAX_TITLE_WORD + 1},}`, 'gu'),
    (word) =>
      `${Array.from(word)
        .slice(0, MAX_TITLE_WORD - 1)
        .join('')}…`,
  );
}

/**
 * Theme cards (and heatmap rows) in an archive's report; the rest are one compact list.
 * At 300 salons Ward picks about 150 themes, and a card and row per theme made the page
 * 27,644 px tall and 3 MB; 50 keeps it well under 15,000 px and 2 MB whatever k is.
 */
export const THEMES_SHOWN = 50;

/**
 * Most widely recurring first: periods present, then salons present, then size; ties by
 * number, so the order is deterministic.
 */
function byReach(a: ThemeView, b: ThemeView): number {
  return (
    periodsPresent(b) - periodsPresent(a) ||
    b.salonsPresent.length - a.salonsPresent.length ||
    b.theme.size - a.theme.size ||
    a.number - b.number
  );
}

export function createReportView(data: ReportData): ReportView {
  const salons: SalonView[] = [...data.salons].sort(bySalonDate).map((salon, i) => ({
    ...salon,
    title: shortenLongWords(salon.title),
    key: `S${i + 1}`,
    label: shortenLongWords(salon.date ? `${salon.date} · ${salon.title}` : salon.title),
    total: salon.counts.insight + salon.counts.question + salon.counts.disagreement,
  }));
  const salonIndex = new Map(salons.map((s, i) => [s.id, i]));
  const periods = groupByPeriod(salons)?.map(({ key, salons: members }) => {
    const counts = { insight: 0, question: 0, disagreement: 0 };
    for (const s of members) {
      counts.insight += s.counts.insight;
      counts.question += s.counts.question;
      counts.disagreement += s.counts.disagreement;
    }
    return {
      key,
      salons: members,
      counts,
      total: counts.insight + counts.question + counts.disagreement,
    };
  });
  const periodOfSalon = new Map<number, number>();
  periods?.forEach((p, pi) => {
    for (const s of p.salons) periodOfSalon.set(salonIndex.get(s.id) as number, pi);
  });
  const items = new Map(data.items.map((item) => [item.id, item]));

  const themes: ThemeView[] = data.themes.themes.map((theme, i) => {
    // Count from the member list rather than theme.salons so the heatmap always
    // matches the items actually shown.
    const countsBySalon = salons.map(() => 0);
    for (const itemId of theme.itemIds) {
      const index = salonIndex.get(items.get(itemId)?.salonId ?? '');
      if (index !== undefined) countsBySalon[index] = (countsBySalon[index] ?? 0) + 1;
    }
    const countsByPeriod = (periods ?? []).map(() => 0);
    countsBySalon.forEach((count, s) => {
      const p = periodOfSalon.get(s);
      if (p !== undefined) countsByPeriod[p] = (countsByPeriod[p] ?? 0) + count;
    });
    return {
      theme: {
        ...theme,
        label: shortenLongWords(theme.label),
        keywords: theme.keywords.map(shortenLongWords),
      },
      number: i + 1,
      style: themeStyle(i),
      countsBySalon,
      salonsPresent: salons.filter((_, s) => (countsBySalon[s] ?? 0) > 0),
      countsByPeriod,
    };
  });
  const themeById = new Map(themes.map((t) => [t.theme.id, t]));
  const salonById = new Map(salons.map((s) => [s.id, s]));
  // A short series shows every theme in clustering order, as always.
  const ranked = periods ? [...themes].sort(byReach) : themes;
  const shownCount = periods ? THEMES_SHOWN : themes.length;

  return {
    title: shortenLongWords(data.title ?? DEFAULT_TITLE),
    builtAt: data.builtAt,
    data,
    salons,
    ...(periods ? { periods } : {}),
    themes,
    shownThemes: ranked.slice(0, shownCount),
    moreThemes: ranked.slice(shownCount),
    itemCount: data.items.length,
    maxCell: Math.max(0, ...themes.flatMap((t) => (periods ? t.countsByPeriod : t.countsBySalon))),
    unassigned: data.items.filter((item) => data.themes.assignments[item.id] === undefined).length,
    glance: atAGlance(themes, salons, periods, data.recurringQuestions),
    item: (id) => items.get(id),
    salon: (id) => salonById.get(id),
    themeOf: (itemId) => {
      const themeId = data.themes.assignments[itemId];
      return themeId === undefined ? undefined : themeById.get(themeId);
    },
  };
}

/** Dated salons first, oldest first; then undated; ties by id (deterministic). */
function bySalonDate(a: ReportSalon, b: ReportSalon): number {
  if (a.date && b.date && a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.date && !b.date) return -1;
  if (!a.date && b.date) return 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** "12%" with no decimals; "<1%" for a small non-zero share so it doesn't read as none. */
export function formatPercent(share: number): string {
  if (share > 0 && share < 0.005) return '<1%';
  return `${Math.round(share * 100)}%`;
}

/** "2024-06-08 14:03 UTC" from an ISO timestamp (always UTC, so output doesn't depend on the machine's zone). */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Periods holding at least one item of the theme (0 when salons are not grouped). */
export function periodsPresent(t: ThemeView): number {
  return t.countsByPeriod.filter((c) => c > 0).length;
}

/** How a theme's salons span time: "2023-12-09 → 2024-06-08", or one date. */
export function dateSpan(theme: ThemeView): string | undefined {
  const dates = theme.salonsPresent.map((s) => s.date).filter((d): d is string => d !== undefined);
  const first = dates[0];
  const last = dates[dates.length - 1];
  if (!first || !last) return undefined;
  return first === last ? first : `${first} → ${last}`;
}

/** How a score was computed, in words. */
export function scoringName(scoring: string | undefined): string {
  if (scoring === 'contrastive')
    return 'contrastive: CSLS, averaged with CSLS on the questions without the words they share';
  return scoring === 'csls' ? 'CSLS: cosine corrected for items close to everything' : 'cosine';
}

/** "csls 0.12, cosine 0.61" for a related insight, or "similarity 0.61" when only a cosine is known. */
export function scoreLabel(r: ThemeItemRef): string {
  return r.scoring === 'csls' && r.cosine !== undefined
    ? `csls ${r.score.toFixed(2)}, cosine ${r.cosine.toFixed(2)}`
    : `similarity ${r.score.toFixed(2)}`;
}
