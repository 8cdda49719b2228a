/**
 * A synthetic salon archive: weekly salons, each with insights, questions and
 * disagreements built from templates and word lists with a seeded RNG (no downloads),
 * and one question planted verbatim or near-verbatim in every `plantEvery`-th salon.
 * The same arguments always give the same files.
 *
 *   const archive = makeArchive({ salons: 300, itemsPerSalon: 40 });
 *   await writeArchive(archive, '/tmp/archive'); // 300 .md files
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '../../src/util/random.js';

export interface ArchiveOptions {
  salons: number;
  itemsPerSalon?: number;
  /** Plant the question in every n-th salon (300 salons / 5 = 60). @default 5 */
  plantEvery?: number;
  seed?: number;
  /** First salon's date (a Saturday). @default 2020-01-04 */
  start?: string;
}

export interface ArchiveSalon {
  file: string;
  date: string;
  title: string;
  text: string;
}

export interface Archive {
  salons: ArchiveSalon[];
  /** The planted question's verbatim wording. */
  planted: string;
  /** Ids (file names without .md) of the salons that ask it. */
  plantedIn: string[];
  distinctSentences: number;
  items: number;
}

export const PLANTED_QUESTION =
  'Should artists be paid when their work is used to train a commercial model?';
/** Near-verbatim variants: punctuation, case, a stopword or a plural changed. */
const PLANTED_VARIANTS = [
  PLANTED_QUESTION,
  'Should artists be paid when their work is used to train a commercial model ?',
  'should artists be paid when their work is used to train a commercial model?',
  'Should artists be paid when their work is used to train commercial models?',
  'Should the artists be paid when their work is used to train a commercial model?',
];

