/**
 * Generated salon documents for load tests: many realistic-looking takeaways files
 * written with `renderSalon`, so ingestion goes through the real parser exactly as a
 * user's folder would. Seeded and deterministic: the same options give the same bytes.
 *
 *   const corpus = await writeLoadCorpus(dir, { salons: 2000, itemsPerSalon: 100, seed: 1 });
 *   await lens.addSalons([corpus.dir]);
 *
 * Item texts recombine the sentences of `examples/salons` (shuffled clauses, swapped
 * words, openers, salon topic words), so lengths and vocabulary look like real
 * takeaways and no two items are identical. On top of that, `recurringQuestions`
 * questions are planted in many salons with small wording changes: real salons keep
 * asking the same things, and they give similarQuestions known groups to find.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSalons, renderSalon, type Section } from '../src/parse/index.js';
import { seededRandom } from '../src/util/random.js';

const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../examples/salons');

export interface LoadCorpusOptions {
  salons: number;
  /** Items per salon, split about 40% insights, 35% questions, 25% disagreements. */
  itemsPerSalon: number;
  seed?: number;
  /** Distinct recurring questions; each salon asks `plantedPerSalon` of them. @default 50 */
  recurringQuestions?: number;
  /** @default 2 */
  plantedPerSalon?: number;
  /** Salon titles are `<titlePrefix> <number> <topic>`. @default 'load' */
  titlePrefix?: string;
  /** Date of the first salon; each next one is 3 days later. @default '2019-01-05' */
  firstDate?: string;
}

export interface LoadCorpus {
  dir: string;
  files: string[];
  salons: number;
  items: number;
  bytes: number;
  /** For each recurring question: the salon titles that ask it (in salon order). */
  planted: Array<{ question: string; salonTitles: string[] }>;
}

const TOPIC_WORDS = [
  'open weights',
  'copyright',
  'privacy',
  'surveillance',
  'elections',
  'schools',
  'tutoring',
  'labour markets',
  'wages',
  'healthcare',
  'diagnosis',
  'climate',
  'energy use',
  'data centers',
  'startups',
  'regulation',
  'liability',
  'insurance',
  'journalism',
  'misinformation',
  'deepfakes',
  'music',
  'film',
  'illustration',
  'translation',
  'accessibility',
  'disability',
  'agriculture',
  'logistics',
  'policing',
  'courts',
  'immigration',
  'banking',
  'credit scores',
  'hiring',
  'unions',
  'open source',
  'benchmarks',
  'evaluation',
  'safety testing',
  'alignment',
  'chip supply',
  'export controls',
  'local models',
  'robotics',
  'self-driving cars',
  'drones',
  'mental health',
  'companionship',
  'children',
  'elder care',
  'libraries',
  'museums',
  'scientific research',
  'peer review',
  'drug discovery',
  'cybersecurity',
  'identity',
  'voice cloning',
  'advertising',
  'search engines',
  'social media',
  'moderation',
  'gaming',
];
const OPENERS = [
  'Several participants said that',
  'One person argued that',
  'The group agreed that',
  'A teacher in the room pointed out that',
  'Someone from a startup noted that',
  'A researcher suggested that',
  'It came up more than once that',
  'People with a legal background felt that',
];
const QUESTION_OPENERS = ['', 'Honestly,', 'In practice,', 'Looking ahead,', 'For', 'And'];
const CONNECTORS = ['because', 'while', 'even though', 'and yet', 'so', 'although', 'since'];

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** Sentences and clauses of the example salons, per section, as the raw material. */
async function examplePool(): Promise<Record<Section, string[]>> {
  const { salons } = await loadSalons([EXAMPLES_DIR]);
  const pool: Record<Section, string[]> = { insight: [], question: [], disagreement: [] };
  for (const salon of salons) {
    for (const item of salon.items) {
      for (const sentence of item.text.split(/(?<=[.?!])\s+/)) {
        const clean = sentence.trim();
        if (clean.split(/\s+/).length >= 5) pool[item.section].push(clean);
      }
    }
  }
  // A corpus without one section still yields all three.
  if (pool.question.length === 0) pool.question.push('Who should own a model trained on everyone?');
  if (pool.disagreement.length === 0) pool.disagreement.push(...pool.insight.slice(0, 5));
  return pool;
}

