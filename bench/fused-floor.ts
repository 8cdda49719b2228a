/**
 * Where the default text search's time goes beside the graph walk, query by query on
 * one graph: raw hnswlib-node (the walk alone); the lens's `searchVector` with cosine
 * (its wrapper alone, no ranking); the walk plus the lens's own fused ranking code
 * over the store's rows in memory with nothing else around it (the ranking's floor:
 * CSLS radii, section centres, the feedback re-score); and the lens's `search` with
 * its defaults (the bench:ann `salon-lens-text` engine: options, embedding call,
 * BM25, planner, result objects). Each variant walks its own copy of the graph, as
 * the lens holds one; each query runs all four back to back, order rotating; p50 /
 * p99 are medians over rounds. The fused ranking re-ranks
 * the k nearest (fusedDepth), so its recall against its own exact answers is the
 * walk's: the rows say so, and equal ef is equal recall.
 *
 *   npm run bench:fused-floor                       # 20k items, ef 10,16,24,32,48,64
 *   npm run bench:fused-floor -- --size 10000 --sweep 10,48 --queries 300 --rounds 5
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import hnswlib from 'hnswlib-node';
import type { Embedder } from '../src/embed/index.js';
import { StoredNeighbourhoods } from '../src/index/csls/neighbourhoods.js';
import { openLens } from '../src/index/index.js';
import { candidateReader, refTable } from '../src/index/search/candidate-reader.js';
import { fusedRanking } from '../src/index/search/fused-search.js';
import { sectionCentres } from '../src/index/search/section-centres.js';
import { openFileStore } from '../src/index/storage/file/file-open.js';
import type { ScoredItem } from '../src/index/storage/seam.js';
import type { Item } from '../src/parse/index.js';
import { K, loadAnnDataset, prepareAnnDataset, recallOf } from './lib/ann-data.js';
import { rowOf, toArray } from './lib/ann-engine.js';
import { createLensTextEngine } from './lib/ann-engine-lens.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { median, percentile } from './lib/stats.js';
import { fmt, markdownTable } from './lib/table.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '20000' },
    sweep: { type: 'string', default: '10,16,24,32,48,64' },
    queries: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    noise: { type: 'string', default: '1.5' },
    name: { type: 'string', default: 'fused-floor' },
  },
});
const n = Number(args.size);
const queries = Number(args.queries);
const rounds = Number(args.rounds);
const sweep = String(args.sweep).split(',').map(Number);
const hnsw = { m: 16, efConstruction: 200, ef: 128, randomSeed: 100 };
const log = (line: string) => process.stderr.write(`${line}\n`);
const machine = machineInfo();
log(describeMachine(machine));

const ds = await loadAnnDataset(
  await prepareAnnDataset({ kind: 'real', n, queries, noise: Number(args.noise) }, log),
);
const workDir = path.join(tmpdir(), `salon-lens-fused-floor-${process.pid}`);
const engine = createLensTextEngine({ ds, hnsw, workDir });
log(`building a ${n}-item lens in ${workDir}`);
await engine.build();
const lensSearch = (qi: number) => engine.search(qi, K, { name: 'no filter', filter: 'none' });

// The same store opened beside the lens, read-only: its rows, statistics and centres.
const store = await openFileStore(workDir, { embedder: lookupEmbedder(), readOnly: true });
const stats = await StoredNeighbourhoods.load(store);
if (!stats) throw new Error(`no saved neighbour statistics in ${workDir}`);
const centres = await sectionCentres(store, (id) => stats.radius(id));
const refs = store.rowRefs();
const reader = candidateReader(store, stats, refTable(refs, stats));
const itemById = new Map((await store.rows()).map((r) => [r.item.id, r.item]));
const itemByLabel: Item[] = [];
refs.forEach((id, ref) => {
  itemByLabel[ref] = itemById.get(id) as Item;
});
// A second lens on the same folder (its own graph copy) for `searchVector` with cosine:
// the lens's wrapper alone, no ranking.
const vectorLens = await openLens(workDir, { embedder: lookupEmbedder(), readOnly: true });
// The graph file the lens saved, as bench:ann's baseline reads it.
const manifest = JSON.parse(await readFile(path.join(workDir, 'manifest.json'), 'utf8'));
// Two copies, one for the walk alone and one under the ranking, as the lens holds its
// own: a query's second walk over the same memory would find it in cache.
const graphs = [0, 1].map(() => new hnswlib.HierarchicalNSW('cosine', ds.dim));
for (const graph of graphs) await graph.readIndex(path.join(workDir, manifest.files.hnsw.name));
const [raw, underRanking] = graphs as [hnswlib.HierarchicalNSW, hnswlib.HierarchicalNSW];

/** The store's embedder id; this bench never embeds through it. */
function lookupEmbedder(): Embedder {
  return {
    id: `bench-precomputed@${ds.dim}`,
    dim: ds.dim,
    thresholds: { similarQuestion: 0.6, relatedInsight: 0.45 },
    async embed() {
      throw new Error('fused-floor reads stored vectors only');
    },
    async dispose() {},
  };
}

const walk = (graph: hnswlib.HierarchicalNSW, qi: number) =>
  graph.searchKnn(toArray(rowOf(ds.queries, ds.dim, qi)), K);
async function floor(qi: number): Promise<void> {
  const found = walk(underRanking, qi);
  const pool: ScoredItem[] = found.neighbors
    .map((label, i) => ({
      item: itemByLabel[label] as Item,
      score: 1 - (found.distances[i] as number),
      ref: label,
    }))
    .sort((a, b) => b.score - a.score);
  await fusedRanking({
    q: rowOf(ds.queries, ds.dim, qi),
    k: K,
    pool,
    lexical: [],
    alpha: 0.5,
    centres,
    reader,
  });
}

