/**
 * Load bench: one store holding 2,000 generated salons (~200k items), built with the
 * `hashing` embedder so the figures are about the store, not the model. Records build
 * time, peak RSS per phase, store bytes, open/verify times, query latency (vector,
 * filtered, exact, lexical), recall@10, similarQuestions over all questions, an
 * incremental add/remove, and clusterThemes on everything (the k-means fallback).
 * Prints Markdown, writes bench/results/load.json (the default 200k size) or
 * load-<items>k.json (other sizes, e.g. load-20k.json from the quick `npm run bench`).
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
  /** Incremental writes measured: this many adds of 10 salons, then as many removals. */
  repeats: flag('repeats', 3),
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

interface IncrementalWrite {
  ms: number;
  /** CPU time of this process (user + system) during the write: comparable on a loaded box. */
  cpuMs: number;
  bytes: number;
  shareOfStore: number;
  /** Files the write created, with their sizes (manifest.json is the one replaced). */
  files: Record<string, number>;
}

/** Time one store write and the bytes of the files it created or changed. */
async function measureWrite(store: string, fn: () => Promise<unknown>): Promise<IncrementalWrite> {
  global.gc?.();
  const before = await folderBytes(store);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const after = await folderBytes(store);
  // Same-size rewrites of one name would be missed: the store only ever replaces manifest.json.
  const files = Object.fromEntries(
    Object.entries(after).filter(([name, size]) => name !== 'lock' && before[name] !== size),
  );
  const bytes = Object.values(files).reduce((a, b) => a + b, 0);
  const total = Object.values(after).reduce((a, b) => a + b, 0);
  const write = {
    ms: Math.round(ms),
    cpuMs: Math.round((used.user + used.system) / 1000),
    bytes,
    shareOfStore: bytes / total,
    files,
  };
  process.stderr.write(
    `[load] write: ${(ms / 1000).toFixed(2)} s wall, ${(write.cpuMs / 1000).toFixed(2)} s CPU, ${bytes} bytes\n`,
  );
  return write;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

function summarizeWrites(runs: IncrementalWrite[]) {
  return {
    runs,
    p50: {
      ms: median(runs.map((r) => r.ms)),
      cpuMs: median(runs.map((r) => r.cpuMs)),
      bytes: median(runs.map((r) => r.bytes)),
      shareOfStore: median(runs.map((r) => r.shareOfStore)),
    },
  };
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

  // 5. Incremental: `repeats` adds of 10 more salons each into the full store, then
  // each set removed again; wall and CPU time and the bytes each write created.
  const extraDirs: string[] = [];
  for (let r = 0; r < params.repeats; r++) {
    const dir = path.join(work, `extra${r}`);
    await writeLoadCorpus(dir, {
      salons: 10,
      itemsPerSalon: params.itemsPerSalon,
      seed: params.seed + 1000 + r,
      titlePrefix: `extra${r}`,
      firstDate: '2099-01-01',
    });
    extraDirs.push(dir);
  }
  const writer = await phase('openWriter', () => openLens(store, { embedder }));
  const adds: IncrementalWrite[] = [];
  for (const dir of extraDirs) adds.push(await measureWrite(store, () => writer.addSalons([dir])));
  // A reader replays the appended segments and folds the patches when it opens.
  const reopened = await phase('openAfterAdd', () => openLens(store, { embedder, readOnly: true }));
  await reopened.close();
  const removes: IncrementalWrite[] = [];
  for (let r = 0; r < params.repeats; r++) {
    const ids = writer
      .salons()
      .filter((s) => s.title.startsWith(`extra${r} `))
      .map((s) => s.id);
    removes.push(await measureWrite(store, () => writer.removeSalons(ids)));
  }
  const incremental = { adds: summarizeWrites(adds), removes: summarizeWrites(removes) };

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
      /** Each add of 10 salons (1,000 items at the default size), in order; p50 over them. */
      add10: incremental.adds,
      remove10: incremental.removes,
      openWriterMs: phases.openWriter?.ms,
      openAfterAddMs: phases.openAfterAdd?.ms,
      /** Goal (issue 17): adding 10 salons to a 200k-item store writes < 5% of its bytes, in < 2 s. */
      goal: {
        shareOfStore: incremental.adds.p50.shareOfStore,
        ms: incremental.adds.p50.ms,
        met: incremental.adds.p50.shareOfStore < 0.05 && incremental.adds.p50.ms < 2000,
      },
    },
    cluster,
    phases,
  };
  const items = params.salons * params.itemsPerSalon;
  const name = items === 200_000 ? 'load' : `load-${Math.round(items / 1000)}k`;
  const out = path.join(repoRoot, `bench/results/${name}.json`);
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
      '',
      `Incremental writes (p50 of ${params.repeats}; load average ${loadAverageAtStart.join(' ')} at start, ${record.machine.loadAverageAtEnd.join(' ')} at end):`,
      '',
      '| write | wall p50 | CPU p50 | written p50 | share of store | each (wall, KiB) |',
      '| --- | --- | --- | --- | --- | --- |',
      ...(['add10', 'remove10'] as const).map((name) => {
        const w = record.incremental[name];
        const each = w.runs.map((r) => `${s(r.ms)} ${Math.round(r.bytes / 1024)}`).join('; ');
        return `| ${name} | ${s(w.p50.ms)} | ${s(w.p50.cpuMs)} | ${(w.p50.bytes / 1024).toFixed(0)} KiB | ${(100 * w.p50.shareOfStore).toFixed(3)}% | ${each} |`;
      }),
      '',
      `Adding 10 salons: goal < 5% of the store and < 2 s ${record.incremental.goal.met ? 'MET' : 'NOT MET'}; a reader then opens in ${s(phases.openAfterAdd?.ms)} (replaying ${params.repeats} segments and folding the patches).`,
      cluster ? `clusterThemes: ${JSON.stringify({ ...cluster, curve: undefined })}` : '',
      `Wrote ${path.relative(repoRoot, out)}`,
      '',
    ].join('\n'),
  );
  await rm(work, { recursive: true, force: true });
}

await main();
