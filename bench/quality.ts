/**
 * Theme-clustering quality on the labelled corpus (`../shared/corpus`): NMI and ARI of
 * the themes vs the 15 hand labels, theme-vs-salon NMI next to it (how much the themes
 * merely mirror the salons; the hand labels' own is printed for reference), guided
 * themes from the 15 label names, chosen k, a shuffled-assignment chance baseline,
 * plain ml-kmeans with the true k as the reference baseline, ablations of each design
 * choice side by side, a leave-one-salon-out robustness check, and cross-salon paraphrase
 * recall@5 from the same vectors. Prints Markdown, writes bench/results/quality.json.
 *
 *   npm run bench:quality
 *
 * Unassigned items count as one extra cluster "(unassigned)" in NMI/ARI, so dropping
 * items can never inflate a score for free.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kmeans } from 'ml-kmeans';
import {
  adjustedRandIndex,
  type ClusterOptions,
  clusterThemes,
  guideText,
  normalizedMutualInfo,
  type ThemeInput,
  type ThemesResult,
} from '../src/cluster/index.js';
import { createEmbedder } from '../src/embed/index.js';
import { type ScoringRow, scoringRows } from './lib/hubness-quality.js';
import { type LabelledCorpus, loadLabelledCorpus } from './lib/quality-corpus.js';
import { meanShuffledNmi } from './lib/quality-shuffle.js';
import { recurringRows, recurringTable } from './lib/recurring-quality.js';
import { searchSettingRows, searchSettingTable } from './lib/search-quality.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus');
const REPEATS = 3;

interface Row {
  variant: string;
  k: number;
  themes: number;
  unassigned: number;
  nmi: number;
  /** NMI between the themes and the salons: lower means themes cut across salons. */
  salonNmi: number;
  ari: number;
  /** NMI of the same cluster sizes shuffled (mean of 20). */
  shuffledNmi: number;
  ms: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

function predicted(input: ThemeInput, assignments: Record<string, string>): string[] {
  return input.items.map((item) => assignments[item.id] ?? '(unassigned)');
}

const salonsOf = (input: ThemeInput): string[] => input.items.map((item) => item.salonId);

function measure(
  corpus: LabelledCorpus,
  variant: string,
  options: ClusterOptions,
  repeats = 1,
): Row {
  const times: number[] = [];
  let out: ReturnType<typeof clusterThemes> | undefined;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    out = clusterThemes(corpus.input, options);
    times.push(performance.now() - t0);
  }
  return rowOf(corpus, variant, (out as ReturnType<typeof clusterThemes>).result, median(times));
}

/** Scores of one clustering against the hand labels and the salons. */
function rowOf(corpus: LabelledCorpus, variant: string, result: ThemesResult, ms: number): Row {
  const pred = predicted(corpus.input, result.assignments);
  return {
    variant,
    k: result.k,
    themes: result.themes.length,
    unassigned: result.unassigned.length,
    nmi: normalizedMutualInfo(pred, corpus.labels),
    salonNmi: normalizedMutualInfo(pred, salonsOf(corpus.input)),
    ari: adjustedRandIndex(pred, corpus.labels),
    shuffledNmi: meanShuffledNmi(pred, corpus.labels, 20, 7),
    ms,
  };
}

