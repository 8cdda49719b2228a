/**
 * Seeded shuffles for chance baselines: NMI of a shuffled copy of an assignment keeps the
 * cluster sizes but destroys any relation to the labels, so it is the score of "same
 * sizes, no signal". Used by bench/quality.ts and the cluster tests.
 *
 *   meanShuffledNmi(assignment, labels, 20, 7) // ~0.11 for 15 clusters of 390 items
 */
import { normalizedMutualInfo } from '../../src/cluster/index.js';
import { seededRandom } from '../../src/util/random.js';

export function shuffled<T>(values: readonly T[], random: () => number): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export function meanShuffledNmi(
  assignment: readonly (string | number)[],
  labels: readonly string[],
  repeats: number,
  seed: number,
): number {
  const random = seededRandom(seed);
  let total = 0;
  for (let r = 0; r < repeats; r++)
    total += normalizedMutualInfo(shuffled(assignment, random), labels);
  return total / repeats;
}
