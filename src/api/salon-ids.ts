/**
 * Salon ids given as filters (`salon`, `excludeSalon`) are checked against the store:
 * an unknown id (a title, a slug without its date, a typo) would otherwise filter
 * everything out and return nothing, silently. The error lists the closest ids.
 *
 *   assertKnownSalonIds(lens.salons(), options, 'search options');
 */
import { SalonLensError } from '../errors.js';

export interface KnownSalon {
  id: string;
  title: string;
}

const FILTERS = ['salon', 'excludeSalon'] as const;

/** Throws INVALID_OPTIONS naming each unknown id and its closest stored ids. */
export function assertKnownSalonIds(
  known: readonly KnownSalon[],
  options: { salon?: string | readonly string[]; excludeSalon?: string | readonly string[] },
  what: string,
): void {
  const ids = new Set(known.map((s) => s.id));
  const issues: Array<{ path: string[]; message: string }> = [];
  for (const key of FILTERS) {
    const given = options[key];
    const list = given === undefined ? [] : typeof given === 'string' ? [given] : given;
    for (const id of list) {
      if (typeof id !== 'string' || ids.has(id)) continue;
      const closest = closestSalons(known, id, 3);
      issues.push({
        path: [key],
        message:
          `no such salon ${JSON.stringify(id)}` +
          (closest.length > 0
            ? `; closest ids: ${closest.join(', ')}`
            : ' (the store holds no salons)'),
      });
    }
  }
  if (issues.length === 0) return;
  throw new SalonLensError(
    'INVALID_OPTIONS',
    issues.map((i) => `${what}.${i.path[0]}: ${i.message}`).join('; '),
    { details: { issues } },
  );
}

/**
 * Stored ids nearest to `typed`, best first: the ids whose id or title contains it
 * (or that it contains) when there are any, else the nearest by edit distance.
 * Titles count, so a title typed where an id belongs still finds its salon.
 */
export function closestSalons(
  known: readonly KnownSalon[],
  typed: string,
  limit: number,
): string[] {
  const t = typed.toLowerCase();
  const score = (s: KnownSalon) => {
    const id = s.id.toLowerCase();
    const title = s.title.toLowerCase();
    if (title === t) return 0;
    if (id.includes(t) || t.includes(id) || title.includes(t)) return 1;
    return 2 + editDistance(id, t) / Math.max(id.length, t.length, 1);
  };
  const ranked = known
    .map((s) => ({ id: s.id, score: score(s) }))
    .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // When some ids contain what was typed, the rest are noise.
  const containing = ranked.filter((s) => s.score <= 1);
  return (containing.length > 0 ? containing : ranked).slice(0, limit).map((s) => s.id);
}

/** Levenshtein distance (two rows; ids are short). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, substitution));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