/** The pre-existing baseline: plain ml-kmeans on the raw vectors with the true k. */
function baselineKmeans(corpus: LabelledCorpus, seeds: number[]): { mean: Row; best: Row } {
  const data = corpus.input.vectors.map((v) => Array.from(v));
  const rows = seeds.map((seed) => {
    const t0 = performance.now();
    const res = kmeans(data, 15, { seed, initialization: 'kmeans++' });
    const ms = performance.now() - t0;
    return {
      variant: `baseline ml-kmeans raw k=15 seed ${seed}`,
      k: 15,
      themes: 15,
      unassigned: 0,
      nmi: normalizedMutualInfo(res.clusters, corpus.labels),
      salonNmi: normalizedMutualInfo(res.clusters, salonsOf(corpus.input)),
      ari: adjustedRandIndex(res.clusters, corpus.labels),
      shuffledNmi: meanShuffledNmi(res.clusters, corpus.labels, 20, 7),
      ms,
    } satisfies Row;
  });
  const avg = (f: (r: Row) => number): number => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const best = rows.reduce((a, b) => (b.nmi > a.nmi ? b : a));
  return {
    mean: {
      variant: `baseline: plain ml-kmeans, raw vectors, k=15 (mean of ${seeds.length} seeds)`,
      k: 15,
      themes: 15,
      unassigned: 0,
      nmi: avg((r) => r.nmi),
      salonNmi: avg((r) => r.salonNmi),
      ari: avg((r) => r.ari),
      shuffledNmi: avg((r) => r.shuffledNmi),
      ms: median(rows.map((r) => r.ms)),
    },
    best: { ...best, variant: 'baseline: best seed of those' },
  };
}

/**
 * Default, the old default (average linkage, no salon centring), k-means k=15 and the
 * guided run (both guide scorings), one salon left out at a time.
 */
function leaveOneSalonOut(
  corpus: LabelledCorpus,
  guided: GuidedRun,
): Array<Record<string, string | number>> {
  return corpus.input.salons.map((salon) => {
    const keep = corpus.input.items.map((item) => item.salonId !== salon.id);
    const sub: LabelledCorpus = {
      ...corpus,
      input: {
        ...corpus.input,
        salons: corpus.input.salons.filter((s) => s.id !== salon.id),
        items: corpus.input.items.filter((_, i) => keep[i]),
        vectors: corpus.input.vectors.filter((_, i) => keep[i]),
      },
      labels: corpus.labels.filter((_, i) => keep[i]),
    };
    const def = measure(sub, 'default', {});
    const old = measure(sub, 'old default', OLD_DEFAULT);
    const km = measure(sub, 'kmeans', { method: 'kmeans', k: 15 });
    const guidedNmi = (guideScoring: 'csls' | 'cosine'): number =>
      measureGuided(sub, guided, 'guided', { guideScoring }).nmi;
    return {
      leftOut: salon.id,
      defaultK: def.k,
      defaultNmi: def.nmi,
      defaultSalonNmi: def.salonNmi,
      oldDefaultNmi: old.nmi,
      oldDefaultSalonNmi: old.salonNmi,
      kmeansK15Nmi: km.nmi,
      guidedNmi: guidedNmi('csls'),
      guidedCosineNmi: guidedNmi('cosine'),
    };
  });
}

const f3 = (x: number): string => x.toFixed(3);

/** The defaults before cross-salon themes (issue 14): average linkage, salon means kept. */
const OLD_DEFAULT: ClusterOptions = { method: 'average-linkage', salonCentering: 0 };

/** The 15 hand label names (dashes read as spaces) as a guide, as `themes --guide` passes them, embedded once. */
interface GuidedRun {
  guide: Array<{ name: string; description?: string }>;
  guideVectors: Float32Array[];
}

/**
 * The label names as a guide; with `described`, each name also carries its one-line scope
 * from the corpus README's vocabulary table (bracketed boundary notes dropped).
 */
async function embedLabelGuide(corpus: LabelledCorpus, described = false): Promise<GuidedRun> {
  const scopes = described ? await labelScopes() : new Map<string, string>();
  const guide = [...new Set(corpus.labels)].map((t) => {
    const description = scopes.get(t);
    return { name: t.replace(/-/g, ' '), ...(description ? { description } : {}) };
  });
  const embedder = await createEmbedder();
  try {
    return { guide, guideVectors: await embedder.embed(guide.map(guideText)) };
  } finally {
    await embedder.dispose();
  }
}

