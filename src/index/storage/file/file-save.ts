/**
 * Saving one generation of a folder store: every changed file under a new
 * generation name (temp + fsync + rename, read back), then the manifest switch,
 * all under the writer's lock checks (see store-files.ts for the format).
 *
 *   const next = await saveGeneration(dir, data, { changed: new Set(['state']), generation });
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SalonLensError, throwIfAborted } from '../../../errors.js';
import { commitTempFile, tempPathFor, writeFileAtomic } from '../../../util/atomic-write.js';
import { sha256 } from '../../../util/hash.js';
import { faultPoint } from '../fault-points.js';
import {
  type FileEntry,
  generationFileName,
  hashFile,
  MANIFEST_FILE,
  type Manifest,
  manifestFiles,
  readCheckedFile,
  type Segment,
  STORE_FORMAT_VERSION,
  type StoreFileKind,
  serializeManifest,
  sourceFolders,
} from './manifest.js';
import { diffSalons, diffState, type PatchFile, stateJson } from './state-patch.js';

import {
  graphProblem,
  MAX_SEGMENTS,
  PATCH_MAX_SHARE,
  PATCH_MIN_BYTES,
  removeUnreferenced,
  type StoreData,
} from './store-files.js';

export interface SaveStep {
  /** What was just made durable: a data file name, `manifest.json`, or `cleanup`. */
  step: string;
  done: number;
  total: number;
}

export interface SaveOptions {
  /** Files whose content changed; the others are carried over under their current names. */
  changed: ReadonlySet<StoreFileKind>;
  /**
   * How items, vectors and graph changes are saved (see `saveMode`): 'full' rewrites
   * the base, 'append' adds a segment with the labels from the previous manifest's
   * `labelCount` on and records `pendingDeleted`. Default 'full'.
   */
  mode?: 'append' | 'full';
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
  /**
   * Runs before each data file is put in place and before the clean-up; throwing
   * abandons the save. The writer checks its lock here: a writer paused past the
   * lock's takeover (stopped, suspended) must not touch names that the writer that
   * took over may have committed or be writing.
   */
  beforeStep?: () => Promise<void>;
}

type SaveInput = Omit<StoreData, 'manifest' | 'pendingDeleted'> & {
  pendingDeleted?: StoreData['pendingDeleted'];
  manifest: Omit<Manifest, 'files' | 'generation' | 'updatedAt' | 'delta' | 'deleted' | 'patches'> &
    Partial<Pick<Manifest, 'files' | 'delta' | 'deleted' | 'patches'>>;
};

/**
 * Persist `data` as a new generation and switch the manifest to it. Returns the
 * new manifest; the caller's `data.manifest` is not modified.
 */
