/**
 * Past a few dozen salons a column or row per salon stops being readable (a 300-column
 * heatmap was 26,862 px wide), so the report groups salons by period: quarters when
 * the archive spans at most MAX_QUARTERS of them, otherwise years. Undated salons
 * form one last period.
 *
 *   const periods = groupByPeriod(salons); // undefined below GROUP_ABOVE salons
 */
export interface Dated {
  date?: string;
}

/** More salons than this are grouped by period. */
export const GROUP_ABOVE = 36;
/** Quarters as columns up to this many; beyond, years. */
const MAX_QUARTERS = 24;

export interface Period<S> {
  /** "2021-Q3", "2021" or "undated". */
  key: string;
  salons: S[];
}

export function groupByPeriod<S extends Dated>(salons: readonly S[]): Period<S>[] | undefined {
  if (salons.length <= GROUP_ABOVE) return undefined;
  const dates = salons.map((s) => s.date).filter((d): d is string => d !== undefined);
  const quarters = new Set(dates.map(quarterOf));
  const keyOf = quarters.size <= MAX_QUARTERS ? quarterOf : (date: string) => date.slice(0, 4);
  const periods = new Map<string, S[]>();
  for (const salon of salons) {
    const key = salon.date ? keyOf(salon.date) : 'undated';
    const list = periods.get(key) ?? [];
    list.push(salon);
    periods.set(key, list);
  }
  return [...periods.entries()]
    .sort(([a], [b]) => (a === 'undated' ? 1 : b === 'undated' ? -1 : a < b ? -1 : a > b ? 1 : 0))
    .map(([key, list]) => ({ key, salons: list }));
}

function quarterOf(date: string): string {
  const month = Number(date.slice(5, 7));
  return `${date.slice(0, 4)}-Q${Math.max(1, Math.ceil(month / 3))}`;
}
