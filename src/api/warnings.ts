/**
 * Per-salon parse warnings kept by a SalonLens between `add` and `report`, so the
 * report notes what each salon's document lost.
 */
import type { ContentWarning, ParseWarning, Salon } from '../parse/index.js';

/** Replace the kept warnings of every salon this add read (a salon now clean forgets its old ones). */
export function rememberSkipped(
  kept: Map<string, ParseWarning[]>,
  input: readonly string[] | readonly Salon[],
  warnings: readonly ContentWarning[],
): void {
  for (const salon of input) if (typeof salon !== 'string') kept.delete(salon.id);
  const fresh = new Map<string, ParseWarning[]>();
  for (const w of warnings) {
    if (w.salonId === undefined || w.line === undefined || w.kind === 'file') continue;
    const list = fresh.get(w.salonId) ?? [];
    list.push({ line: w.line, kind: w.kind, message: w.message, text: w.text ?? '' });
    fresh.set(w.salonId, list);
  }
  for (const [id, list] of fresh) kept.set(id, list);
}
