/**
 * Views of a lens's neighbourhood statistics for tests: two lenses hold equal
 * statistics iff their `cslsView`s are equal.
 *
 *   expect(await cslsView(updated)).toEqual(await cslsView(builtFromScratch));
 */
import { expect } from 'vitest';
import type { Lens, LensProgress } from '../../src/index/index.js';
import type { Salon } from '../../src/parse/index.js';

/** Every item's 5 nearest cross-salon items with CSLS scores: equal iff the statistics are. */
export async function cslsView(lens: Lens): Promise<string[]> {
  const { items } = await lens.snapshot();
  const lines: string[] = [];
  for (const item of items) {
    const hits = await lens.similarTo(item.id, { k: 5, crossSalonOnly: true, exact: true });
    lines.push(`${item.id}: ${hits.map((h) => `${h.item.id} ${h.score.toFixed(5)}`).join(', ')}`);
  }
  return lines;
}

/** Add `salons`, aborting at the first progress report of `stage`; expects ABORTED. */
export async function addAbortedAt(
  lens: Lens,
  salons: Salon[],
  stage: LensProgress['stage'],
): Promise<void> {
  const stop = new AbortController();
  await expect(
    lens.addSalons(salons, {
      signal: stop.signal,
      onProgress: (p) => {
        if (p.stage === stage) stop.abort();
      },
    }),
  ).rejects.toThrow(/abort/i);
}
