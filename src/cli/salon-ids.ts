/**
 * Salon ids typed by a user (`--salon`, `--exclude-salon`, `remove`) are checked
 * against the store: a title or a slug without its date used to give an empty
 * table and exit 0. An unknown id is a usage error that lists the closest ids.
 */
import { UsageError } from './io.js';
import { terminalSafe } from './terminal-text.js';

export interface KnownSalon {
  id: string;
  title: string;
}

/** Throws a UsageError naming `option`, each unknown id and its closest stored ids. */
export function assertKnownSalons(
  known: readonly KnownSalon[],
  given: readonly string[] | undefined,
  option: string,
  store: string,
): void {
  const ids = new Set(known.map((s) => s.id));
  const unknown = (given ?? []).filter((id) => !ids.has(id));
  if (unknown.length === 0) return;
  const lines = unknown.map((id) => {
    const closest = closestSalons(known, id, 3);
    return (
      `${option} ${terminalSafe(JSON.stringify(id))}: no such salon in ${store}` +
      (closest.length > 0 ? `; closest ids: ${closest.join(', ')}` : ' (the store holds no salons)')
    );
  });
  throw new UsageError(lines.join('\n'));
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
