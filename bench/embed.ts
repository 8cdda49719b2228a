/**
 * Embedding bench: speed of the bundled USE-lite model on ONNX Runtime (batch
 * sizes × intra-op threads) side by side with the TensorFlow.js path it
 * replaces (the fallback, worker threads 1 and 2), on real salon items and on
 * short questions; the first embed (model load) timed separately; plus a
 * quality section (paraphrase / adversarial negative / shuffled cosines,
 * theme separation, threshold hit rates). Prints Markdown and writes
 * bench/results/embed.json.
 *
 *   npx tsx bench/embed.ts                      # full run (a few minutes on 2 cores)
 *   npx tsx bench/embed.ts --repeats 5 --model-dir ./minilm   # also the transformers backend
 *   npx tsx bench/embed.ts --batches 1,16 --threads 1,2
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbedder, type Embedder, type EmbedderOptions } from '../src/embed/index.js';
import {
  cosine,
  type EmbedCorpus,
  loadEmbedCorpus,
  mean,
  REPO_ROOT,
  themeSeparation,
} from '../test/fixtures/embed-corpus.js';
import { machineInfo } from './lib/machine.js';

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    batches: { type: 'string', default: '1,8,16,32,128' },
    threads: { type: 'string', default: '1,2' },
    /** Old name of --threads. */
    workers: { type: 'string' },
    'load-repeats': { type: 'string', default: '3' },
    'model-dir': { type: 'string' },
    'skip-speed': { type: 'boolean', default: false },
    /** Result file name: bench/results/<name>.json (the quick `npm run bench` writes embed-quick). */
    name: { type: 'string', default: 'embed' },
  },
});
const repeats = Math.max(3, Number(args.repeats));
const batchSizes = (args.batches as string).split(',').map(Number);
const threadCounts = ((args.workers ?? args.threads) as string)
  .split(',')
  .map(Number)
  .filter((n) => n <= os.availableParallelism());

interface SpeedRow {
  variant: string;
  texts: string;
  batchSize: number;
  threads: number;
  itemsPerSecMin: number;
  itemsPerSecMedian: number;
  itemsPerSecMax: number;
  itemsPerCpuSecMedian: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** One configuration under test, loaded once and timed in every round. */
interface Variant {
  name: string;
  batchSize: number;
  threads: number;
  run(texts: string[]): Promise<unknown>;
  dispose(): Promise<void>;
}

async function embedderVariant(
  name: string,
  options: EmbedderOptions,
  batchSize: number,
  threads: number,
): Promise<Variant> {
  const embedder = await createEmbedder({ ...options, batchSize } as EmbedderOptions);
  return {
    name,
    batchSize,
    threads,
    run: (texts) => embedder.embed(texts),
    dispose: () => embedder.dispose(),
  };
}

interface LoadRow {
  variant: string;
  threads: number;
  /** createEmbedder + embedding one short text in a fresh embedder (the model loads lazily). */
  firstEmbedMsMedian: number;
  firstEmbedMsMax: number;
  /** The next one-text embed on the same embedder. */
  secondEmbedMsMedian: number;
}

/** Model load measured as the first embed of fresh embedders, repeated. */
async function measureLoad(
  name: string,
  options: EmbedderOptions,
  threads: number,
): Promise<LoadRow> {
  const first: number[] = [];
  const second: number[] = [];
  const repeats = Math.max(1, Number(args['load-repeats']));
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const embedder = await createEmbedder(options);
    await embedder.embed(['Who owns the data a model was trained on?']);
    first.push(performance.now() - start);
    const again = performance.now();
    await embedder.embed(['Should schools ban AI tools?']);
    second.push(performance.now() - again);
    await embedder.dispose();
  }
  return {
    variant: name,
    threads,
    firstEmbedMsMedian: median(first),
    firstEmbedMsMax: Math.max(...first),
    secondEmbedMsMedian: median(second),
  };
}

/**
 * Every variant is loaded and warmed up first, then timed once per round,
 * round after round: a busy neighbour on the shared cores then slows all
 * variants alike instead of whichever one happened to be running.
 */