/** `| \`label\` | scope (boundary notes) |` rows of ../shared/corpus/README.md. */
async function labelScopes(): Promise<Map<string, string>> {
  const readme = await readFile(path.join(corpusDir, 'README.md'), 'utf8').catch(() => '');
  return new Map(
    [...readme.matchAll(/^\| `([a-z-]+)` \| (.+) \|$/gm)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/\s*\(.*?\)/g, ''),
    ]),
  );
}

function measureGuided(
  corpus: LabelledCorpus,
  { guide, guideVectors }: GuidedRun,
  variant: string,
  options: ClusterOptions = {},
): Row {
  const t0 = performance.now();
  const { result } = clusterThemes({ ...corpus.input, guideVectors }, { ...options, guide });
  const ms = performance.now() - t0;
  const count = (kind: string): number => result.themes.filter((t) => t.kind === kind).length;
  // How many items the guided themes hold, and how many of those carry the theme's name as
  // their hand label (the guide is the label names, so name === label with dashes as spaces).
  const nameOf = new Map(
    result.themes.filter((t) => t.kind === 'guided').map((t) => [t.id, t.label]),
  );
  let held = 0;
  let right = 0;
  corpus.input.items.forEach((item, i) => {
    const name = nameOf.get(result.assignments[item.id] ?? '');
    if (name === undefined) return;
    held++;
    if (name === (corpus.labels[i] as string).replace(/-/g, ' ')) right++;
  });
  const share = held > 0 ? Math.round((100 * right) / held) : 0;
  return rowOf(
    corpus,
    `${variant} (${count('guided')} guided + ${count('discovered')} discovered; ${held} items in guided themes, ${share}% under their hand label)`,
    result,
    ms,
  );
}

/** Recurring questions and related insights, one column per scoring (issue #13). */
function scoringTable(rows: ScoringRow[]): string[] {
  const name = (r: ScoringRow): string =>
    r.scoring === 'before' ? 'before (cosine, average linkage, top-3 insights)' : r.scoring;
  const line = (label: string, f: (r: ScoringRow) => string): string =>
    `| ${label} | ${rows.map(f).join(' | ')} |`;
  const questions = rows[0]?.questions ?? 0;
  return [
    '### Recurring questions and related insights, per scoring',
    '',
    `| measure | ${rows.map(name).join(' | ')} |`,
    `|---|${rows.map(() => '---:').join('|')}|`,
    line('paraphrase search recall@1 (80 queries)', (r) => f3(r.recall1)),
    line('paraphrase search recall@5', (r) => f3(r.recall5)),
    line('paraphrase search MRR', (r) => f3(r.mrr)),
    line('group threshold (default)', (r) => r.threshold.toFixed(2)),
    line('paraphrase pairs grouped (of 40)', (r) => String(r.pairsGrouped)),
    line('look-alike negatives grouped (of 20)', (r) => String(r.negativesGrouped)),
    line(
      'groups / mean size / largest',
      (r) => `${r.groups} / ${r.meanGroupSize.toFixed(2)} / ${r.largestGroup}`,
    ),
    line('links below threshold in the first 5 groups', (r) => String(r.weakInFirstFive)),
    line(`largest hub (questions one insight is related to, of ${questions})`, (r) =>
      String(r.largestHub),
    ),
    line('questions with ≥ 1 related insight', (r) => String(r.questionsWithInsights)),
  ];
}