/** Swap a few longer words for topic words, so recombined sentences differ in vocabulary. */
function mutate(sentence: string, topic: string, random: () => number): string {
  const words = sentence.split(' ');
  const swaps = 1 + Math.floor(random() * 3);
  for (let s = 0; s < swaps; s++) {
    const at = Math.floor(random() * words.length);
    const word = words[at] as string;
    if (/^[a-z]{6,}$/.test(word)) words[at] = random() < 0.5 ? topic : pick(TOPIC_WORDS, random);
  }
  return words.join(' ');
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function clause(sentence: string, random: () => number): string {
  const words = sentence.replace(/[.?!]+$/, '').split(' ');
  const start = Math.floor(random() * Math.max(1, words.length - 6));
  return lowerFirst(words.slice(start, start + 6 + Math.floor(random() * 8)).join(' '));
}

function makeItem(
  section: Section,
  pool: Record<Section, string[]>,
  topic: string,
  random: () => number,
): string {
  const base = mutate(pick(pool[section], random), topic, random);
  if (section === 'question') {
    const opener = pick(QUESTION_OPENERS, random);
    const body = base.replace(/[.!]+$/, '').replace(/\?*$/, '');
    const text =
      opener === 'For'
        ? `For ${topic}, ${lowerFirst(body)}`
        : opener
          ? `${opener} ${lowerFirst(body)}`
          : body;
    return `${text}?`;
  }
  const opener = random() < 0.5 ? `${pick(OPENERS, random)} ${lowerFirst(base)}` : base;
  if (random() < 0.6) {
    const other = pick(pool.insight.concat(pool.disagreement), random);
    return `${opener.replace(/[.?!]+$/, '')}, ${pick(CONNECTORS, random)} ${clause(other, random)}.`;
  }
  return opener;
}

/** Generate the salons in memory (title, date, items), in salon order. */
export async function generateLoadSalons(options: LoadCorpusOptions): Promise<{
  salons: Array<{ title: string; date: string; items: Array<{ section: Section; text: string }> }>;
  planted: LoadCorpus['planted'];
}> {
  const random = seededRandom(options.seed ?? 1);
  const pool = await examplePool();
  const recurring = Array.from({ length: options.recurringQuestions ?? 50 }, (_, i) => {
    const topic = TOPIC_WORDS[i % TOPIC_WORDS.length] as string;
    return `${makeItem('question', pool, topic, random).replace(/\?$/, '')} (recurring ${i + 1})?`;
  });
  const planted = recurring.map((question) => ({ question, salonTitles: [] as string[] }));
  const perSalon = Math.min(options.plantedPerSalon ?? 2, recurring.length);
  const width = String(options.salons).length;
  const salons = [];
  for (let s = 0; s < options.salons; s++) {
    const topic = pick(TOPIC_WORDS, random);
    // Dates walk forward a few days per salon from 2019, like a long-running series.
    const start = Date.parse(`${options.firstDate ?? '2019-01-05'}T00:00:00Z`);
    const day = new Date(start + s * 3 * 86_400_000).toISOString().slice(0, 10);
    const title = `${options.titlePrefix ?? 'load'} ${String(s + 1).padStart(width, '0')} ${topic}`;
    const counts: Record<Section, number> = {
      insight: Math.round(options.itemsPerSalon * 0.4),
      question: Math.round(options.itemsPerSalon * 0.35),
      disagreement: 0,
    };
    counts.disagreement = Math.max(0, options.itemsPerSalon - counts.insight - counts.question);
    const items: Array<{ section: Section; text: string }> = [];
    for (const section of ['insight', 'question', 'disagreement'] as const) {
      for (let i = 0; i < counts[section]; i++) {
        items.push({ section, text: makeItem(section, pool, topic, random) });
      }
    }
    // Planted questions replace the salon's first questions (item count unchanged).
    const chosen = new Set<number>();
    while (chosen.size < Math.min(perSalon, counts.question)) {
      chosen.add(Math.floor(random() * recurring.length));
    }
    const firstQuestion = counts.insight;
    [...chosen].forEach((r, i) => {
      const text = recurring[r] as string;
      // Half the salons word it slightly differently, as people do.
      const variant = random() < 0.5 ? text : `So, ${lowerFirst(text)}`;
      items[firstQuestion + i] = { section: 'question', text: variant };
      planted[r]?.salonTitles.push(title);
    });
    salons.push({ title, date: day, items });
  }
  return { salons, planted };
}

/** Write the generated salons as takeaways documents into `dir` (created if missing). */
export async function writeLoadCorpus(
  dir: string,
  options: LoadCorpusOptions,
): Promise<LoadCorpus> {
  const { salons, planted } = await generateLoadSalons(options);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  let items = 0;
  for (const [i, salon] of salons.entries()) {
    const text = renderSalon({
      title: salon.title,
      date: salon.date,
      items: salon.items.map((item, ordinal) => ({
        ...item,
        id: `x#${ordinal}`,
        salonId: 'x',
        ordinal: ordinal + 1,
        line: ordinal + 1,
      })),
    });
    const file = path.join(
      dir,
      `${salon.date}-${options.titlePrefix ?? 'load'}-${String(i + 1).padStart(5, '0')}.md`,
    );
    await writeFile(file, text);
    files.push(file);
    bytes += Buffer.byteLength(text);
    items += salon.items.length;
  }
  return { dir, files, salons: salons.length, items, bytes, planted };
}
