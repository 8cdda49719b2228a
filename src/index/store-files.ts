/**
 * Reading and writing one generation of a lens store.
 *
 * A save writes every changed file under a new generation name (temp + fsync +
 * rename), then switches `manifest.json` with one atomic rename, and only then
 * deletes files no manifest refers to. A crash at any point therefore leaves
 * either the old manifest with all its files, or the new one with all of its.
 *
 *   const data = await loadGeneration(dir);                  // verified, or STORE_CORRUPT
 *   const next = await saveGeneration(dir, data, { changed: new Set(['state']) });
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { z } from 'zod';
import { SalonLensError, throwIfAborted } from '../errors.js';
import { type Item, ItemSchema } from '../parse/index.js';
import { commitTempFile, isTempPath, tempPathFor, writeFileAtomic } from '../util/atomic-write.js';
import { sha256 } from '../util/hash.js';
import { shellCommand } from '../util/shell-quote.js';
import { faultPoint } from './fault-points.js';
import { checkHnswFile } from './hnsw-file.js';
import {
  corrupt,
  type FileEntry,
  type FileProblem,
  generationFileName,
  generationOf,
  hashFile,
  MANIFEST_FILE,
  type Manifest,
  type ReadCheckedOptions,
  readCheckedFile,
  readManifest,
  rebuildCommand,
  type StoreFileKind,
  serializeManifest,
} from './manifest.js';

const { HierarchicalNSW } = hnswlib;
export type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** Everything a lens holds in memory; the manifest describes the generation it was loaded from. */
export interface StoreData {
  manifest: Manifest;
  /** Snapshot order: salon order (date, id), then document order. */
  items: Item[];
  /** `labels[i]` is the HNSW label (and vectors row) of `items[i]`. */
  labels: number[];
  /** Row `label` holds that label's vector; rows past `labelCount` are spare capacity. */
  vectors: Float32Array;
  labelCount: number;
  hnsw: Hnsw;
  state: Record<string, unknown>;
}

const ItemsFileSchema = z.object({
  items: z.array(ItemSchema),
  labels: z.array(z.number().int().nonnegative()),
});
const StateFileSchema = z.record(z.string(), z.unknown());

/** How often a reader re-reads the manifest when a writer removed its generation mid-open. */
const OPEN_RETRIES = 5;

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

