/**
 * salon-lens's own index through its public API (src/index/index.ts): createLens,
 * addSalons with synthetic salons of 100 items and their precomputed vectors,
 * searchVector with and without filters, setEf for the sweep. (A source without
 * precomputed-vector support gets an Embedder that looks the text "i123" / "q7" up
 * as a row, and is queried through `search`.)
 *
 * Its baseline is raw hnswlib-node reading the graph file the lens saved: the same
 * graph, so timing the two query by query isolates the wrapper's own cost.
 *
 *   const engine = createLensEngine(ctx); await engine.build();
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import hnswlib from 'hnswlib-node';
import type { Embedder } from '../../src/embed/index.js';
import type { Lens, SearchHit, SearchOptions } from '../../src/index/index.js';
import type { Salon } from '../../src/parse/index.js';
import { SALON_SIZE, SECTION_NAMES, salonOfQuery } from './ann-data.js';
import {
  type AnnEngine,
  type EngineContext,
  folderBytes,
  type QueryMode,
  rowOf,
  toArray,
} from './ann-engine.js';

/** The vector API this bench prefers, when the measured source has it. */
interface VectorApi {
  searchVector(vector: Float32Array, options: SearchOptions): Promise<SearchHit[]> | SearchHit[];
}

const salonId = (s: number) => `bench-${String(s).padStart(6, '0')}`;

/** Dataset row of a hit: salon number × 100 + (line − 1), both encoded by build(). */
const rowOfHit = (h: SearchHit) => Number(h.salon.id.slice(6)) * SALON_SIZE + h.item.line - 1;

type IndexStage = typeof import('../../src/index/index.js');

/** The index stage from the run's frozen source copy, or from src/ itself. */
function loadIndexStage(lensModule: string | undefined): Promise<IndexStage> {
  const file = lensModule ?? path.resolve(import.meta.dirname, '../../src/index/index.ts');
  return import(pathToFileURL(file).href) as Promise<IndexStage>;
}

/**
 * The lens as a text search with its defaults (mode, scoring): the embedder maps the
 * query text "q7" to its row, as an app's own embedder would embed it. Recall is still
 * against exact cosine, which the default ranking departs from on purpose (CSLS,
 * feedback), so compare its latency with raw hnswlib at the same ef and read its
 * recall as "how much of the cosine top 10 it keeps".
 */
export function createLensTextEngine(ctx: EngineContext): AnnEngine {
  return createLensEngine(ctx, { textSearch: true });
}

