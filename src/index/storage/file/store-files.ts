/**
 * Reading and writing one generation of a lens store.
 *
 * A save writes every changed file under a new generation name (temp + fsync +
 * rename), then switches `manifest.json` with one atomic rename, and only then
 * deletes files no manifest refers to. A crash at any point therefore leaves
 * either the old manifest with all its files, or the new one with all of its.
 *
 * Saves come in two kinds. A full save (compaction) writes the base: every item,
 * every vector and the graph. An append writes only a segment with the items and
 * vectors added since the last save, and records removed labels in the manifest;
 * a reader loads the base graph and replays the segments and removals on it, in
 * the order the writer made them. `saveMode` picks the kind, so replaying stays
 * a small fraction of the store.
 *
 *   const data = await loadGeneration(dir);                  // verified, or STORE_CORRUPT
 *   const next = await saveGeneration(dir, data, { changed: new Set(['state']), generation });
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { z } from 'zod';
import { compareSalons, type Item, ItemSchema } from '../../../parse/index.js';
import { isTempPath } from '../../../util/atomic-write.js';
import { pacer } from '../../../util/event-loop.js';
import { toArray } from '../../../util/vector.js';
import { faultPoint } from '../fault-points.js';
import { checkHnswFile } from './hnsw-file.js';
import {
  corrupt,
  type FileEntry,
  generationOf,
  MANIFEST_FILE,
  type Manifest,
  manifestFiles,
  type ReadCheckedOptions,
  readCheckedFile,
  readManifest,
  type Segment,
  type StoredSalon,
  StoredSalonSchema,
  salonCountOf,
} from './manifest.js';
import {
  applySalonPatch,
  applyStatePatch,
  type PatchFile,
  PatchFileSchema,
} from './state-patch.js';
import { VectorRows } from './vector-rows.js';

export type { VerifyReport } from '../seam.js';

const { HierarchicalNSW } = hnswlib;
export type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** Everything a lens holds in memory; the manifest describes the generation it was loaded from. */
export interface StoreData {
  manifest: Manifest;
  /** Snapshot order: salon order (date, id), then document order. */
  items: Item[];
  /** `labels[i]` is the HNSW label (and vectors row) of `items[i]`. */
  labels: number[];
  /** Row `label` holds that label's vector (read from the vectors files on demand). */
  vectors: VectorRows;
  labelCount: number;
  hnsw: Hnsw;
  state: Record<string, unknown>;
  /** Stored salons in salon order (date, id). */
  salons: StoredSalon[];
  /**
   * The salon list and state as of the last save (replaced, never modified in place,
   * like `salons` and `state`): a write saves only what differs from them (a patch).
   */
  saved: { salons: readonly StoredSalon[]; state: Readonly<Record<string, unknown>> };
  /** Label ranges removed (and marked deleted in the graph) since the last save. */
  pendingDeleted: Array<{ from: number; to: number }>;
}

/**
 * An append is replayed by every reader on open (graph inserts at ~1-3k/s): past
 * this many labels appended since the base, or this share of the store, the next
 * write compacts instead.
 */
export const REPLAY_MIN_LABELS = 4096;
export const REPLAY_MAX_SHARE = 0.05;
/** Segments before the next write compacts (each is two files a reader opens). */
export const MAX_SEGMENTS = 32;
/** Removed labels (dead rows in vectors and graph) before the next write compacts. */
export const MAX_DEAD_SHARE = 0.2;
/**
 * Patches (salon list and state changes) a reader applies on open: once they add up
 * to this share of the base salon and state files (and at least PATCH_MIN_BYTES), or
 * number MAX_SEGMENTS, the next write saves both whole instead.
 */
export const PATCH_MAX_SHARE = 0.25;
export const PATCH_MIN_BYTES = 1 << 20;

/**
 * How the next write saves: 'append' (a new segment, graph untouched on disk) or
 * 'full' (compaction: base rewritten, and freed labels may be reused, which only a
 * full save can record). `adding` / `removing`: item counts of the coming write.
 */
export function saveMode(
  manifest: Pick<Manifest, 'labelCount' | 'itemCount' | 'delta'>,
  adding: number,
  removing: number,
): 'append' | 'full' {
  const appended = manifest.delta.reduce((n, s) => n + s.labelCount, 0) + adding;
  const labels = manifest.labelCount + adding;
  const dead = labels - (manifest.itemCount - removing + adding);
  if (manifest.labelCount === 0) return 'full';
  if (appended > Math.max(REPLAY_MIN_LABELS, REPLAY_MAX_SHARE * labels)) return 'full';
  if (manifest.delta.length + 1 > MAX_SEGMENTS) return 'full';
  if (dead > MAX_DEAD_SHARE * labels) return 'full';
  return 'append';
}