class MissingFile extends Error {
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

async function loadFiles(dir: string, manifest: Manifest): Promise<StoreData> {
  const { dim } = manifest.embedder;
  const itemsPath = path.join(dir, manifest.files.items.name);
  const itemsJson = parseJson(dir, itemsPath, await readVerified(dir, manifest.files.items));
  const itemsFile = ItemsFileSchema.safeParse(itemsJson);
  if (!itemsFile.success)
    throw corrupt(dir, itemsPath, 'does not hold { items, labels }', itemsFile.error);
  const { items, labels } = itemsFile.data;
  const labelSet = new Set(labels);
  if (
    items.length !== manifest.itemCount ||
    labels.length !== items.length ||
    labelSet.size !== labels.length ||
    labels.some((l) => l >= manifest.labelCount)
  ) {
    throw corrupt(
      dir,
      itemsPath,
      `does not match the manifest (${manifest.itemCount} items, ${manifest.labelCount} labels)`,
    );
  }

  const vectorsPath = path.join(dir, manifest.files.vectors.name);
  if (manifest.files.vectors.bytes !== manifest.labelCount * dim * 4) {
    throw corrupt(
      dir,
      vectorsPath,
      `holds ${manifest.files.vectors.bytes} bytes, expected ${manifest.labelCount} × ${dim} float32`,
    );
  }
  // Read straight into the owned, aligned buffer the lens keeps (no second copy).
  const vectors = new Float32Array(manifest.labelCount * dim);
  await readVerified(dir, manifest.files.vectors, { into: new Uint8Array(vectors.buffer) });

  const stateJson = parseJson(
    dir,
    path.join(dir, manifest.files.state.name),
    await readVerified(dir, manifest.files.state),
  );
  const state = StateFileSchema.safeParse(stateJson);
  if (!state.success)
    throw corrupt(
      dir,
      path.join(dir, manifest.files.state.name),
      'is not a JSON object',
      state.error,
    );

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
  if (hnsw.getCurrentCount() !== manifest.labelCount) {
    throw corrupt(
      dir,
      hnswPath,
      `holds ${hnsw.getCurrentCount()} points, expected ${manifest.labelCount}`,
    );
  }
  hnsw.setEf(manifest.hnsw.ef);
  return {
    manifest,
    items,
    labels,
    vectors,
    labelCount: manifest.labelCount,
    hnsw,
    state: state.data,
  };
}

/** The graph file's structural problem, or undefined; a file that vanished meanwhile is MissingFile. */
async function graphProblem(file: string, manifest: Manifest): Promise<string | undefined> {
  try {
    return await checkHnswFile(file, {
      dim: manifest.embedder.dim,
      m: manifest.hnsw.m,
      count: manifest.labelCount,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingFile(file);
    throw error;
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

export interface SaveStep {
  /** What was just made durable: a data file name, `manifest.json`, or `cleanup`. */
  step: string;
  done: number;
  total: number;
}

export interface SaveOptions {
  /** Files whose content changed; the others are carried over under their current names. */
  changed: ReadonlySet<StoreFileKind>;
  /** The generation to write (callers pass one above every generation present in the folder). */
  generation: number;
  onStep?: (step: SaveStep) => void;
  /** Checked before each file and before the manifest switch; never after the switch. */
  signal?: AbortSignal;
  /**
   * Runs right before the manifest switch, after every file was verified; throwing
   * abandons the save (the writer re-checks here that it still owns the lock).
   */
  beforeCommit?: () => Promise<void>;
}

/**
 * Persist `data` as a new generation and switch the manifest to it. Returns the
 * new manifest; the caller's `data.manifest` is not modified.
 */
export async function saveGeneration(
  dir: string,
  data: Omit<StoreData, 'manifest'> & {
    manifest: Omit<Manifest, 'files' | 'generation' | 'updatedAt'> & { files?: Manifest['files'] };
  },
  options: SaveOptions,
): Promise<Manifest> {
  const { generation, changed } = options;
  const kinds: StoreFileKind[] = ['items', 'vectors', 'hnsw', 'state'];
  const toWrite = kinds.filter((kind) => changed.has(kind) || !data.manifest.files);
  const total = toWrite.length + 2; // + manifest switch + cleanup
  let done = 0;
  const files = { ...(data.manifest.files ?? {}) } as Manifest['files'];
  for (const kind of toWrite) {
    throwIfAborted(options.signal, 'save');
    const name = generationFileName(kind, generation);
    files[kind] = await writeDataFile(dir, name, kind, data, data.manifest.embedder.dim);
    options.onStep?.({ step: name, done: ++done, total });
  }
  const manifest: Manifest = {
    ...data.manifest,
    generation,
    updatedAt: new Date().toISOString(),
    itemCount: data.items.length,
    labelCount: data.labelCount,
    files,
  };
  throwIfAborted(options.signal, 'save');
  // Nothing is trusted because a write call returned: a full disk made hnswlib's
  // writeIndex resolve after writing part of the graph. Read back what is on disk.
  // The caller's check runs before (so a lost lock is reported as such, not as the
  // files its new holder swept) and again after the read-back (to keep the window
  // before the rename short).
  await options.beforeCommit?.();
  await verifyBeforeSwitch(dir, manifest, new Set(toWrite));
  await options.beforeCommit?.();
  // The commit point: before this rename the old generation is current, after it the new one.
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), serializeManifest(manifest), {
    onStep: (step) => faultPoint(`${MANIFEST_FILE}: ${step}`),
  });
  options.onStep?.({ step: MANIFEST_FILE, done: ++done, total });
  // Past the commit point nothing may fail the save: leftovers that cannot be
  // removed now are swept by the next writer's open.
  await removeUnreferenced(dir, manifest).catch(() => undefined);
  options.onStep?.({ step: 'cleanup', done: ++done, total });
  return manifest;
}

/**
 * Every file the new manifest names, as it is on disk now: files written by this
 * save are re-read in full (size and sha256; the graph also walked by checkHnswFile,
 * which proves it complete), files carried over from the previous generation are
 * checked by size (they were verified when the store was opened). Any doubt fails
 * the save while the old manifest is still current.
 */
async function verifyBeforeSwitch(
  dir: string,
  manifest: Manifest,
  written: ReadonlySet<StoreFileKind>,
): Promise<void> {
  for (const [kind, entry] of Object.entries(manifest.files) as Array<[StoreFileKind, FileEntry]>) {
    const file = path.join(dir, entry.name);
    let problem: string | undefined;
    if (written.has(kind)) {
      const result = await readCheckedFile(dir, entry, { mode: 'check' });
      problem = 'problem' in result ? result.problem.problem : undefined;
      if (!problem && kind === 'hnsw') problem = await graphProblem(file, manifest);
    } else {
      const size = await stat(file).then(
        (s) => s.size,
        () => -1,
      );
      if (size !== entry.bytes)
        problem = size < 0 ? 'is missing' : `has ${size} bytes, expected ${entry.bytes}`;
    }
    if (problem) {
      throw new SalonLensError(
        'STORE_WRITE_FAILED',
        `Saving store ${dir} failed: ${file} ${problem} after it was written (a full disk or ` +
          'a failing device?). Nothing was changed: the store stays as it was. Free some space ' +
          'and run this again.',
        { details: { dir, file, problem } },
      );
    }
  }
}

async function writeDataFile(
  dir: string,
  name: string,
  kind: StoreFileKind,
  data: Pick<StoreData, 'items' | 'labels' | 'vectors' | 'labelCount' | 'hnsw' | 'state'>,
  dim: number,
): Promise<FileEntry> {
  const file = path.join(dir, name);
  // The file is named at its rename for the test seam's short-write mode (fault-points.ts).
  const onStep = (step: string) =>
    faultPoint(`${name}: ${step}`, step === 'renamed' ? { file } : undefined);
  if (kind === 'hnsw') {
    // hnswlib writes to a path itself, so it writes the temp file we then commit.
    const tmp = tempPathFor(file);
    await data.hnsw.writeIndex(tmp);
    onStep('temp-written');
    await commitTempFile(tmp, file, { onStep });
    // Streamed: the graph file can be hundreds of MB.
    return { name, ...(await hashFile(file)) };
  }
  let bytes: Uint8Array;
  if (kind === 'vectors') {
    // Rows in use only; spare capacity past labelCount is not persisted.
    bytes = new Uint8Array(data.vectors.buffer, data.vectors.byteOffset, data.labelCount * dim * 4);
  } else if (kind === 'items') {
    bytes = Buffer.from(`${JSON.stringify({ items: data.items, labels: data.labels })}\n`);
  } else {
    bytes = Buffer.from(`${JSON.stringify(data.state)}\n`);
  }
  await writeFileAtomic(file, bytes, { onStep });
  return { name, sha256: sha256(bytes), bytes: bytes.byteLength };
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
 * Called only by the lock holder, so no other writer's temp file can be in flight.
 */
export async function removeUnreferenced(
  dir: string,
  manifest: Manifest | undefined,
): Promise<string[]> {
  const keep = new Set(manifest ? Object.values(manifest.files).map((f) => f.name) : []);
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const ours = generationOf(name) !== undefined || (isTempPath(name) && isStoreTemp(name));
    if (!ours || keep.has(name)) continue;
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

export interface VerifyReport {
  dir: string;
  ok: boolean;
  generation?: number;
  itemCount?: number;
  salonCount?: number;
  embedder?: { id: string; dim: number };
  problems: FileProblem[];
  /** What the user should do when not ok. */
  advice?: string;
}

/** Check the manifest and every file it names, without an embedder. Never throws for a damaged store. */
export async function verifyStore(dir: string): Promise<VerifyReport> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(dir);
  } catch (error) {
    if (error instanceof SalonLensError) return manifestProblem(dir, error);
    const unreadable = systemProblem(path.join(dir, MANIFEST_FILE), error);
    return { dir, ok: false, problems: [unreadable], advice: accessAdvice(dir) };
  }
  const problems: FileProblem[] = [];
  for (const entry of Object.values(manifest.files)) {
    const file = path.join(dir, entry.name);
    const result = await readCheckedFile(dir, entry, { mode: 'check' }).catch((error: unknown) => ({
      problem: systemProblem(file, error),
      missing: false,
    }));
    if (!('bytes' in result)) problems.push(result.problem);
  }
  let unreadable = problems.some((p) => p.problem.startsWith('cannot be read'));
  if (problems.length === 0) {
    // Deep check: the files also agree with each other and hnswlib can read the graph.
    try {
      await loadFiles(dir, manifest);
    } catch (error) {
      if (error instanceof MissingFile) problems.push({ file: error.file, problem: 'is missing' });
      else if (error instanceof SalonLensError) {
        problems.push({
          file: String(error.details.file ?? dir),
          problem: String(error.details.problem ?? error.message),
        });
      } else {
        problems.push(systemProblem(dir, error));
        unreadable = true;
      }
    }
  }
  const advice = unreadable ? accessAdvice(dir) : rebuildAdvice(dir, manifest);
  return {
    dir,
    ok: problems.length === 0,
    generation: manifest.generation,
    itemCount: manifest.itemCount,
    salonCount: manifest.salons.length,
    embedder: manifest.embedder,
    problems,
    ...(problems.length > 0 ? { advice } : {}),
  };
}

/** A file verify could not read at all (permissions, I/O): reported, never thrown. */
function systemProblem(file: string, error: unknown): FileProblem {
  const e = error as NodeJS.ErrnoException;
  const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.message;
  return { file: e.path ?? file, problem: `cannot be read: ${why}${e.code ? ` (${e.code})` : ''}` };
}

function accessAdvice(dir: string): string {
  return (
    `Some store files could not be read, so nothing could be checked (nothing was changed). ` +
    `Give your user read access to ${dir} and its files (chmod/chown), then verify again.`
  );
}

/** The report when the manifest itself cannot be used: missing, unreadable, or too new. */
async function manifestProblem(dir: string, error: SalonLensError): Promise<VerifyReport> {
  const file = String(error.details.file ?? path.join(dir, MANIFEST_FILE));
  if (error.details.reason === 'newer-format') {
    return {
      dir,
      ok: false,
      problems: [{ file, problem: String(error.details.problem) }],
      advice:
        'The store is intact but was written by a newer salon-lens; upgrade salon-lens to use it ' +
        '(do not rebuild it: that would throw away the newer data).',
    };
  }
  if (error.code === 'STORE_NOT_FOUND') {
    const names = await readdir(dir).catch(() => [] as string[]);
    const orphans = names.filter((n) => generationOf(n) !== undefined).sort();
    if (orphans.length === 0) {
      return {
        dir,
        ok: false,
        problems: [{ file, problem: 'is missing: there is no lens store in this folder' }],
        advice: `Create one with: ${shellCommand(['salon-lens', 'index', '<folders>', '--store', dir])}`,
      };
    }
    const shown = orphans.slice(0, 3).join(', ') + (orphans.length > 3 ? ', …' : '');
    return {
      dir,
      ok: false,
      problems: [{ file, problem: `is missing, but the folder holds store data files (${shown})` }],
      advice: rebuildAdvice(dir),
    };
  }
  return {
    dir,
    ok: false,
    problems: [{ file, problem: String(error.details.problem ?? error.message) }],
    advice: rebuildAdvice(dir),
  };
}

/**
 * What to do about a damaged store. When the manifest is readable it names the
 * salon documents' folders, so the advice is a command the user can run as is.
 */
function rebuildAdvice(dir: string, manifest?: Manifest): string {
  const folders = [...new Set((manifest?.salons ?? []).map((s) => path.dirname(s.source)))].sort();
  const from =
    folders.length > 0 && folders.length <= 3 ? folders : ['<folders with your salon documents>'];
  return (
    'The store is damaged and cannot be used as is (nothing was changed); your salon documents ' +
    `are the source of truth. Rebuild it from them: ${rebuildCommand(from, dir)}`
  );
}
