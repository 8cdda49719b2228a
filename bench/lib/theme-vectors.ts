/**
 * Synthetic cluster-stage input at archive scale without embedding anything: 512-dim unit
 * vectors drawn around planted topics, 40 items per salon, each salon leaning toward a
 * "topic of the evening" (an offset its items share, as real salons do), texts made of a
 * topic's words so titles have something to tag. Embedding 100,000 texts with the
 * bundled model takes longer than clustering them, and the vectors are what clustering
 * sees. Seeded: the same arguments give the same input.
 *
 *   const { input, topics } = plantedThemes({ items: 100_000, seed: 1 });
 *   clusterThemes(input); // topics[i] is item i's planted topic, for NMI
 */
import type { ThemeInput } from '../../src/cluster/index.js';
import type { Item, Section } from '../../src/parse/schema.js';
import { seededRandom } from '../../src/util/random.js';

const DIM = 512;
const PER_SALON = 40;
const SECTIONS: Section[] = ['insight', 'question', 'disagreement'];
/** Same-topic items end up with cosines around 0.3-0.4, as sentence embeddings do. */
const NOISE = 1.2;
const SALON_LEAN = 0.5;
const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'sa', 'tu', 'vel', 'dor', 'pin', 'gra', 'ost', 'ne'];

function gaussian(random: () => number): number {
  // Box-Muller; 1 - random() keeps the log finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function unitGaussian(random: () => number, scale = 1): Float64Array {
  const v = Float64Array.from({ length: DIM }, () => gaussian(random));
  const norm = Math.hypot(...v);
  return v.map((x) => (x / norm) * scale);
}

export function plantedThemes(options: { items: number; seed?: number }): {
  input: ThemeInput;
  topics: string[];
} {
  const random = seededRandom(options.seed ?? 1);
  const salons = Math.ceil(options.items / PER_SALON);
  const topicCount = Math.max(2, Math.round(Math.sqrt(options.items / 2)));
  const centres = Array.from({ length: topicCount }, () => unitGaussian(random));
  const word = () =>
    Array.from({ length: 3 }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join('');
  const vocabulary = Array.from({ length: topicCount }, () => Array.from({ length: 6 }, word));
  const items: Item[] = [];
  const vectors: Float32Array[] = [];
  const topics: string[] = [];
  const salonList: ThemeInput['salons'][number][] = [];
  for (let s = 0; s < salons && items.length < options.items; s++) {
    const salon = `s${String(s).padStart(5, '0')}`;
    const day = new Date(Date.UTC(2020, 0, 4) + s * 7 * 86_400_000).toISOString().slice(0, 10);
    salonList.push({ id: salon, title: salon, date: day });
    const lean = unitGaussian(random, SALON_LEAN);
    // A salon covers a handful of topics, as an evening's conversation does.
    const own = Array.from({ length: 6 }, () => Math.floor(random() * topicCount));
    const ordinals = { insight: 0, question: 0, disagreement: 0 };
    for (let i = 0; i < PER_SALON && items.length < options.items; i++) {
      const topic = own[Math.floor(random() * own.length)] as number;
      const section = SECTIONS[i % 3] as Section;
      ordinals[section]++;
      const words = vocabulary[topic] as string[];
      const pick = () => words[Math.floor(random() * words.length)] as string;
      items.push({
        id: `${salon}#${section}-${ordinals[section]}`,
        salonId: salon,
        section,
        text: `The ${pick()} ${pick()} matters for every ${pick()} we discussed.`,
        ordinal: ordinals[section],
        line: i + 1,
      });
      const noise = unitGaussian(random, NOISE);
      const centre = centres[topic] as Float64Array;
      const v = centre.map((x, d) => x + (lean[d] as number) + (noise[d] as number));
      const norm = Math.hypot(...v);
      vectors.push(Float32Array.from(v, (x) => x / norm));
      topics.push(`t${topic}`);
    }
  }
  return {
    input: {
      salons: salonList,
      items,
      vectors,
      embedderId: 'synthetic@512',
      thresholds: { relatedInsight: 0.3 },
    },
    topics,
  };
}
