/**
 * The ANN bench's engines, one line each. Adding an engine is one entry here plus its
 * `ann-engine-<name>.ts` module (loaded lazily, so an optional backend that is not
 * installed only fails when it is asked for):
 *
 *   postgres: { label: 'PostgreSQL + pgvector', load: () => import('./ann-engine-postgres.js').then((m) => m.createPostgresEngine) },
 *
 * `quick` engines run in the default `npm run bench:ann`; the others need `--full` (or
 * `--engines`). `large` engines also run at 1M (`--large`).
 */
import type { AnnEngine, EngineContext } from './ann-engine.js';

export interface EngineSpec {
  /** Name in tables. */
  label: string;
  load: () => Promise<(ctx: EngineContext) => AnnEngine>;
  /** Scans every item per query: timed on `--slow-queries` queries only. */
  fullScan?: boolean;
  /** Part of the default (quick) run. */
  quick?: boolean;
  /** Also run at 1M items. */
  large?: boolean;
  /** Largest store size it is run at (e.g. an O(n²) build). */
  maxN?: number;
}

export const ENGINES = {
  'salon-lens': {
    label: 'salon-lens (public API)',
    load: () => import('./ann-engine-lens.js').then((m) => m.createLensEngine),
    quick: true,
    large: true,
  },
  'salon-lens-text': {
    label: 'salon-lens search(text), default mode and scoring (custom embedder)',
    load: () => import('./ann-engine-lens.js').then((m) => m.createLensTextEngine),
    large: true,
  },
  hnswlib: {
    label: 'hnswlib-node HNSW (raw, own build)',
    load: () => import('./ann-engine-hnswlib.js').then((m) => m.createHnswlibEngine),
    large: true,
  },
  bruteforce: {
    label: 'hnswlib-node BruteforceSearch',
    load: () => import('./ann-engine-hnswlib.js').then((m) => m.createBruteforceEngine),
    fullScan: true,
  },
  usearch: {
    label: 'usearch',
    load: () => import('./ann-engine-usearch.js').then((m) => m.createUsearchEngine),
    quick: true,
    large: true,
  },
  vectra: {
    label: 'vectra LocalIndex',
    load: () => import('./ann-engine-vectra.js').then((m) => m.createVectraEngine),
    fullScan: true,
    maxN: 10_000,
  },
  orama: {
    label: '@orama/orama',
    load: () => import('./ann-engine-orama.js').then((m) => m.createOramaEngine),
    fullScan: true,
    maxN: 100_000,
  },
} satisfies Record<string, EngineSpec>;

export type EngineName = keyof typeof ENGINES;
export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

export function engineSpec(name: EngineName): EngineSpec {
  return ENGINES[name];
}

export function isEngineName(name: string): name is EngineName {
  return Object.hasOwn(ENGINES, name);
}

/** Label of an engine, or of a baseline an engine measures beside itself (e.g. "hnswlib (same graph)"). */
export function engineLabel(name: string): string {
  return isEngineName(name) ? ENGINES[name].label : name;
}