async function measureSpeed(
  variants: Variant[],
  sets: Record<string, string[]>,
): Promise<SpeedRow[]> {
  const warm = Object.values(sets)[0]?.slice(0, 32) ?? [];
  for (const variant of variants) await variant.run(warm);
  const rates = new Map<string, number[]>();
  // Items per CPU-second (all threads of this process): robust to other work
  // on the shared cores, so it ranks batch sizes even when wall-clock is noisy.
  const cpuRates = new Map<string, number[]>();
  const key = (v: number, set: string) => `${v}|${set}`;
  for (let round = 0; round < repeats; round++) {
    process.stderr.write(`  round ${round + 1}/${repeats}\n`);
    for (const [setName, texts] of Object.entries(sets)) {
      for (const [v, variant] of variants.entries()) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        await variant.run(texts);
        const rate = texts.length / ((performance.now() - start) / 1000);
        const cpu = process.cpuUsage(cpuStart);
        const cpuRate = texts.length / ((cpu.user + cpu.system) / 1e6);
        rates.set(key(v, setName), [...(rates.get(key(v, setName)) ?? []), rate]);
        cpuRates.set(key(v, setName), [...(cpuRates.get(key(v, setName)) ?? []), cpuRate]);
      }
    }
  }
  const rows: SpeedRow[] = [];
  for (const setName of Object.keys(sets)) {
    for (const [v, variant] of variants.entries()) {
      const r = rates.get(key(v, setName)) as number[];
      rows.push({
        variant: variant.name,
        texts: setName,
        batchSize: variant.batchSize,
        threads: variant.threads,
        itemsPerSecMin: Math.min(...r),
        itemsPerSecMedian: median(r),
        itemsPerSecMax: Math.max(...r),
        itemsPerCpuSecMedian: median(cpuRates.get(key(v, setName)) as number[]),
      });
    }
  }
  return rows;
}

interface QualityRow {
  embedder: string;
  paraphraseMean: number;
  negativeMean: number;
  shuffledMean: number;
  sameThemeMean: number;
  differentThemeMean: number;
  similarQuestionThreshold: number;
  paraphrasesAboveThreshold: number;
  negativesAboveThreshold: number;
  shuffledAboveThreshold: number;
  relatedInsightThreshold: number;
  sameThemeQuestionInsightAbove: number;
  differentThemeQuestionInsightAbove: number;
}

async function quality(embedder: Embedder, corpus: EmbedCorpus): Promise<QualityRow> {
  const texts = [...new Set(corpus.items.map((item) => item.text))];
  const vectors = await embedder.embed(texts);
  const byText = new Map(texts.map((text, i) => [text, vectors[i] as Float32Array]));
  const sims = (pairs: [string, string][]) =>
    pairs.map(([a, b]) => cosine(byText.get(a) as Float32Array, byText.get(b) as Float32Array));
  const paraphrases = sims(corpus.pairs);
  const negatives = sims(corpus.negatives);
  const shuffled = sims(corpus.shuffled);
  const theme = themeSeparation(
    corpus.items,
    corpus.items.map((item) => byText.get(item.text) as Float32Array),
  );
  // relatedInsight: question × insight pairs (the use in reports), same vs different theme
  const questions = corpus.items.filter((item) => item.section === 'question');
  const insights = corpus.items.filter((item) => item.section === 'insight');
  const same: number[] = [];
  const different: number[] = [];
  for (const q of questions) {
    for (const i of insights) {
      const c = cosine(byText.get(q.text) as Float32Array, byText.get(i.text) as Float32Array);
      (q.theme === i.theme ? same : different).push(c);
    }
  }
  const above = (xs: number[], t: number) => xs.filter((x) => x >= t).length / xs.length;
  const { similarQuestion, relatedInsight } = embedder.thresholds;
  return {
    embedder: embedder.id,
    paraphraseMean: mean(paraphrases),
    negativeMean: mean(negatives),
    shuffledMean: mean(shuffled),
    sameThemeMean: theme.same,
    differentThemeMean: theme.different,
    similarQuestionThreshold: similarQuestion,
    paraphrasesAboveThreshold: above(paraphrases, similarQuestion),
    negativesAboveThreshold: above(negatives, similarQuestion),
    shuffledAboveThreshold: above(shuffled, similarQuestion),
    relatedInsightThreshold: relatedInsight,
    sameThemeQuestionInsightAbove: above(same, relatedInsight),
    differentThemeQuestionInsightAbove: above(different, relatedInsight),
  };
}

const ONNX = 'use-lite onnxruntime-node';
const TFJS = 'use-lite tfjs (before)';

