/**
 * Synthetic salons for the store benches (bench/pg.ts, bench/pg-trips.ts) and tests: 100 items
 * per salon, sections in turn, dates spread over six years, texts built from a few
 * words so that keyword search has something to find; with randomVectorEmbedder the
 * vectors are clustered by each text's first word.
 *
 *   const salons = syntheticSalons(10_000);
 */
import type { Salon } from '../../src/parse/index.js';

export const PER_SALON = 100;
const WORDS = ['privacy', 'models', 'schools', 'art', 'jobs', 'health', 'law', 'climate'];
const SECTIONS = ['insight', 'question', 'disagreement'] as const;
/** The queries every timed search runs through. */
export const QUERIES = WORDS.flatMap((w) => [`${w} question`, `${w} item 3`, `${w} about law`]);

export function salon(s: number, count: number, id = `s${String(s).padStart(5, '0')}`): Salon {
  return {
    id,
    title: id,
    date: `20${20 + (s % 6)}-0${1 + (s % 9)}-1${s % 10}`,
    source: `${id}.md`,
    warnings: [],
    items: Array.from({ length: count }, (_, i) => {
      const section = SECTIONS[i % 3] as (typeof SECTIONS)[number];
      return {
        id: `${id}#${section[0]}${i}`,
        salonId: id,
        section,
        text: `${WORDS[(s + i) % WORDS.length]} item ${s} ${i} about ${WORDS[i % WORDS.length]}`,
        ordinal: i + 1,
        line: i + 1,
      };
    }),
  };
}

export function syntheticSalons(items: number): Salon[] {
  const out: Salon[] = [];
  for (let s = 0; s * PER_SALON < items; s++)
    out.push(salon(s, Math.min(PER_SALON, items - s * PER_SALON)));
  return out;
}