export async function saveGeneration(
  dir: string,
  data: SaveInput,
  options: SaveOptions,
): Promise<Manifest> {
  const { generation, changed } = options;
  const previous = data.manifest.files ? data.manifest : undefined;
  const append =
    options.mode === 'append' && previous !== undefined && data.labelCount >= previous.labelCount;
  const itemsChanged = changed.has('items') || changed.has('vectors') || changed.has('hnsw');
  const compacting = !previous || (itemsChanged && !append);
  // The salon list and state: a patch of what changed since the last save, or whole.
  const patch = compacting ? undefined : patchBytes(data, previous);
  const kinds: StoreFileKind[] = (['items', 'vectors', 'hnsw', 'salons', 'state'] as const).filter(
    (kind) => (kind === 'salons' || kind === 'state' ? patch === undefined : compacting),
  );
  const previousLabels = previous?.labelCount ?? 0;
  const newLabels = append && itemsChanged ? data.labelCount - previousLabels : 0;
  const patchCount = patch && patch.byteLength > 0 ? 1 : 0;
  const total = kinds.length + (newLabels > 0 ? 2 : 0) + patchCount + 2; // + manifest + cleanup
  let done = 0;
  const written = new Set<string>();
  const step = (name: string) => {
    written.add(name);
    options.onStep?.({ step: name, done: ++done, total });
  };
  // Data files are never put over an existing name (see writeBytes), and each one
  // is written only while the lock is still ours.
  const guarded = async <T>(name: string, write: () => Promise<T>): Promise<T> => {
    await options.beforeStep?.();
    try {
      return await write();
    } catch (error) {
      // A lost lock explains any failure here (its new holder swept our temp files).
      await options.beforeStep?.();
      throw (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? nameTaken(dir, path.join(dir, name), error)
        : error;
    }
  };
  const files = { ...(previous?.files ?? {}) } as Manifest['files'];
  for (const kind of kinds) {
    throwIfAborted(options.signal, 'save');
    const name = generationFileName(kind, generation);
    files[kind] = await guarded(name, () => writeDataFile(dir, name, kind, data));
    step(name);
  }
  let delta = append ? [...(previous?.delta ?? [])] : [];
  let deleted = append ? [...(previous?.deleted ?? [])] : [];
  if (append && itemsChanged) {
    deleted = deleted.concat((data.pendingDeleted ?? []).map((r) => ({ ...r, generation })));
    if (newLabels > 0) {
      delta = delta.concat(
        await writeSegment(dir, data, previousLabels, generation, step, options, guarded),
      );
    }
  }
  const patches = patch === undefined ? [] : [...(previous?.patches ?? [])];
  if (patch && patch.byteLength > 0) {
    throwIfAborted(options.signal, 'save');
    const name = generationFileName('patch', generation);
    patches.push(await guarded(name, () => writeBytes(dir, name, patch)));
    step(name);
  }
  const { salons: _legacy, ...rest } = data.manifest;
  const manifest: Manifest = {
    ...rest,
    version: STORE_FORMAT_VERSION,
    generation,
    updatedAt: new Date().toISOString(),
    itemCount: data.items.length,
    labelCount: data.labelCount,
    salonCount: data.salons.length,
    sourceFolders: sourceFolders(data.salons),
    files,
    delta,
    deleted,
    patches,
  };
  throwIfAborted(options.signal, 'save');
  // Nothing is trusted because a write call returned: a full disk made hnswlib's
  // writeIndex resolve after writing part of the graph. Read back what is on disk.
  // The caller's check runs before (so a lost lock is reported as such, not as the
  // files its new holder swept) and again after the read-back (to keep the window
  // before the rename short).
  await options.beforeCommit?.();
  await verifyBeforeSwitch(dir, manifest, written);
  await options.beforeCommit?.();
  // The commit point: before this rename the old generation is current, after it the new one.
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), serializeManifest(manifest), {
    onStep: (step) => faultPoint(`${MANIFEST_FILE}: ${step}`),
  });
  step(MANIFEST_FILE);
  // Past the commit point nothing may fail the save: leftovers that cannot be
  // removed now are swept by the next writer's open.
  await removeUnreferenced(dir, manifest, options.beforeStep).catch(() => undefined);
  step('cleanup');
  return manifest;
}

/**
 * The patch file's bytes for what `data` changed in the salon list and state since
 * its last save (empty when nothing did), or undefined when both should be saved
 * whole instead: no base salon file yet (an older format), or the patches would
 * pass PATCH_MAX_SHARE of the base or MAX_SEGMENTS files.
 */
function patchBytes(data: SaveInput, previous: SaveInput['manifest']): Buffer | undefined {
  const base = previous.files;
  if (!base?.salons) return undefined;
  const body: PatchFile = {
    salons: diffSalons(data.saved.salons, data.salons),
    state: diffState(data.saved.state, data.state),
  };
  if (
    body.salons.upsert.length === 0 &&
    body.salons.remove.length === 0 &&
    Object.keys(body.state).length === 0
  )
    return Buffer.alloc(0);
  const bytes = Buffer.from(`${stateJson(body)}\n`);
  const chain = (previous.patches ?? []).reduce((n, p) => n + p.bytes, bytes.byteLength);
  const limit = Math.max(PATCH_MIN_BYTES, PATCH_MAX_SHARE * (base.salons.bytes + base.state.bytes));
  if (chain > limit || (previous.patches ?? []).length + 1 > MAX_SEGMENTS) return undefined;
  return bytes;
}