// The lens's own exact answers: what its recall is measured against.
log('exact answers');
const own = new Int32Array(queries * K).fill(-1);
for (let qi = 0; qi < queries; qi++) {
  (await engine.search(qi, K, { name: 'exact', filter: 'none', exact: true })).forEach((row, j) => {
    own[qi * K + j] = row;
  });
}

type Variant = 'raw' | 'vector' | 'floor' | 'lens';
const VARIANTS: Variant[] = ['raw', 'vector', 'floor', 'lens'];
interface Row {
  ef: number;
  rawRecall: number;
  lensRecall: number;
  p50Us: Record<Variant, number>;
  p99Us: Record<Variant, number>;
  vectorRatio: number;
  floorRatio: number;
  lensRatio: number;
}
const rows: Row[] = [];
for (const ef of sweep) {
  for (const graph of graphs) graph.setEf(ef);
  engine.setEf?.(ef);
  vectorLens.setEf(ef);
  const perRound: Record<Variant, { p50: number[]; p99: number[] }> = {
    raw: { p50: [], p99: [] },
    vector: { p50: [], p99: [] },
    floor: { p50: [], p99: [] },
    lens: { p50: [], p99: [] },
  };
  const ratios = { vector: [] as number[], floor: [] as number[], lens: [] as number[] };
  let rawRecall = 0;
  let lensRecall = 0;
  for (let round = 0; round < rounds; round++) {
    const times: Record<Variant, number[]> = { raw: [], vector: [], floor: [], lens: [] };
    for (let qi = 0; qi < queries; qi++) {
      for (let v = 0; v < VARIANTS.length; v++) {
        const variant = VARIANTS[(qi + round + v) % VARIANTS.length] as Variant;
        const t = performance.now();
        if (variant === 'raw') {
          const got = walk(raw, qi).neighbors;
          times.raw.push(performance.now() - t);
          if (round === 0) rawRecall += recallOf(got, ds.truth.none, qi) / queries;
        } else if (variant === 'vector') {
          await vectorLens.searchVector(rowOf(ds.queries, ds.dim, qi), { k: K, scoring: 'cosine' });
          times.vector.push(performance.now() - t);
        } else if (variant === 'floor') {
          await floor(qi);
          times.floor.push(performance.now() - t);
        } else {
          const got = await lensSearch(qi);
          times.lens.push(performance.now() - t);
          if (round === 0) lensRecall += recallOf(got, own, qi) / queries;
        }
      }
    }
    for (const v of VARIANTS) {
      perRound[v].p50.push(percentile(times[v], 0.5) * 1000);
      perRound[v].p99.push(percentile(times[v], 0.99) * 1000);
    }
    ratios.vector.push(percentile(times.vector, 0.5) / percentile(times.raw, 0.5));
    ratios.floor.push(percentile(times.floor, 0.5) / percentile(times.raw, 0.5));
    ratios.lens.push(percentile(times.lens, 0.5) / percentile(times.raw, 0.5));
  }
  const at = (v: Variant, key: 'p50' | 'p99') => median(perRound[v][key]);
  rows.push({
    ef,
    rawRecall,
    lensRecall,
    p50Us: Object.fromEntries(VARIANTS.map((v) => [v, at(v, 'p50')])) as Record<Variant, number>,
    p99Us: Object.fromEntries(VARIANTS.map((v) => [v, at(v, 'p99')])) as Record<Variant, number>,
    vectorRatio: median(ratios.vector),
    floorRatio: median(ratios.floor),
    lensRatio: median(ratios.lens),
  });
  log(
    `ef ${ef}: p50 raw ${fmt(at('raw', 'p50'))} µs, floor ${fmt(at('floor', 'p50'))}, lens ${fmt(at('lens', 'p50'))}`,
  );
}
await engine.close();
await vectorLens.close();
await store.close();
await rm(workDir, { recursive: true, force: true });

const machineAtEnd = machineInfo();
process.stdout.write(
  `\n## Fused text search beside the walk: ${n.toLocaleString('en-US')} items, k ${K}, ${queries} queries, ${rounds} rounds\n\n` +
    `${describeMachine(machine)}; load at the end ${machineAtEnd.loadAverage.join(' / ')}\n\n` +
    markdownTable(
      [
        'ef',
        'raw recall',
        'lens recall (own exact)',
        'raw p50 / p99 µs',
        'searchVector (cosine) p50 / p99 µs',
        'walk + ranking p50 / p99 µs',
        'search (default) p50 / p99 µs',
        'searchVector / raw',
        'walk + ranking / raw',
        'search / raw',
      ],
      rows.map((r) => [
        String(r.ef),
        r.rawRecall.toFixed(4),
        r.lensRecall.toFixed(4),
        ...VARIANTS.map((v) => `${fmt(r.p50Us[v])} / ${fmt(r.p99Us[v])}`),
        `${r.vectorRatio.toFixed(2)}×`,
        `${r.floorRatio.toFixed(2)}×`,
        `${r.lensRatio.toFixed(2)}×`,
      ]),
      Array(10).fill('r'),
    ) +
    '\n',
);
const file = await writeResults(String(args.name), {
  bench: 'fused-floor',
  machine,
  machineAtEnd,
  command: `npm run bench:fused-floor -- ${process.argv.slice(2).join(' ')}`.trim(),
  params: { n, k: K, queries, rounds, sweep, hnsw, noise: Number(args.noise) },
  rows,
});
log(`wrote ${file}`);