/** Topics: the words a salon about it uses. Sentences mix one topic's words with shared frames. */
const TOPICS: { name: string; actors: string[]; things: string[]; stakes: string[] }[] = [
  {
    name: 'copyright and art',
    actors: ['illustrators', 'photographers', 'musicians', 'novelists', 'art schools'],
    things: ['training data licences', 'style imitation', 'image generators', 'royalty pools'],
    stakes: ['fair pay for creators', 'the value of original work', 'authorship'],
  },
  {
    name: 'education',
    actors: ['teachers', 'students', 'school boards', 'tutors', 'university deans'],
    things: ['homework assistants', 'essay grading tools', 'exam proctoring', 'lesson planners'],
    stakes: ['academic honesty', 'how children learn to write', 'teacher workload'],
  },
  {
    name: 'healthcare',
    actors: ['doctors', 'nurses', 'hospital administrators', 'patients', 'radiologists'],
    things: ['diagnostic models', 'triage chatbots', 'clinical note summarisers', 'scan readers'],
    stakes: ['patient safety', 'medical liability', 'trust between patient and doctor'],
  },
  {
    name: 'jobs and labour',
    actors: ['warehouse workers', 'call centre staff', 'unions', 'recruiters', 'freelancers'],
    things: ['automated scheduling', 'hiring filters', 'productivity trackers', 'gig platforms'],
    stakes: ['wages', 'job security', 'bargaining power'],
  },
  {
    name: 'privacy',
    actors: ['privacy advocates', 'data brokers', 'regulators', 'app developers', 'parents'],
    things: ['facial recognition', 'location tracking', 'voice assistants', 'ad targeting'],
    stakes: ['consent', 'surveillance', 'the right to be forgotten'],
  },
  {
    name: 'open source and concentration',
    actors: ['frontier labs', 'startups', 'open-source maintainers', 'cloud providers'],
    things: ['open-weight models', 'compute clusters', 'model APIs', 'GPU supply'],
    stakes: ['market concentration', 'vendor lock-in', 'who controls the models'],
  },
  {
    name: 'climate and energy',
    actors: ['data centre operators', 'utilities', 'climate researchers', 'city planners'],
    things: ['training runs', 'cooling systems', 'grid forecasting', 'carbon accounting'],
    stakes: ['energy use', 'water consumption', 'emissions targets'],
  },
  {
    name: 'elections and misinformation',
    actors: ['journalists', 'election officials', 'campaign staff', 'fact-checkers'],
    things: ['deepfake videos', 'synthetic news sites', 'bot networks', 'recommendation feeds'],
    stakes: ['public trust', 'free and fair elections', 'media literacy'],
  },
  {
    name: 'law and justice',
    actors: ['judges', 'public defenders', 'police departments', 'legal aid clinics'],
    things: ['risk assessment scores', 'contract review tools', 'predictive policing'],
    stakes: ['due process', 'bias against minorities', 'access to justice'],
  },
  {
    name: 'finance',
    actors: ['banks', 'credit unions', 'insurers', 'retail investors', 'auditors'],
    things: ['credit scoring models', 'fraud detection', 'trading bots', 'robo-advisers'],
    stakes: ['fair lending', 'market stability', 'explainable decisions'],
  },
  {
    name: 'companionship and mental health',
    actors: ['therapists', 'lonely teenagers', 'elderly people', 'counsellors'],
    things: ['companion chatbots', 'mood trackers', 'therapy apps', 'virtual friends'],
    stakes: ['emotional dependence', 'human connection', 'wellbeing'],
  },
  {
    name: 'science',
    actors: ['biologists', 'chemists', 'lab managers', 'peer reviewers'],
    things: ['protein structure prediction', 'automated experiments', 'paper summarisers'],
    stakes: ['reproducibility', 'the pace of discovery', 'scientific credit'],
  },
  {
    name: 'safety and alignment',
    actors: ['safety researchers', 'red teams', 'policy makers', 'model evaluators'],
    things: ['autonomous agents', 'capability evaluations', 'kill switches', 'model audits'],
    stakes: ['catastrophic misuse', 'loss of control', 'accountability'],
  },
  {
    name: 'transport',
    actors: ['truck drivers', 'city councils', 'insurers of vehicles', 'cyclists'],
    things: ['self-driving cars', 'delivery drones', 'traffic optimisation', 'robotaxis'],
    stakes: ['road safety', 'liability after crashes', 'public space'],
  },
  {
    name: 'agriculture and food',
    actors: ['farmers', 'agronomists', 'food retailers', 'seed companies'],
    things: ['crop monitoring drones', 'yield forecasts', 'precision irrigation', 'weed robots'],
    stakes: ['food security', 'small farms', 'soil health'],
  },
  {
    name: 'software engineering',
    actors: ['programmers', 'engineering managers', 'junior developers', 'security teams'],
    things: ['coding assistants', 'generated tests', 'code review bots', 'legacy migrations'],
    stakes: ['code quality', 'skills of new engineers', 'software security'],
  },
];

