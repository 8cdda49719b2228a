/**
 * The centre of each section's items (mean vector, mean CSLS radius): the part of a
 * vector that says "this is a question" rather than what it is about. USE-lite ranks
 * any question-shaped query closer to every stored question than to the insights and
 * disagreements on its topic (on the shared corpus the top 10 of 30 free-text queries
 * held 160 questions and 15 disagreements where the judged items were 70 and 29);
 * the theme stage removes the same offset before clustering (cluster/vectors.ts).
 *
 *   const centres = await sectionCentres(storage, (id) => stats.radius(id));
 *   centres.get('question')?.mean; // Float32Array of the store's dimension
 *
 * Read from at most CENTRE_SAMPLE items of whole salons spread evenly over the store
 * (a mean of 10,000 unit vectors moves by about 1% of its length with another sample),
 * so a query on a 1M-item store never reads every row.
 */
import type { Section } from '../../parse/index.js';
import type { LensStorage } from '../storage/seam.js';

export interface SectionCentre {
  /** Mean of the section's unit vectors (not normalised: its length says how alike they are). */
  mean: Float32Array;
  /** Mean neighbourhood radius r of the section's items (CSLS). */
  meanRadius: number;
}

export type SectionCentres = ReadonlyMap<Section, SectionCentre>;

/** Items read at most to estimate the centres. */
export const CENTRE_SAMPLE = 10_000;

export async function sectionCentres(
  storage: LensStorage,
  radius: (itemId: string) => number,
  sample = CENTRE_SAMPLE,
): Promise<SectionCentres> {
  const salons = storage.salons();
  const total = salons.reduce((sum, s) => sum + s.itemCount, 0);
  // Every salon when the store is small; else every stride-th salon (about `sample` items).
  const stride = Math.max(1, Math.ceil(total / sample));
  const chosen = salons.filter((_, i) => i % stride === 0).map((s) => s.id);
  const dim = storage.info().embedder.dim;
  const sums = new Map<Section, { sum: Float64Array; radius: number; count: number }>();
  for (const { item, vector } of chosen.length > 0 ? await storage.rows({ salon: chosen }) : []) {
    let acc = sums.get(item.section);
    if (!acc) {
      acc = { sum: new Float64Array(dim), radius: 0, count: 0 };
      sums.set(item.section, acc);
    }
    for (let d = 0; d < dim; d++) (acc.sum[d] as number) += vector[d] as number;
    acc.radius += radius(item.id);
    acc.count++;
  }
  const centres = new Map<Section, SectionCentre>();
  for (const [section, { sum, radius: r, count }] of sums) {
    centres.set(section, {
      mean: Float32Array.from(sum, (x) => x / count),
      meanRadius: r / count,
    });
  }
  return centres;
}