/** Best ONNX row against best tfjs row per text set, wall-clock and per CPU-second. */
function ratioLines(speed: SpeedRow[]): string[] {
  const lines: string[] = [];
  for (const texts of new Set(speed.map((r) => r.texts))) {
    const rows = speed.filter((r) => r.texts === texts);
    const best = (variant: string, pick: (r: SpeedRow) => number) =>
      rows.filter((r) => r.variant === variant).sort((a, b) => pick(b) - pick(a))[0];
    const onnx = best(ONNX, (r) => r.itemsPerSecMedian);
    const tfjs = best(TFJS, (r) => r.itemsPerSecMedian);
    const onnxCpu = best(ONNX, (r) => r.itemsPerCpuSecMedian);
    const tfjsCpu = best(TFJS, (r) => r.itemsPerCpuSecMedian);
    if (!onnx || !tfjs || !onnxCpu || !tfjsCpu) continue;
    lines.push(
      `- ${texts}: best ONNX ${onnx.itemsPerSecMedian.toFixed(0)} items/s (batch ${onnx.batchSize}, ${onnx.threads} threads) vs best tfjs ${tfjs.itemsPerSecMedian.toFixed(0)} items/s (${tfjs.threads} workers): ${(onnx.itemsPerSecMedian / tfjs.itemsPerSecMedian).toFixed(1)}x wall-clock; per CPU-second ${onnxCpu.itemsPerCpuSecMedian.toFixed(0)} vs ${tfjsCpu.itemsPerCpuSecMedian.toFixed(0)}: ${(onnxCpu.itemsPerCpuSecMedian / tfjsCpu.itemsPerCpuSecMedian).toFixed(1)}x.`,
    );
  }
  return lines;
}

const f2 = (x: number) => x.toFixed(2);
const pct = (x: number) => `${Math.round(x * 100)}%`;