export function createLensEngine(
  ctx: EngineContext,
  { textSearch = false }: { textSearch?: boolean } = {},
): AnnEngine {
  const { ds, hnsw, workDir } = ctx;
  let lens: Lens | undefined;
  let vectorApi: VectorApi | undefined;
  /**
   * Sources with hubness scoring rank by CSLS by default; the truth is plain cosine,
   * and the index is what this bench measures, so those are asked for cosine.
   */
  let scoring: Pick<SearchOptions, 'scoring'> = {};
  const embedder: Embedder = {
    id: `bench-precomputed@${ds.dim}`,
    dim: ds.dim,
    thresholds: { similarQuestion: 0.6, relatedInsight: 0.45 },
    async embed(texts) {
      return texts.map((t) => {
        const i = Number(t.slice(1));
        return rowOf(t[0] === 'q' ? ds.queries : ds.vectors, ds.dim, i);
      });
    },
    async dispose() {},
  };

  const options = (qi: number, mode: QueryMode): SearchOptions => {
    const base: SearchOptions = mode.exact ? { exact: true, ...scoring } : { ...scoring };
    if (mode.filter === 'question' || mode.filter === 'disagreement')
      return { ...base, section: mode.filter };
    if (mode.filter === 'salon') return { ...base, salon: salonId(salonOfQuery(ds, qi)) };
    return base;
  };

  return {
    modes: [
      { name: 'no filter', filter: 'none' },
      { name: 'section=question', filter: 'question' },
      { name: 'section=disagreement', filter: 'disagreement' },
      { name: 'one salon', filter: 'salon' },
      { name: 'exact: true', filter: 'none', exact: true },
    ],
    sweepable: true,
    async build() {
      // Salons are the input (like parsed files): made before the timer, and not kept, so
      // the worker's RSS delta is the lens's own memory (zod parsing copies the items).
      const salons: Salon[] = [];
      for (let s = 0; s < ds.salonCount; s++) {
        const ordinals = [0, 0, 0];
        const items: Salon['items'] = [];
        for (let i = s * SALON_SIZE; i < Math.min(ds.n, (s + 1) * SALON_SIZE); i++) {
          const section = ds.sections[i] as number;
          const ordinal = ++(ordinals[section] as number);
          const name = SECTION_NAMES[section] as (typeof SECTION_NAMES)[number];
          items.push({
            id: `${salonId(s)}#${name}-${ordinal}`,
            salonId: salonId(s),
            section: name,
            text: `i${i}`,
            ordinal,
            line: i - s * SALON_SIZE + 1,
          });
        }
        salons.push({
          id: salonId(s),
          title: `Bench salon ${s}`,
          source: 'bench',
          items,
          warnings: [],
        });
      }
      const stage = await loadIndexStage(ctx.lensModule);
      const { createLens } = stage;
      if ('SCORINGS' in stage && !textSearch) scoring = { scoring: 'cosine' };
      const started: Array<[string, number]> = [];
      lens = await createLens(workDir, { embedder, hnsw });
      vectorApi = 'searchVector' in lens ? (lens as unknown as VectorApi) : undefined;
      const onProgress = (p: { stage: string; done: number; total: number }) => {
        if (started.at(-1)?.[0] !== p.stage) started.push([p.stage, performance.now()]);
        ctx.onBuildProgress?.(p);
      };
      // Item index = salon number × 100 + (line − 1).
      const vectorOf = (item: Salon['items'][number]) =>
        rowOf(ds.vectors, ds.dim, Number(item.salonId.slice(6)) * SALON_SIZE + item.line - 1);
      const t0 = performance.now();
      await lens.addSalons(
        salons,
        // Older sources reject the unknown option: they embed through the lookup embedder.
        (vectorApi ? { onProgress, vectorOf } : { onProgress }) as Parameters<Lens['addSalons']>[1],
      );
      const end = performance.now();
      const stages: Record<string, number> = {};
      started.forEach(([stage, at], i) => {
        const next = started[i + 1]?.[1] ?? end;
        stages[stage] = (stages[stage] ?? 0) + (next - at);
      });
      return { ms: end - t0, stages };
    },
    async search(qi, k, mode) {
      const opts = { k, ...options(qi, mode) };
      const hits =
        vectorApi && !textSearch
          ? await vectorApi.searchVector(rowOf(ds.queries, ds.dim, qi), opts)
          : await (lens as Lens).search(`q${qi}`, opts);
      return hits.map(rowOfHit);
    },
    setEf(ef) {
      (lens as Lens).setEf(ef);
    },
    ...(textSearch
      ? {
          async ownTruth(count: number, k: number) {
            const truth = new Int32Array(count * k).fill(-1);
            for (let qi = 0; qi < count; qi++) {
              const hits = await (lens as Lens).search(`q${qi}`, { k, exact: true });
              hits.forEach((h, j) => {
                truth[qi * k + j] = rowOfHit(h);
              });
            }
            return truth;
          },
        }
      : {}),
    diskBytes: () => folderBytes(workDir),
    async baseline() {
      // The graph file the lens saved, named by its manifest.
      const manifest = JSON.parse(await readFile(path.join(workDir, 'manifest.json'), 'utf8'));
      const raw = new hnswlib.HierarchicalNSW('cosine', ds.dim);
      await raw.readIndex(path.join(workDir, manifest.files.hnsw.name));
      return {
        name: 'hnswlib (same graph)',
        search: (qi, k) => raw.searchKnn(toArray(rowOf(ds.queries, ds.dim, qi)), k).neighbors,
        setEf: (ef) => raw.setEf(ef),
      };
    },
    async extra() {
      const l = lens as Lens;
      // Each sample is one exact search: at 1M that is seconds apiece.
      const sample = ds.n >= 1_000_000 ? 20 : 200;
      return { recallCheck: await l.recallCheck({ sample }), info: l.manifest };
    },
    async close() {
      await lens?.close();
    },
  };
}
