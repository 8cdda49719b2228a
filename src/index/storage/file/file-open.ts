/**
 * Creating and opening a folder store: the lock, the manifest checks (an existing
 * store, a store that lost its manifest, another embedder) and the first generation.
 *
 *   const store = await openFileStore('.lens', { embedder, readOnly: true });
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { parseOptions, SalonLensError } from '../../../errors.js';
import type { Item } from '../../../parse/index.js';
import {
  type CreateLensOptions,
  CreateLensOptionsSchema,
  type OpenLensOptions,
  OpenLensOptionsSchema,
} from '../../options.js';
import { embedderMismatch, type StoredSalon } from '../seam.js';
import { saveGeneration } from './file-save.js';
import { FileStore } from './file-store.js';
import { acquireWriteLock } from './lock.js';
import {
  generationOf,
  MANIFEST_FILE,
  type Manifest,
  readManifest,
  rebuildCommand,
  rebuildPaths,
  STORE_FORMAT,
  STORE_FORMAT_VERSION,
} from './manifest.js';
import {
  highestGeneration,
  loadGeneration,
  recordedSources,
  removeUnreferenced,
  type StoreData,
} from './store-files.js';
import { VectorRows } from './vector-rows.js';

const { HierarchicalNSW } = hnswlib;

/** First HNSW capacity of a new store; each write then sizes it to what it needs. */
const INITIAL_CAPACITY = 1024;

/**
 * Create an empty store in `dir` (created if missing). An existing store is an
 * error (STORE_EXISTS) unless `force`, which replaces it: the new store is
 * committed by its first write (addSalons, writeState), and until then the folder
 * keeps the old one, so a rebuild killed or aborted halfway loses nothing. Data
 * files without a manifest are a damaged store: STORE_CORRUPT unless `force`.
 * Files that are not the store's are never touched.
 */
export async function createFileStore(dir: string, options: CreateLensOptions): Promise<FileStore> {
  const o = parseOptions(CreateLensOptionsSchema, options, 'createLens options');
  await mkdir(dir, { recursive: true });
  const lock = await acquireWriteLock(dir);
  try {
    let previous: Manifest | undefined;
    try {
      previous = await readManifest(dir);
    } catch (error) {
      if (!(error instanceof SalonLensError)) throw error;
      if (error.code !== 'STORE_NOT_FOUND' && !o.force) throw existsError(dir);
    }
    if (previous && !o.force) throw existsError(dir);
    const orphans = previous ? [] : await storeDataFiles(dir);
    if (orphans.length > 0 && !o.force) throw await manifestMissing(dir, orphans);

    const { embedder } = o;
    const base = {
      format: STORE_FORMAT as typeof STORE_FORMAT,
      version: STORE_FORMAT_VERSION,
      embedder: { id: embedder.id, dim: embedder.dim },
      metric: 'cosine' as const,
      normalized: true as const,
      hnsw: { ...o.hnsw },
      itemCount: 0,
      labelCount: 0,
      delta: [] as Manifest['delta'],
      deleted: [] as Manifest['deleted'],
      patches: [] as Manifest['patches'],
    };
    const empty = () => {
      const hnsw = new HierarchicalNSW('cosine', embedder.dim);
      hnsw.initIndex({
        maxElements: INITIAL_CAPACITY,
        m: o.hnsw.m,
        efConstruction: o.hnsw.efConstruction,
        randomSeed: o.hnsw.randomSeed,
      });
      hnsw.setEf(o.hnsw.ef);
      return {
        manifest: base,
        items: [] as Item[],
        labels: [] as number[],
        vectors: VectorRows.empty(embedder.dim),
        labelCount: 0,
        hnsw,
        state: {},
        salons: [] as StoredSalon[],
        saved: { salons: [], state: {} },
        pendingDeleted: [],
      };
    };
    if (previous || orphans.length > 0) {
      // Replacing: nothing is written now (see above). The generation number only
      // orders this store's first save after every file already in the folder.
      const unsaved = (): StoreData => {
        const data = empty();
        const now = new Date().toISOString();
        const manifest = {
          ...data.manifest,
          generation: previous?.generation ?? 0,
          updatedAt: now,
        };
        return { ...data, manifest: manifest as Manifest };
      };
      return FileStore._make(dir, unsaved(), lock, undefined, unsaved);
    }
    const data = empty();
    const generation = (await highestGeneration(dir, previous)) + 1;
    const manifest = await saveGeneration(dir, data, {
      changed: new Set(['items', 'vectors', 'hnsw', 'state']),
      generation,
      beforeCommit: () => lock.assertHeld(),
      beforeStep: () => lock.assertHeld(),
    });
    return FileStore._make(dir, { ...data, manifest }, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Names of store data files in `dir` (any generation). */
async function storeDataFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => generationOf(n) !== undefined).sort();
}

/**
 * The refusal to create a store over one that lost its manifest. Its rebuild advice
 * names every source the salon files record (`details.sources`): the salons the
 * store held, which a rebuild from the caller's paths alone would drop.
 */
async function manifestMissing(dir: string, orphans: readonly string[]): Promise<SalonLensError> {
  const shown = orphans.slice(0, 3).join(', ') + (orphans.length > 3 ? ', …' : '');
  const file = path.join(dir, MANIFEST_FILE);
  const problem = `is missing, but the folder holds store data files (${shown}); they were left as they are`;
  const sources = await recordedSources(dir);
  const from = sources.length > 0 ? rebuildPaths(sources) : ['<folders>'];
  return new SalonLensError(
    'STORE_CORRUPT',
    `Store file ${file} ${problem}. Rebuild it from your salon documents: ${rebuildCommand(from, dir)}`,
    { details: { dir, file, problem, reason: 'manifest-missing', sources } },
  );
}

function existsError(dir: string): SalonLensError {
  return new SalonLensError(
    'STORE_EXISTS',
    `A lens store already exists at ${dir}. Open it instead, or pass force to replace it.`,
    { details: { dir } },
  );
}

/**
 * Open an existing store. Writers take the folder's lock (STORE_LOCKED if another
 * process holds it); `readOnly` stores do not, and read one consistent generation
 * even while a writer saves.
 */
export async function openFileStore(dir: string, options: OpenLensOptions): Promise<FileStore> {
  const o = parseOptions(OpenLensOptionsSchema, options, 'openLens options');
  const check = (manifest: Manifest) => {
    const mismatch = embedderMismatch(dir, manifest.embedder, o.embedder);
    if (mismatch) throw mismatch;
  };
  // Refuse a missing store or another embedder before touching the lock or any data file.
  check(await readManifest(dir));
  if (o.readOnly) {
    const data = await loadGeneration(dir, check);
    return FileStore._make(dir, data, undefined, o.ef);
  }
  const lock = await acquireWriteLock(dir);
  try {
    const data = await loadGeneration(dir, check);
    // Leftovers of a save that crashed before its manifest switch.
    await removeUnreferenced(dir, data.manifest);
    return FileStore._make(dir, data, lock, o.ef);
  } catch (error) {
    await lock.release();
    throw error;
  }
}