const ItemsFileSchema = z.object({
  items: z.array(ItemSchema),
  labels: z.array(z.number().int().nonnegative()),
});
const StateFileSchema = z.record(z.string(), z.unknown());
const SalonsFileSchema = z.array(StoredSalonSchema);

/** How often a reader re-reads the manifest when a writer removed its generation mid-open. */
export const OPEN_RETRIES = 5;

/**
 * Load and verify the current generation. Readers may race a writer that removes
 * old files right after switching the manifest: a missing file under a manifest
 * that has since changed means "start over with the new generation".
 */
export async function loadGeneration(
  dir: string,
  check?: (manifest: Manifest) => void,
): Promise<StoreData> {
  for (let attempt = 0; ; attempt++) {
    const manifest = await readManifest(dir);
    check?.(manifest);
    try {
      return await loadFiles(dir, manifest);
    } catch (error) {
      if (!(error instanceof MissingFile) || attempt >= OPEN_RETRIES) {
        throw error instanceof MissingFile ? corrupt(dir, error.file, 'is missing') : error;
      }
      const now = await readManifest(dir);
      if (now.generation === manifest.generation) throw corrupt(dir, error.file, 'is missing');
    }
  }
}

export class MissingFile extends Error {
  constructor(readonly file: string) {
    super(`${file} is missing`);
  }
}

async function readVerified(
  dir: string,
  entry: FileEntry,
  options: ReadCheckedOptions = {},
): Promise<Uint8Array> {
  const result = await readCheckedFile(dir, entry, options);
  if ('bytes' in result) return result.bytes;
  if (result.missing) throw new MissingFile(result.problem.file);
  throw corrupt(dir, result.problem.file, result.problem.problem);
}

async function readItemsFile(
  dir: string,
  entry: FileEntry,
): Promise<{ items: Item[]; labels: number[]; file: string }> {
  const file = path.join(dir, entry.name);
  const parsed = ItemsFileSchema.safeParse(parseJson(dir, file, await readVerified(dir, entry)));
  if (!parsed.success) throw corrupt(dir, file, 'does not hold { items, labels }', parsed.error);
  if (parsed.data.items.length !== parsed.data.labels.length)
    throw corrupt(dir, file, 'holds a different number of items and labels');
  return { ...parsed.data, file };
}

export async function loadFiles(dir: string, manifest: Manifest): Promise<StoreData> {
  const { dim } = manifest.embedder;
  const rowBytes = dim * 4;
  const base: Segment = {
    items: manifest.files.items,
    vectors: manifest.files.vectors,
    firstLabel: 0,
    labelCount: manifest.files.vectors.bytes / rowBytes,
  };
  const segments = [base, ...manifest.delta];
  // Segments tile the labels 0 .. labelCount - 1 in order.
  let next = 0;
  for (const segment of segments) {
    const file = path.join(dir, segment.vectors.name);
    if (
      segment.firstLabel !== next ||
      segment.vectors.bytes !== segment.labelCount * rowBytes ||
      !Number.isInteger(segment.labelCount)
    ) {
      throw corrupt(
        dir,
        file,
        `holds ${segment.vectors.bytes} bytes, expected labels ${next}.. × ${dim} float32`,
      );
    }
    next += segment.labelCount;
  }
  if (next !== manifest.labelCount) {
    const file = path.join(dir, (segments.at(-1) as Segment).vectors.name);
    throw corrupt(dir, file, `ends at label ${next}, expected ${manifest.labelCount}`);
  }

  const dead = new Uint8Array(manifest.labelCount);
  for (const range of manifest.deleted) {
    if (range.to > manifest.labelCount || range.from > range.to)
      throw corrupt(dir, path.join(dir, MANIFEST_FILE), 'names removed labels it does not hold');
    dead.fill(1, range.from, range.to);
  }
  const { salons, state } = await readSalonsAndState(dir, manifest);
  // Live items by salon, each salon's items in the order they were written.
  const bySalon = new Map<string, Array<{ item: Item; label: number }>>();
  const seen = new Uint8Array(manifest.labelCount);
  for (const segment of segments) {
    const { items, labels, file } = await readItemsFile(dir, segment.items);
    const end = segment.firstLabel + segment.labelCount;
    for (const [i, item] of items.entries()) {
      const label = labels[i] as number;
      // The base may hold any label below its end; a segment only its own new ones.
      const lowest = segment === base ? 0 : segment.firstLabel;
      if (label < lowest || label >= end || seen[label] === 1)
        throw corrupt(dir, file, `holds label ${label} outside its range or twice`);
      seen[label] = 1;
      if (dead[label] === 1) continue;
      const list = bySalon.get(item.salonId);
      if (list) list.push({ item, label });
      else bySalon.set(item.salonId, [{ item, label }]);
    }
  }
  const ordered = salons.flatMap((salon) => bySalon.get(salon.id) ?? []);
  if (ordered.length !== manifest.itemCount || salons.length !== salonCountOf(manifest)) {
    throw corrupt(
      dir,
      path.join(dir, manifest.files.items.name),
      `does not match the manifest (${manifest.itemCount} items, ${manifest.labelCount} labels, ` +
        `${salonCountOf(manifest)} salons)`,
    );
  }

  // Verified here, then read row by row when needed (hnswlib holds the other copy).
  for (const segment of segments) await readVerified(dir, segment.vectors, { mode: 'check' });
  let vectors: VectorRows;
  try {
    vectors = VectorRows.open(dir, manifest);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new MissingFile(e.path ?? dir);
    throw error;
  }
  try {
    return await loadGraphAndState(dir, manifest, ordered, vectors, base.labelCount, {
      salons,
      state,
    });
  } catch (error) {
    vectors.close();
    throw error;
  }
}

