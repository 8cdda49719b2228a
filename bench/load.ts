/**
 * Load bench: one store holding 2,000 generated salons (~200k items), built with the
 * `hashing` embedder so the figures are about the store, not the model. Records build
 * time, peak RSS per phase, store bytes, open/verify times, query latency (vector,
 * filtered, exact, lexical), recall@10, similarQuestions over all questions, an
 * incremental add/remove, and clusterThemes on everything (the k-means fallback).
 * Prints Markdown, writes bench/results/load.json.
 *
 *   npm run bench:load                          # 2,000 salons × 100 items, hashing@256
 *   npm run bench:load -- --salons 200 --no-cluster
 *
 * Peak RSS is the kernel's high-water mark (VmHWM), reset before each phase through
 * /proc/self/clear_refs, so phases that never yield to the event loop are measured too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clusterThemes } from '../src/cluster/index.js';
import { createEmbedder } from '../src/embed/index.js';
import { createLens, type Lens, openLens, verifyLens } from '../src/index/index.js';
import { type LoadCorpus, writeLoadCorpus } from './load-corpus.js';

const repoRoot = path.resolve(import.meta.dirname, '..');

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const params = {
  salons: flag('salons', 2000),
  itemsPerSalon: flag('items', 100),
  dim: flag('dim', 256),
  seed: flag('seed', 1),
  queries: flag('queries', 200),
  cluster: !process.argv.includes('--no-cluster'),
};

const MiB = 2 ** 20;
const mib = (bytes: number) => Math.round(bytes / MiB);

/** The kernel's RSS high-water mark (VmHWM), in bytes; undefined off Linux. */
function rssHighWater(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Reset the high-water mark to the current RSS, so the next reading covers one phase. */
function resetHighWater(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux (or not allowed): peaks then cover everything since start.
  }
}

interface Phase {
  ms: number;
  /** Highest RSS during the phase (MiB). */
  peakRssMiB: number | null;
  /** RSS when the phase ended (MiB). */
  rssMiB: number;
}

const phases: Record<string, Phase> = {};
async function phase<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  global.gc?.();
  resetHighWater();
  const start = performance.now();
  const value = await fn();
  const ms = performance.now() - start;
  const peak = rssHighWater();
  phases[name] = {
    ms: Math.round(ms),
    peakRssMiB: peak === undefined ? null : mib(peak),
    rssMiB: mib(process.memoryUsage().rss),
  };
  process.stderr.write(
    `[load] ${name}: ${(ms / 1000).toFixed(1)} s, peak RSS ${phases[name].peakRssMiB} MiB\n`,
  );
  return value;
}

async function folderBytes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await readdir(dir)) out[name] = (await stat(path.join(dir, name))).size;
  return out;
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: values.length,
    meanMs: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

async function latency(
  lens: Lens,
  queries: string[],
  options: Parameters<Lens['search']>[1],
): Promise<ReturnType<typeof percentiles> & { hitsPerQuery: number }> {
  const times: number[] = [];
  let hits = 0;
  for (const q of queries) {
    const t = performance.now();
    hits += (await lens.search(q, options)).length;
    times.push(performance.now() - t);
  }
  return { ...percentiles(times), hitsPerQuery: hits / queries.length };
}

