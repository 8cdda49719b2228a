/**
 * The shape every ANN bench engine (salon-lens, raw hnswlib-node, usearch, vectra,
 * Orama, brute force) takes, so one worker loop times them all the same way.
 *
 *   const engine = await createAnnEngine('usearch', ds, { hnsw, workDir });
 *   await engine.build();
 *   const ids = await engine.search(qi, K, 'none'); // dataset item indices, best first
 *
 * Engines are registered in ann-engines.ts.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AnnDataset, FilterName } from './ann-data.js';

export interface HnswParams {
  m: number;
  efConstruction: number;
  ef: number;
  randomSeed: number;
}

export interface EngineContext {
  ds: AnnDataset;
  hnsw: HnswParams;
  /** Scratch folder for the engine's files (removed by the worker). */
  workDir: string;
  /** salon-lens entry to load (a frozen copy of src/, see src-snapshot.ts); default: src/. */
  lensModule?: string;
  /** Build progress, for engines that report it (the 1M build runs for an hour or more). */
  onBuildProgress?: (progress: { stage: string; done: number; total: number }) => void;
}

/** A query variant an engine runs: a filter, and for salon-lens optionally `exact: true`. */
export interface QueryMode {
  name: string;
  filter: FilterName;
  exact?: boolean;
}

export interface AnnEngine {
  /** Query variants this engine supports, the first being the plain k-NN query. */
  readonly modes: QueryMode[];
  /** Whether ef can be changed after the build (for the ef sweep). */
  readonly sweepable: boolean;
  /** Builds the index; `ms` is the build time (conversions the API forces, e.g. Array.from, included). */
  build(): Promise<{ ms: number; stages?: Record<string, number> }>;
  search(qi: number, k: number, mode: QueryMode): Promise<number[]> | number[];
  setEf?(ef: number): Promise<void> | void;
  /** Bytes on disk once saved (undefined: the engine keeps nothing on disk). */
  diskBytes(): Promise<{ total: number; files: Record<string, number> } | undefined>;
  /**
   * A second engine timed beside this one, query by query, on the same data: salon-lens
   * opens its own saved graph with raw hnswlib-node, so the two walk the identical graph
   * and the latency ratio is the wrapper's overhead alone.
   */
  baseline?(): Promise<Baseline>;
  /**
   * The engine's own exact top-k for the first `count` plain queries (K per row, -1
   * padded), when its ranking is not plain cosine: the sweep's recall is then against it.
   */
  ownTruth?(count: number, k: number): Promise<Int32Array>;
  /** Engine's own sanity figure, e.g. salon-lens recallCheck. */
  extra?(): Promise<Record<string, unknown>> | Record<string, unknown>;
  close(): Promise<void>;
}

export interface Baseline {
  /** Name in results, e.g. "hnswlib (same graph)". */
  name: string;
  search(qi: number, k: number): number[];
  setEf(ef: number): void;
}

/** Total size of the files under `dir`, with a per-file breakdown. */
export async function folderBytes(
  dir: string,
): Promise<{ total: number; files: Record<string, number> }> {
  const files: Record<string, number> = {};
  let total = 0;
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) {
        const size = (await stat(p)).size;
        files[path.relative(dir, p)] = size;
        total += size;
      }
    }
  };
  await walk(dir);
  return { total, files };
}

/** Row `i` of a row-major matrix as a view (no copy). */
export function rowOf(matrix: Float32Array, dim: number, i: number): Float32Array {
  return matrix.subarray(i * dim, (i + 1) * dim);
}

/**
 * A plain array copy of a vector, for hnswlib-node (which takes only Arrays). An indexed
 * loop: `Array.from` on a Float32Array is ~20× slower (tens of µs for 512-d, more than
 * some searches), and timing it would blur every hnswlib-node figure.
 */
export function toArray(v: Float32Array): number[] {
  const out: number[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] as number;
  return out;
}