async function loadGraphAndState(
  dir: string,
  manifest: Manifest,
  ordered: Array<{ item: Item; label: number }>,
  vectors: VectorRows,
  baseLabels: number,
  { salons, state }: Pick<StoreData, 'salons' | 'state'>,
): Promise<StoreData> {
  const { dim } = manifest.embedder;

  // Checksum first, structure second, graph last: hnswlib trusts its input and
  // crashes on a well-checksummed but hostile file (see hnsw-file.ts).
  const hnswPath = path.join(dir, manifest.files.hnsw.name);
  await readVerified(dir, manifest.files.hnsw, { mode: 'check' });
  const shape = await graphProblem(hnswPath, manifest);
  if (shape) throw corrupt(dir, hnswPath, shape);
  const hnsw = new HierarchicalNSW('cosine', dim);
  try {
    await hnsw.readIndex(hnswPath);
  } catch (error) {
    // A writer may have removed this generation between the checksum and this read
    // (hnswlib reports that as "failed to open file"): ask the file system, not the text.
    const gone = await stat(hnswPath).then(
      () => false,
      (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
    );
    if (gone) throw new MissingFile(hnswPath);
    throw corrupt(dir, hnswPath, 'cannot be read by hnswlib', error);
  }
  if (hnsw.getCurrentCount() !== baseLabels) {
    throw corrupt(dir, hnswPath, `holds ${hnsw.getCurrentCount()} points, expected ${baseLabels}`);
  }
  await replay(hnsw, manifest, vectors);
  hnsw.setEf(manifest.hnsw.ef);
  // In memory the salon list lives in `salons` only, whatever the format read.
  const { salons: _legacy, ...current } = manifest;
  return {
    manifest: current,
    items: ordered.map((r) => r.item),
    labels: ordered.map((r) => r.label),
    vectors,
    labelCount: manifest.labelCount,
    hnsw,
    state,
    salons,
    saved: { salons, state },
    pendingDeleted: [],
  };
}

/** The base salon list and state, with every patch since applied in order. */
async function readSalonsAndState(
  dir: string,
  manifest: Manifest,
): Promise<{ salons: StoredSalon[]; state: Record<string, unknown> }> {
  const read = async <T>(entry: FileEntry, schema: z.ZodType<T>, expected: string): Promise<T> => {
    const file = path.join(dir, entry.name);
    const parsed = schema.safeParse(parseJson(dir, file, await readVerified(dir, entry)));
    if (!parsed.success) throw corrupt(dir, file, `is not ${expected}`, parsed.error);
    return parsed.data;
  };
  const state = await read(manifest.files.state, StateFileSchema, 'a JSON object');
  let salons = manifest.files.salons
    ? await read(manifest.files.salons, SalonsFileSchema, 'a list of salons')
    : (manifest.salons ?? []);
  for (const entry of manifest.patches) {
    const patch: PatchFile = await read(entry, PatchFileSchema, 'a store patch');
    salons = applySalonPatch(salons, patch.salons, compareSalons);
    applyStatePatch(state, patch.state);
  }
  return { salons, state };
}

/** The graph file's structural problem, or undefined; a file that vanished meanwhile is MissingFile. */
export async function graphProblem(file: string, manifest: Manifest): Promise<string | undefined> {
  try {
    return await checkHnswFile(file, {
      dim: manifest.embedder.dim,
      m: manifest.hnsw.m,
      // The graph file is the base: segments appended since are replayed into it on load.
      count: manifest.labelCount - (manifest.delta ?? []).reduce((n, s) => n + s.labelCount, 0),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingFile(file);
    throw error;
  }
}

/**
 * Bring the base graph up to the manifest: per write since the base, in order, mark
 * its removed labels deleted, then insert its new points (the writer's order too:
 * removals change which neighbours an insert links to). Thousands of inserts: the
 * event loop gets a turn now and then (a writer opening holds the lock, whose
 * heartbeat must keep beating).
 */
async function replay(hnsw: Hnsw, manifest: Manifest, vectors: VectorRows): Promise<void> {
  if (manifest.delta.length === 0 && manifest.deleted.length === 0) return;
  const pace = pacer();
  const baseGeneration = generationOf(manifest.files.hnsw.name) ?? -1;
  if (manifest.labelCount > hnsw.getMaxElements()) hnsw.resizeIndex(manifest.labelCount);
  const generations = new Set<number>();
  for (const r of manifest.deleted)
    if (r.generation > baseGeneration) generations.add(r.generation);
  const segmentOf = new Map<number, Segment>();
  for (const segment of manifest.delta) {
    const g = generationOf(segment.items.name) as number;
    segmentOf.set(g, segment);
    generations.add(g);
  }
  for (const g of [...generations].sort((a, b) => a - b)) {
    for (const r of manifest.deleted) {
      if (r.generation !== g) continue;
      for (let label = r.from; label < r.to; label++) hnsw.markDelete(label);
    }
    const segment = segmentOf.get(g);
    if (!segment) continue;
    for (let label = segment.firstLabel; label < segment.firstLabel + segment.labelCount; label++) {
      hnsw.addPoint(toArray(vectors.row(label)), label);
      await pace();
    }
  }
}

function parseJson(dir: string, file: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
  } catch (cause) {
    throw corrupt(dir, file, 'is not valid JSON', cause);
  }
}

/** Highest generation named by any store file in `dir` (manifest or orphan), or -1. */
export async function highestGeneration(dir: string, manifest?: Manifest): Promise<number> {
  let highest = manifest?.generation ?? -1;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const g = generationOf(name);
    if (g !== undefined && g > highest) highest = g;
  }
  return highest;
}

/**
 * Delete data files no manifest refers to and temp files of interrupted writes.
 * Only names this module creates are touched; anything else in the folder stays.
 * Called only by the lock holder, so no other writer's temp file can be in flight;
 * `stillHeld` (checked before each removal) stops a holder that lost the lock.
 */
export async function removeUnreferenced(
  dir: string,
  manifest: Manifest | undefined,
  stillHeld?: () => Promise<void>,
): Promise<string[]> {
  const keep = new Set(manifest ? manifestFiles(manifest).map((f) => f.name) : []);
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const ours = generationOf(name) !== undefined || (isTempPath(name) && isStoreTemp(name));
    if (!ours || keep.has(name)) continue;
    await stillHeld?.();
    await unlink(path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    faultPoint(`cleanup: removed ${name}`);
    removed.push(name);
  }
  return removed;
}

function isStoreTemp(name: string): boolean {
  const base = name.slice(0, name.indexOf('.tmp-'));
  return base === MANIFEST_FILE || generationOf(base) !== undefined;
}

/**
 * Source paths of every salon the folder's salon and patch files record (any
 * generation; unreadable files are passed over). Without a manifest this is what
 * the store held: a rebuild that names only a command's own paths would drop the rest.
 */
export async function recordedSources(dir: string): Promise<string[]> {
  const sources = new Set<string>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!/^(salons|patch)\./.test(name) || generationOf(name) === undefined) continue;
    try {
      const json: unknown = JSON.parse(await readFile(path.join(dir, name), 'utf8'));
      const salons = name.startsWith('salons.')
        ? SalonsFileSchema.safeParse(json).data
        : PatchFileSchema.safeParse(json).data?.salons.upsert;
      for (const salon of salons ?? []) sources.add(salon.source);
    } catch {}
  }
  return [...sources].sort();
}