async function main(): Promise<void> {
  const work = path.join(os.tmpdir(), `salon-lens-load-${process.pid}`);
  const corpusDir = path.join(work, 'salons');
  const store = path.join(work, 'store');
  await rm(work, { recursive: true, force: true });
  const loadAverageAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const embedder = await createEmbedder({ backend: 'hashing', dim: params.dim });
  const baselineRss = mib(process.memoryUsage().rss);

  const corpus: LoadCorpus = await phase('generate', () =>
    writeLoadCorpus(corpusDir, {
      salons: params.salons,
      itemsPerSalon: params.itemsPerSalon,
      seed: params.seed,
    }),
  );

  // 1. Build: one addSalons over the whole folder, as `salon-lens index <dir>` does.
  const stages: Record<string, number> = {};
  let stageStart = performance.now();
  let lastStage = '';
  const built = await phase('build', async () => {
    const lens = await createLens(store, { embedder });
    const summary = await lens.addSalons([corpusDir], {
      onProgress: (p) => {
        if (p.stage === lastStage) return;
        const now = performance.now();
        if (lastStage) stages[lastStage] = (stages[lastStage] ?? 0) + now - stageStart;
        stageStart = now;
        lastStage = p.stage;
      },
    });
    stages[lastStage] = (stages[lastStage] ?? 0) + performance.now() - stageStart;
    await lens.close();
    return summary;
  });
  const files = await folderBytes(store);
  const storeBytes = Object.values(files).reduce((a, b) => a + b, 0);

  // 2. Open and verify a store this size.
  const reader = await phase('open', () => openLens(store, { embedder, readOnly: true }));
  const verify = await phase('verify', () => verifyLens(store));
  if (!verify.ok) throw new Error(`verify failed: ${JSON.stringify(verify.problems)}`);

  // 3. Queries: texts cut from stored items (a few words each), seeded.
  const snapshotItems = (await reader.snapshot()).items;
  const queries = Array.from({ length: params.queries }, (_, i) => {
    const item =
      snapshotItems[
        Math.floor(((i * 7919) % params.queries) * (snapshotItems.length / params.queries))
      ];
    return (item?.text ?? 'who owns the models').split(' ').slice(2, 10).join(' ');
  });
  const searches = await phase('queries', async () => ({
    vector: await latency(reader, queries, { k: 10 }),
    filteredQuestions: await latency(reader, queries.slice(0, 50), { k: 10, section: 'question' }),
    filteredOneSalon: await latency(reader, queries.slice(0, 50), {
      k: 10,
      salon: reader.salons()[0]?.id,
    }),
    exact: await latency(reader, queries.slice(0, 20), { k: 10, exact: true }),
    lexicalFirst: await latency(reader, queries.slice(0, 1), { k: 10, mode: 'lexical' }),
    lexical: await latency(reader, queries.slice(1, 21), { k: 10, mode: 'lexical' }),
  }));
  const recall = await phase('recall', async () => ({
    defaultEf: await reader.recallCheck({ sample: 200, k: 10 }),
    ef512: await reader.recallCheck({ sample: 200, k: 10, ef: 512 }),
  }));

  // 4. Similar questions over every question of every salon.
  const similar = await phase('similarQuestions', () => reader.similarQuestions());
  const groupOf = new Map<string, number>();
  similar.forEach((g, i) => {
    for (const q of g.questions) groupOf.set(q.item.id, i);
  });
  // Each recurring question's occurrences: how many landed in one group together.
  let plantedTogether = 0;
  let plantedTotal = 0;
  corpus.planted.forEach((planted, r) => {
    if (planted.salonTitles.length < 2) return;
    const marker = `(recurring ${r + 1})?`;
    const counts = new Map<number, number>();
    let occurrences = 0;
    for (const item of snapshotItems) {
      if (item.section !== 'question' || !item.text.endsWith(marker)) continue;
      occurrences++;
      const g = groupOf.get(item.id);
      if (g !== undefined) counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    plantedTogether += Math.max(0, ...counts.values());
    plantedTotal += occurrences;
  });
  const questions = snapshotItems.filter((i) => i.section === 'question').length;
  await reader.close();

  // 5. Incremental: 10 more salons into the full store, then removed again.
  const extraDir = path.join(work, 'extra');
  await writeLoadCorpus(extraDir, {
    salons: 10,
    itemsPerSalon: params.itemsPerSalon,
    seed: params.seed + 1000,
    titlePrefix: 'extra',
    firstDate: '2099-01-01',
  });
  const writer = await openLens(store, { embedder });
  /** Bytes of files a write created or changed (an incremental save names new files). */
  const writtenBy = async <T>(fn: () => Promise<T>) => {
    const before = await folderBytes(store);
    const value = await fn();
    const after = await folderBytes(store);
    const files = Object.fromEntries(
      Object.entries(after).filter(([name, size]) => name !== 'lock' && before[name] !== size),
    );
    const changed = Object.keys(files).filter((name) => name in before);
    const bytes = Object.values(files).reduce((a, b) => a + b, 0);
    const total = Object.values(after).reduce((a, b) => a + b, 0);
    // Same-size rewrites of one name would be missed: the store only ever replaces manifest.json.
    return { value, written: { bytes, shareOfStore: bytes / total, files, replaced: changed } };
  };
  const add = await phase('add10', () => writtenBy(() => writer.addSalons([extraDir])));
  // A reader replays the appended segment on the base graph when it opens.
  const reopened = await phase('openAfterAdd', () => openLens(store, { embedder, readOnly: true }));
  await reopened.close();
  const remove = await phase('remove10', () =>
    writtenBy(() =>
      writer.removeSalons(
        writer
          .salons()
          .filter((s) => s.title.startsWith('extra'))
          .map((s) => s.id),
      ),
    ),
  );
  const incremental = { add: add.value, remove: remove.value };

  // 6. Themes over every item: above the linkage limit, so the k-means fallback.
  let cluster: Record<string, unknown> | null = null;
  if (params.cluster) {
    const snap = await writer.snapshot();
    const { result } = await phase('clusterThemes', () =>
      clusterThemes(
        {
          salons: snap.salons,
          items: snap.items,
          vectors: snap.vectors,
          embedderId: embedder.id,
          thresholds: embedder.thresholds,
        },
        {},
      ),
    );
    cluster = {
      items: snap.items.length,
      method: result.method,
      fallback: result.fallback ?? null,
      k: result.k,
      themes: result.themes.length,
      unassigned: result.unassigned.length,
      sampleSize: result.kSelection.sampleSize ?? null,
      curve: result.kSelection.curve,
    };
  }
  await writer.close();

  const record = {
    bench: 'load',
    date: new Date().toISOString(),
    machine: {
      cores: os.availableParallelism(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    params: { ...params, embedder: embedder.id },
    corpus: { salons: corpus.salons, items: corpus.items, bytes: corpus.bytes, questions },
    build: {
      ...built,
      ms: phases.build?.ms,
      stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v)])),
      itemsPerSecond: Math.round(corpus.items / ((phases.build?.ms ?? 1) / 1000)),
    },
    store: { bytes: storeBytes, MiB: mib(storeBytes), files },
    memory: {
      baselineRssMiB: baselineRss,
      peakRssMiB: Math.max(...Object.values(phases).map((p) => p.peakRssMiB ?? 0)),
      /** Peak RSS of the build over the store's size on disk. */
      buildPeakOverStore:
        Math.round(((phases.build?.peakRssMiB ?? 0) / Math.max(1, mib(storeBytes))) * 100) / 100,
    },
    searches,
    recall,
    similarQuestions: {
      questions,
      groups: similar.length,
      largest: similar[0]?.questions.length ?? 0,
      inGroups: similar.reduce((n, g) => n + g.questions.length, 0),
      plantedOccurrencesGroupedTogether: plantedTotal ? plantedTogether / plantedTotal : null,
    },
    incremental: {
      add10: { ...incremental.add, ms: phases.add10?.ms, written: add.written },
      remove10: { ...incremental.remove, ms: phases.remove10?.ms, written: remove.written },
      openAfterAddMs: phases.openAfterAdd?.ms,
      /** Goal (issue 17): adding 10 salons to a 200k-item store writes < 5% of its bytes, in < 2 s. */
      goal: {
        shareOfStore: add.written.shareOfStore,
        ms: phases.add10?.ms,
        met:
          add.written.shareOfStore < 0.05 && (phases.add10?.ms ?? Number.POSITIVE_INFINITY) < 2000,
      },
    },
    cluster,
    phases,
  };
  const out = path.join(repoRoot, 'bench/results/load.json');
  const tmp = path.join(repoRoot, `bench/results/load.${process.pid}.tmp.json`);
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, out);

  const s = (ms?: number) => `${((ms ?? 0) / 1000).toFixed(1)} s`;
  process.stdout.write(
    [
      `## Load: ${corpus.salons} salons, ${corpus.items} items (${embedder.id})`,
      '',
      '| phase | time | peak RSS |',
      '| --- | --- | --- |',
      ...Object.entries(phases).map(
        ([k, p]) => `| ${k} | ${s(p.ms)} | ${p.peakRssMiB ?? '?'} MiB |`,
      ),
      '',
      `Store: ${mib(storeBytes)} MiB on disk; build ${record.build.itemsPerSecond} items/s.`,
      `Search p50/p95: vector ${searches.vector.p50Ms}/${searches.vector.p95Ms} ms, ` +
        `question filter ${searches.filteredQuestions.p50Ms}/${searches.filteredQuestions.p95Ms} ms, ` +
        `exact ${searches.exact.p50Ms}/${searches.exact.p95Ms} ms; recall@10 ${recall.defaultEf.recall.toFixed(3)} (ef ${recall.defaultEf.ef}), ${recall.ef512.recall.toFixed(3)} (ef 512).`,
      `similarQuestions: ${questions} questions -> ${similar.length} groups in ${s(phases.similarQuestions?.ms)}.`,
      `Adding 10 salons: ${s(phases.add10?.ms)}, wrote ${mib(add.written.bytes)} MiB = ${(100 * add.written.shareOfStore).toFixed(2)}% of the store (${Object.keys(add.written.files).join(', ')}) — goal < 5% and < 2 s ${record.incremental.goal.met ? 'MET' : 'NOT MET'}; a reader then opens in ${s(phases.openAfterAdd?.ms)} (replaying the segment). Removing them: ${s(phases.remove10?.ms)}, wrote ${(add.written.bytes && remove.written.bytes / 1024).toFixed(1)} KiB.`,
      cluster ? `clusterThemes: ${JSON.stringify({ ...cluster, curve: undefined })}` : '',
      `Wrote ${path.relative(repoRoot, out)}`,
      '',
    ].join('\n'),
  );
  await rm(work, { recursive: true, force: true });
}

await main();
