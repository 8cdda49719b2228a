/**
 * Salon ids typed by a user (`--salon`, `--exclude-salon`, `remove`) are checked
 * against the store: a title or a slug without its date used to give an empty
 * table and exit 0. An unknown id is a usage error that lists the closest ids.
 */
import { closestSalons, type KnownSalon } from '../api/salon-ids.js';
import { UsageError } from './io.js';
import { terminalSafe } from './terminal-text.js';

export { closestSalons, type KnownSalon };

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
