/**
 * Opening a store for the read commands (search, similar, themes): always without
 * the write lock, so they run while `index` or `report` writes (they read the last
 * complete generation).
 */
import { SalonLens } from '../api/salon-lens.js';
import { SalonLensError } from '../errors.js';
import { type EmbedderFlags, embedderOptionsFromFlags } from './embedder-flags.js';

export async function openForReading(
  flags: EmbedderFlags & { store: string },
  extra: { ef?: number } = {},
): Promise<SalonLens> {
  const embedder = embedderOptionsFromFlags(flags);
  return SalonLens.open(flags.store, {
    readOnly: true,
    ...(embedder ? { embedder } : {}),
    ...(extra.ef ? { ef: extra.ef } : {}),
  });
}

/** An empty store gives an error that says so, not an empty table. */
export function assertHasItems(lens: SalonLens, store: string): void {
  if (lens.info.itemCount > 0) return;
  throw new SalonLensError(
    'INPUT_ERROR',
    `Store ${store} holds no items yet: add salons first (salon-lens index <folders> --store ${store}).`,
    { details: { dir: store } },
  );
}
