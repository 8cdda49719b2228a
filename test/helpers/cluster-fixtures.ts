/**
 * Small hand-made cluster-stage inputs: items in a few known groups whose vectors point
 * along separate axes (plus seeded noise), so the right answer is known without a model.
 *
 *   const input = syntheticInput([{ salon: 's1', date: '2024-01-01', groups: { A: 4, B: 4 } }]);
 */

import type { ThemeInput } from '../../src/cluster/index.js';
import type { Item, Section } from '../../src/parse/schema.js';
import { seededRandom } from '../../src/util/random.js';

export const GROUP_TEXTS: Record<string, string[]> = {
  A: [
    'Artists worry that copyright law does not protect their style from generators.',
    'Who owns the copyright of an image made with a prompt, the artists or the tool?',
    'Copyright ownership of generated music is unclear for artists and labels.',
    'Artists asked for ownership and copyright credit when their work trains models.',
    'Should copyright cover works with minimal human input from artists?',
  ],
  B: [
    'Privacy suffers when surveillance cameras track people in public spaces.',
    'Is workplace surveillance of keystrokes a privacy violation?',
    'Surveillance data sold by brokers erodes privacy for everyone.',
    'Privacy rules lag behind surveillance tools that infer emotions.',
    'Can consent protect privacy when surveillance is everywhere?',
  ],
  C: [
    'Workers fear wages will fall as automation takes routine jobs.',
    'Will automation create new jobs for workers or only cut wages?',
    'Wages for junior workers drop when automation handles entry-level jobs.',
    'Jobs in call centres were the first workers lost to automation.',
    'Unions want workers to share wages gains from automation of jobs.',
  ],
  D: [
    'Hospitals test clinical diagnosis tools on patient records.',
    'Should patient consent be needed before clinical tools read records?',
    'Clinical errors by diagnosis tools raise hospitals liability.',
    'Patient records in hospitals train clinical diagnosis models.',
    'Will clinical diagnosis tools reach rural hospitals and patient care?',
  ],
};
const AXES: Record<string, number> = { A: 0, B: 1, C: 2, D: 3 };
const DIM = 12;
const SECTIONS: Section[] = ['insight', 'question', 'disagreement'];

export interface SalonSpec {
  salon: string;
  date?: string;
  /** group -> number of items; sections rotate insight, question, disagreement. */
  groups: Record<string, number>;
  /** Force the section of every item of these groups. */
  sectionOf?: Record<string, Section>;
}

export function syntheticInput(specs: SalonSpec[], seed = 1, noise = 0.15): ThemeInput {
  const random = seededRandom(seed);
  const items: Item[] = [];
  const vectors: Float32Array[] = [];
  for (const spec of specs) {
    const ordinals: Record<Section, number> = { insight: 0, question: 0, disagreement: 0 };
    let rotate = 0;
    for (const [group, count] of Object.entries(spec.groups)) {
      for (let i = 0; i < count; i++) {
        const section = spec.sectionOf?.[group] ?? (SECTIONS[rotate++ % 3] as Section);
        ordinals[section]++;
        const texts = GROUP_TEXTS[group] as string[];
        items.push({
          id: `${spec.salon}#${section}-${ordinals[section]}`,
          salonId: spec.salon,
          section,
          text: texts[(i + items.length) % texts.length] as string,
          ordinal: ordinals[section],
          line: items.length + 1,
        });
        const v = new Float32Array(DIM);
        v[AXES[group] as number] = 1;
        for (let d = 0; d < DIM; d++) v[d] = (v[d] as number) + (random() - 0.5) * 2 * noise;
        const norm = Math.hypot(...v);
        vectors.push(v.map((x) => x / norm));
      }
    }
  }
  return {
    salons: specs.map((s) =>
      s.date ? { id: s.salon, title: s.salon, date: s.date } : { id: s.salon, title: s.salon },
    ),
    items,
    vectors,
    embedderId: 'synthetic@12',
    thresholds: { relatedInsight: 0.5 },
  };
}

/** `salons` salons, each with `perGroup` items of each of the groups A-D (dated 2024-01-01..28). */
export function manySalons(salons: number, perGroup: number, seed = 3): ThemeInput {
  return syntheticInput(
    Array.from({ length: salons }, (_, s) => ({
      salon: `s${String(s).padStart(4, '0')}`,
      date: `2024-01-${String((s % 28) + 1).padStart(2, '0')}`,
      groups: { A: perGroup, B: perGroup, C: perGroup, D: perGroup },
    })),
    seed,
  );
}

/** The group letter each item was generated from, by item id. */
export function groupOf(input: ThemeInput): Map<string, string> {
  const out = new Map<string, string>();
  input.items.forEach((item, i) => {
    const v = input.vectors[i] as Float32Array;
    let best = 0;
    for (let d = 1; d < 4; d++) if ((v[d] as number) > (v[best] as number)) best = d;
    out.set(item.id, 'ABCD'[best] as string);
  });
  return out;
}

/** The error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