const ADVERBS = [
  'quickly',
  'quietly',
  'already',
  'increasingly',
  'rarely',
  'often',
  'openly',
  'slowly',
];
const PLACES = [
  'in small towns',
  'in large cities',
  'in Europe',
  'in the United States',
  'in India',
  'in Brazil',
  'in rural areas',
  'at work',
  'at home',
  'in schools',
];
const INSIGHT_FRAMES = [
  (a: string, t: string, s: string, adv: string, p: string) =>
    `${cap(a)} ${p} ${adv} rely on ${t}, and several people worried about ${s}.`,
  (a: string, t: string, s: string, adv: string, p: string) =>
    `One participant said ${a} ${p} are ${adv} judged by ${t}, which changes ${s}.`,
  (a: string, t: string, s: string, adv: string, p: string) =>
    `The group agreed that ${t} ${p} ${adv} shift ${s} away from ${a}.`,
  (a: string, t: string, s: string, adv: string, p: string) =>
    `Several people noted that ${a} ${adv} adopt ${t} ${p} before anyone has thought about ${s}.`,
  (a: string, t: string, s: string, adv: string, p: string) =>
    `A guest who works with ${a} ${p} described how ${t} ${adv} reshaped ${s}.`,
  (a: string, t: string, s: string, adv: string, p: string) =>
    `It was argued that ${s} depends on whether ${a} ${p} can ${adv} audit ${t}.`,
];
const QUESTION_FRAMES = [
  (a: string, t: string, s: string, p: string) =>
    `Who is responsible for ${s} when ${a} ${p} use ${t}?`,
  (a: string, t: string, s: string, p: string) =>
    `Should ${a} ${p} be allowed to use ${t} without rules on ${s}?`,
  (a: string, t: string, s: string, p: string) => `How will ${t} change ${s} for ${a} ${p}?`,
  (a: string, t: string, s: string, p: string) => `Can ${a} ${p} trust ${t} with ${s}?`,
  (a: string, t: string, s: string, p: string) =>
    `What would ${a} ${p} need to know about ${t} to protect ${s}?`,
];
const DISAGREEMENT_FRAMES = [
  (a: string, t: string, s: string, p: string) =>
    `Whether ${t} help or harm ${a} ${p}. Some argued they protect ${s}, while others said they erode it.`,
  (a: string, t: string, s: string, p: string) =>
    `Whether ${a} ${p} should be forced to disclose their use of ${t}. One side put ${s} first, the other feared red tape.`,
];

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function makeArchive(options: ArchiveOptions): Archive {
  const itemsPerSalon = options.itemsPerSalon ?? 40;
  const plantEvery = options.plantEvery ?? 5;
  const random = seededRandom(options.seed ?? 24);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const questionsPer = Math.max(2, Math.round(itemsPerSalon * 0.35));
  const disagreementsPer = Math.max(1, Math.round(itemsPerSalon * 0.15));
  const insightsPer = Math.max(1, itemsPerSalon - questionsPer - disagreementsPer);
  const distinct = new Set<string>();
  const salons: ArchiveSalon[] = [];
  const plantedIn: string[] = [];
  let items = 0;
  for (let s = 0; s < options.salons; s++) {
    const date = addDays(options.start ?? '2020-01-04', 7 * s);
    // Each salon has a main topic and a second one, as real evenings drift.
    const main = pick(TOPICS);
    const other = pick(TOPICS);
    const topicOf = () => (random() < 0.7 ? main : other);
    const words = () => {
      const t = topicOf();
      return { a: pick(t.actors), t: pick(t.things), s: pick(t.stakes) };
    };
    const unique = (make: () => string): string => {
      // Retry a few times for a sentence this salon does not have yet.
      for (let tries = 0; tries < 20; tries++) {
        const text = make();
        if (!seen.has(text)) {
          seen.add(text);
          distinct.add(text);
          return text;
        }
      }
      return make();
    };
    const seen = new Set<string>();
    const insights = Array.from({ length: insightsPer }, () =>
      unique(() => {
        const w = words();
        return pick(INSIGHT_FRAMES)(w.a, w.t, w.s, pick(ADVERBS), pick(PLACES));
      }),
    );
    const questions = Array.from({ length: questionsPer }, () =>
      unique(() => {
        const w = words();
        return pick(QUESTION_FRAMES)(w.a, w.t, w.s, pick(PLACES));
      }),
    );
    const id = `${date}-ai-salon-${main.name.replace(/[^a-z]+/g, '-')}`;
    if (s % plantEvery === 0) {
      questions[0] = PLANTED_VARIANTS[(s / plantEvery) % PLANTED_VARIANTS.length] as string;
      plantedIn.push(id);
    }
    const disagreements = Array.from({ length: disagreementsPer }, () =>
      unique(() => {
        const w = words();
        return pick(DISAGREEMENT_FRAMES)(w.a, w.t, w.s, pick(PLACES));
      }),
    );
    items += insights.length + questions.length + disagreements.length;
    const title = `Ai salon - ${main.name}`;
    const text = [
      `These are the takeaways from the conversation: ${date} ${title}.m4a`,
      '',
      '# Insights',
      ...insights.map((t) => `- ${t}`),
      '',
      '# Questions',
      ...questions.map((t) => `- ${t}`),
      '',
      '# Disagreements',
      ...disagreements.map((t, i) => `- [Disagreement ${i + 1}] ${t}`),
      '',
    ].join('\n');
    salons.push({ file: `${id}.md`, date, title, text });
  }
  return {
    salons,
    planted: PLANTED_QUESTION,
    plantedIn,
    distinctSentences: distinct.size,
    items,
  };
}

export async function writeArchive(archive: Archive, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const s of archive.salons) await writeFile(path.join(dir, s.file), s.text);
}