async function main() {
  const loadAverageAtStart = os.loadavg();
  const corpus = await loadEmbedCorpus();
  if (!corpus) {
    console.log('bench/embed: ../shared/corpus is absent; nothing to measure.');
    return;
  }
  const items = corpus.items.map((item) => item.text);
  const questions = corpus.items
    .filter((item) => item.section === 'question')
    .map((item) => item.text);
  const sets = { 'salon items': items, 'short questions': questions };
  const speed: SpeedRow[] = [];

  const loads: LoadRow[] = [];
  if (!args['skip-speed']) {
    process.stderr.write('model load (first embed)\n');
    for (const threads of threadCounts) {
      loads.push(
        await measureLoad(ONNX, { backend: 'bundled', runtime: 'onnx', threads }, threads),
      );
      loads.push(
        await measureLoad(TFJS, { backend: 'bundled', runtime: 'tfjs', threads }, threads),
      );
    }
    process.stderr.write('speed: loading variants\n');
    const variants: Variant[] = [];
    for (const threads of threadCounts) {
      // The tfjs path at its own default (batches of 8, one worker thread per thread).
      variants.push(
        await embedderVariant(TFJS, { backend: 'bundled', runtime: 'tfjs', threads }, 8, threads),
      );
      for (const batchSize of batchSizes) {
        variants.push(
          await embedderVariant(
            ONNX,
            { backend: 'bundled', runtime: 'onnx', threads },
            batchSize,
            threads,
          ),
        );
      }
    }
    variants.push(await embedderVariant('hashing@512', { backend: 'hashing' }, 256, 1));
    if (args['model-dir']) {
      const options: EmbedderOptions = {
        backend: 'transformers',
        modelDir: args['model-dir'],
        offline: true,
        dtype: 'fp32',
      };
      for (const batchSize of [8, 32]) {
        variants.push(
          await embedderVariant(
            `transformers ${path.basename(args['model-dir'])}`,
            options,
            batchSize,
            1,
          ),
        );
      }
    }
    try {
      speed.push(...(await measureSpeed(variants, sets)));
    } finally {
      for (const variant of variants) await variant.dispose();
    }
  }
  const loadAverageAfterSpeed = os.loadavg();

  process.stderr.write('quality\n');
  const qualityRows: QualityRow[] = [];
  const embedders: EmbedderOptions[] = [{ backend: 'bundled', threads: 1 }, { backend: 'hashing' }];
  if (args['model-dir'])
    embedders.push({
      backend: 'transformers',
      modelDir: args['model-dir'],
      offline: true,
      dtype: 'fp32',
    });
  for (const options of embedders) {
    const embedder = await createEmbedder(options);
    try {
      qualityRows.push(await quality(embedder, corpus));
    } finally {
      await embedder.dispose();
    }
  }

  const lines: string[] = [];
  const load = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
  lines.push(
    `## Embedding speed (items/s wall-clock, min / median over ${repeats} interleaved rounds after a warm-up; "per CPU-s" = items per CPU-second of this process, median)`,
  );
  lines.push('');
  lines.push(
    `${items.length} salon items (2-4 sentences, ~37 USE tokens) and ${questions.length} questions (~19 tokens); ${os.availableParallelism()} cores, Node ${process.version}; load average (1 / 5 / 15 min) ${load(loadAverageAtStart)} at start, ${load(loadAverageAfterSpeed)} after the speed rounds. The cores are shared: wall-clock figures move with the load, items per CPU-second much less; compare rows of the same run.`,
  );
  lines.push('');
  lines.push('| variant | texts | batch | threads | min | median | per CPU-s |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const r of speed) {
    lines.push(
      `| ${r.variant} | ${r.texts} | ${r.batchSize} | ${r.threads} | ${r.itemsPerSecMin.toFixed(1)} | ${r.itemsPerSecMedian.toFixed(1)} | ${r.itemsPerCpuSecMedian.toFixed(1)} |`,
    );
  }
  const ratios = ratioLines(speed);
  if (ratios.length > 0) lines.push('', ...ratios);
  lines.push('');
  lines.push(
    `Model load, timed as createEmbedder + the first one-text embed of a fresh embedder (median / max of ${args['load-repeats']}), and the next one-text embed:`,
  );
  lines.push('');
  lines.push('| variant | threads | first embed ms (median) | max | next embed ms |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const r of loads) {
    lines.push(
      `| ${r.variant} | ${r.threads} | ${Math.round(r.firstEmbedMsMedian)} | ${Math.round(r.firstEmbedMsMax)} | ${r.secondEmbedMsMedian.toFixed(1)} |`,
    );
  }
  lines.push('');
  lines.push('## Embedding quality on ../shared/corpus (mean cosine)');
  lines.push('');
  lines.push(
    '| embedder | paraphrase pairs | adversarial negatives | shuffled cross-salon | same theme | different theme |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const q of qualityRows) {
    lines.push(
      `| ${q.embedder} | ${f2(q.paraphraseMean)} | ${f2(q.negativeMean)} | ${f2(q.shuffledMean)} | ${f2(q.sameThemeMean)} | ${f2(q.differentThemeMean)} |`,
    );
  }
  lines.push('');
  lines.push("Threshold hit rates (share of pairs at or above the embedder's default threshold):");
  lines.push('');
  lines.push(
    '| embedder | similarQuestion | paraphrases | negatives | shuffled | relatedInsight | same-theme Q×I | different-theme Q×I |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const q of qualityRows) {
    lines.push(
      `| ${q.embedder} | ${q.similarQuestionThreshold} | ${pct(q.paraphrasesAboveThreshold)} | ${pct(q.negativesAboveThreshold)} | ${pct(q.shuffledAboveThreshold)} | ${q.relatedInsightThreshold} | ${pct(q.sameThemeQuestionInsightAbove)} | ${pct(q.differentThemeQuestionInsightAbove)} |`,
    );
  }
  const use = qualityRows.find((q) => q.embedder.startsWith('use-lite'));
  if (use && use.negativeMean > use.paraphraseMean) {
    lines.push('');
    lines.push(
      `**Known weakness:** ${use.embedder} scores the adversarial negatives (same words, different question) higher than the true paraphrases (${f2(use.negativeMean)} vs ${f2(use.paraphraseMean)}), so a similar-question match from it is a candidate to review, not a verdict.`,
    );
  }
  console.log(lines.join('\n'));

  const out = path.join(REPO_ROOT, `bench/results/${args.name}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify(
      {
        bench: 'embed',
        date: new Date().toISOString(),
        // shared cores: compare rows of the same run; the load averages say how busy it was
        machine: { ...machineInfo(), loadAverageAtStart, loadAverageAfterSpeed },
        params: {
          repeats,
          batchSizes,
          threadCounts,
          modelDir: args['model-dir'] ?? null,
          items: items.length,
          questions: questions.length,
        },
        speed,
        load: loads,
        quality: qualityRows,
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}

await main();