/**
 * Every file the new manifest names (segments included), as it is on disk now:
 * files written by this save are re-read in full (size and sha256; the graph also
 * walked by checkHnswFile, which proves it complete), files carried over from
 * earlier generations are checked by size (they were verified when the store was
 * opened). Any doubt fails the save while the old manifest is still current.
 */
async function verifyBeforeSwitch(
  dir: string,
  manifest: Manifest,
  written: ReadonlySet<string>,
): Promise<void> {
  for (const entry of manifestFiles(manifest)) {
    const file = path.join(dir, entry.name);
    let problem: string | undefined;
    if (written.has(entry.name)) {
      const result = await readCheckedFile(dir, entry, { mode: 'check' });
      problem = 'problem' in result ? result.problem.problem : undefined;
      if (!problem && entry.name === manifest.files.hnsw.name) {
        problem = await graphProblem(file, manifest);
      }
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

/** A data file name already taken: by a writer that took the lock over meanwhile, or a stray one. */
function nameTaken(dir: string, file: string, cause: unknown): SalonLensError {
  return new SalonLensError(
    'STORE_WRITE_FAILED',
    `Saving store ${dir} failed: ${file} was created by another process during this save, so ` +
      'it was left as it is. Nothing was changed: the store stays as it was. Run this again.',
    { details: { dir, file }, cause },
  );
}

/** The items and vectors of labels `firstLabel`.. as one appended segment. */
async function writeSegment(
  dir: string,
  data: SaveInput,
  firstLabel: number,
  generation: number,
  step: (name: string) => void,
  options: SaveOptions,
  guarded: <T>(name: string, write: () => Promise<T>) => Promise<T>,
): Promise<Segment> {
  const labelCount = data.labelCount - firstLabel;
  // In insertion order (= label order: an append never reuses labels), which is
  // also the order a reader replays them in.
  const rows = data.labels
    .map((label, pos) => ({ label, pos }))
    .filter((r) => r.label >= firstLabel)
    .sort((a, b) => a.label - b.label);
  const itemsName = generationFileName('items', generation);
  throwIfAborted(options.signal, 'save');
  const items = await guarded(itemsName, () =>
    writeBytes(
      dir,
      itemsName,
      Buffer.from(
        `${JSON.stringify({ items: rows.map((r) => data.items[r.pos]), labels: rows.map((r) => r.label) })}\n`,
      ),
    ),
  );
  step(itemsName);
  const vectorsName = generationFileName('vectors', generation);
  throwIfAborted(options.signal, 'save');
  const vectors = await guarded(vectorsName, () =>
    writeBytes(dir, vectorsName, data.vectors.bytes(firstLabel, data.labelCount)),
  );
  step(vectorsName);
  return { items, vectors, firstLabel, labelCount };
}

async function writeBytes(dir: string, name: string, bytes: Uint8Array): Promise<FileEntry> {
  const file = path.join(dir, name);
  await writeFileAtomic(file, bytes, {
    // Named at its rename for the test seam's short-write mode, like writeDataFile.
    onStep: (step) => faultPoint(`${name}: ${step}`, step === 'renamed' ? { file } : undefined),
    replace: false,
  });
  return { name, sha256: sha256(bytes), bytes: bytes.byteLength };
}

async function writeDataFile(
  dir: string,
  name: string,
  kind: StoreFileKind,
  data: Pick<
    StoreData,
    'items' | 'labels' | 'vectors' | 'labelCount' | 'hnsw' | 'state' | 'salons'
  >,
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
    await commitTempFile(tmp, file, { onStep, replace: false });
    // Streamed: the graph file can be hundreds of MB.
    return { name, ...(await hashFile(file)) };
  }
  if (kind === 'vectors') {
    // Rows in use only; spare capacity past labelCount is not persisted.
    return writeBytes(dir, name, data.vectors.bytes(0, data.labelCount));
  }
  const json =
    kind === 'items'
      ? { items: data.items, labels: data.labels }
      : kind === 'salons'
        ? data.salons
        : data.state;
  // stateJson: the state may hold typed arrays (state-patch.ts); the rest is plain JSON.
  return writeBytes(
    dir,
    name,
    Buffer.from(`${kind === 'state' ? stateJson(json) : JSON.stringify(json)}\n`),
  );
}