async function main(): Promise<void> {
  const corpus = await loadLabelledCorpus(corpusDir);
  if (!corpus) {
    console.log(`bench:quality skipped: no labelled corpus at ${corpusDir}`);
    return;
  }
  const labelCount = new Set(corpus.labels).size;
  const log = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };

  log('baseline ml-kmeans…');
  const baseline = baselineKmeans(corpus, [1, 2, 3, 4, 5]);
  log('cluster variants…');
  const variants: Array<[string, ClusterOptions, number]> = [
    ['**default** (Ward, section-centred, salon topic removed: auto, k auto)', {}, REPEATS],
    ['Ward, salon centring 0 (salon means kept)', { salonCentering: 0 }, 1],
    ['Ward, salon centring 0.25', { salonCentering: 0.25 }, 1],
    ['Ward, salon centring 0.5', { salonCentering: 0.5 }, 1],
    ['Ward, salon centring 0.75', { salonCentering: 0.75 }, 1],
    ['Ward, salon centring 1 (whole salon mean removed)', { salonCentering: 1 }, 1],
    ['old default: average linkage, salon centring 0', OLD_DEFAULT, 1],
    ['average linkage, salon centring auto', { method: 'average-linkage' }, 1],
    ['Ward, k=15', { k: 15 }, 1],
    ['average linkage, k=15, salon centring 0', { ...OLD_DEFAULT, k: 15 }, 1],
    ['Ward, k=15, no section centring', { k: 15, centerSections: false }, 1],
    ['kmeans (8 restarts), section-centred, k=15', { method: 'kmeans', k: 15 }, 1],
    [
      'kmeans (8 restarts), no centring, k=15',
      { method: 'kmeans', k: 15, centerSections: false },
      1,
    ],
    ['kmeans (8 restarts), section-centred, k auto', { method: 'kmeans' }, 1],
    ['default + outlierThreshold 0.1', { outlierThreshold: 0.1 }, 1],
    ['default + outlierThreshold 0.2', { outlierThreshold: 0.2 }, 1],
    ['default + minSize 5', { minSize: 5 }, 1],
  ];
  const rows: Row[] = [baseline.mean, baseline.best];
  for (const [name, options, repeats] of variants) {
    log(`  ${name}`);
    rows.push(measure(corpus, name, options, repeats));
  }
  const defaultRow = rows[2] as Row;
  log('guided…');
  const guided = await embedLabelGuide(corpus);
  const names = `--guide with the ${guided.guide.length} label names`;
  const guidedRow = measureGuided(
    corpus,
    guided,
    `guided: ${names}, clusters matched by CSLS (default)`,
  );
  const cosineGuidedRow = measureGuided(corpus, guided, `guided: ${names}, plain cosine (before)`, {
    guideScoring: 'cosine',
  });
  const describedRow = measureGuided(
    corpus,
    await embedLabelGuide(corpus, true),
    `guided: the same names with the corpus README's one-line scopes as descriptions`,
  );
  // The k a guide asks for, without the guide: how much of the guided NMI is finer clustering.
  const guidedK = guidedRow.k;
  rows.push(
    guidedRow,
    cosineGuidedRow,
    describedRow,
    measure(corpus, `Ward, k=${guidedK} (the guided run's k), no guide`, { k: guidedK }),
  );
  const labelSalonNmi = normalizedMutualInfo(corpus.labels, salonsOf(corpus.input));
  const auto = clusterThemes(corpus.input, {}).result;
  log('leave-one-salon-out…');
  const loso = leaveOneSalonOut(corpus, guided);
  log('scorings (paraphrase search, recurring questions, related insights)…');
  const scorings = await scoringRows(corpus);
  log('recurring questions through the lens, per scoring, and leaving each salon out…');
  const recurringEmbedder = await createEmbedder();
  const recurring = await recurringRows(corpusDir, recurringEmbedder);
  log('search settings on the free-text queries and the question look-ups…');
  const searchSettings = await searchSettingRows(corpusDir, recurringEmbedder);
  await recurringEmbedder.dispose();
  const cosineRow = scorings.find((r) => r.scoring === 'cosine') as ScoringRow;
  const paraphrase = { recall: cosineRow.recall5, queries: cosineRow.queries };

  const lines: string[] = [];
  lines.push('## Theme clustering quality vs hand labels');
  lines.push('');
  lines.push(
    `Corpus: ${corpus.input.items.length} items, ${corpus.input.salons.length} salons, ${labelCount} labels. Vectors: ${corpus.vectorSource}.`,
  );
  lines.push('');
  lines.push(
    '| variant | k | themes | unassigned | NMI | theme-vs-salon NMI | ARI | shuffled NMI | NMI / shuffled | ms (median) |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.variant} | ${r.k} | ${r.themes} | ${r.unassigned} | ${f3(r.nmi)} | ${f3(r.salonNmi)} | ${f3(r.ari)} | ${f3(r.shuffledNmi)} | ${(r.nmi / r.shuffledNmi).toFixed(2)} | ${r.ms.toFixed(0)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Hand labels vs salons: NMI ${f3(labelSalonNmi)} (how much the true themes follow the salons). Salon-topic fractions removed by the default: ${Object.entries(
      auto.salonCentering ?? {},
    )
      .map(([salon, f]) => `${salon.slice(0, 10)} ${f.toFixed(2)}`)
      .join(', ')}.`,
  );
  lines.push('');
  lines.push(
    `Chosen k (default, silhouette): **${defaultRow.k}** vs ${labelCount} hand labels. Curve: ${auto.kSelection.curve.map((p) => `${p.k}:${p.score.toFixed(3)}`).join(' ')}`,
  );
  lines.push('');
  lines.push('### Leave one salon out (robustness)');
  lines.push('');
  lines.push(
    '| left out | default k | default NMI | default salon NMI | old default NMI | old default salon NMI | kmeans k=15 NMI | guided NMI (CSLS) | guided NMI (cosine) |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of loso) {
    lines.push(
      `| ${r.leftOut} | ${r.defaultK} | ${f3(r.defaultNmi as number)} | ${f3(r.defaultSalonNmi as number)} | ${f3(r.oldDefaultNmi as number)} | ${f3(r.oldDefaultSalonNmi as number)} | ${f3(r.kmeansK15Nmi as number)} | ${f3(r.guidedNmi as number)} | ${f3(r.guidedCosineNmi as number)} |`,
    );
  }
  const mean = (key: string): number =>
    loso.reduce((sum, r) => sum + (r[key] as number), 0) / Math.max(1, loso.length);
  lines.push(
    `| **mean** | | ${f3(mean('defaultNmi'))} | ${f3(mean('defaultSalonNmi'))} | ${f3(mean('oldDefaultNmi'))} | ${f3(mean('oldDefaultSalonNmi'))} | ${f3(mean('kmeansK15Nmi'))} | ${f3(mean('guidedNmi'))} | ${f3(mean('guidedCosineNmi'))} |`,
  );
  lines.push('');
  lines.push(
    `Cross-salon paraphrase recall@5 (raw cosine, ${paraphrase.queries} queries from ${corpus.pairs.length} pairs, both directions): **${f3(paraphrase.recall)}**`,
  );
  lines.push('');
  lines.push(...scoringTable(scorings));
  lines.push('');
  lines.push(...recurringTable(recurring));
  lines.push('');
  lines.push(...searchSettingTable(searchSettings));
  console.log(lines.join('\n'));

  const out = {
    name: 'quality',
    date: new Date().toISOString(),
    machine: {
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    params: {
      corpus: path.relative(repoRoot, corpusDir),
      items: corpus.input.items.length,
      labels: labelCount,
      vectors: corpus.vectorSource,
      repeatsForTiming: REPEATS,
      shuffledRepeats: 20,
    },
    rows,
    labelSalonNmi,
    salonCentering: auto.salonCentering,
    chosenK: defaultRow.k,
    kCurve: auto.kSelection.curve,
    leaveOneSalonOut: loso,
    paraphraseRecallAt5: paraphrase,
    scorings,
    recurring,
    searchSettings,
  };
  const dir = path.join(repoRoot, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'quality.json');
  const tmp = `${file}.${process.pid}.tmp.json`;
  await writeFile(tmp, `${JSON.stringify(out, null, 2)}\n`);
  await rename(tmp, file);
  log(`wrote ${path.relative(repoRoot, file)}`);
}

await main();
