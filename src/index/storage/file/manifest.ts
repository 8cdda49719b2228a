/**
 * `manifest.json`: the root of a lens store. It is the only file ever replaced in
 * place (by an atomic rename), and it names every other file of the current
 * generation with its sha256 and size, so a reader that has the manifest can
 * prove it reads one complete, consistent generation.
 *
 *   const manifest = await readManifest(dir);          // STORE_NOT_FOUND / STORE_CORRUPT
 *   const problems = await checkFiles(dir, manifest);  // [] when every file is intact
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SalonLensError } from '../../../errors.js';
import { sha256 } from '../../../util/hash.js';
import { shellCommand } from '../../../util/shell-quote.js';
import {
  type FileProblem,
  HnswParamsSchema,
  type StoredSalon,
  StoredSalonSchema,
} from '../seam.js';

/** Seam types the folder format stores (defined with the seam, seam.ts). */
export {
  type FileProblem,
  type HnswParams,
  HnswParamsSchema,
  type StoredSalon,
  StoredSalonSchema,
} from '../seam.js';

export const MANIFEST_FILE = 'manifest.json';
export const STORE_FORMAT = 'salon-lens-store';
/**
 * 2: a write appends a segment (`delta`) of new items and vectors and records removed
 * labels (`deleted`) instead of rewriting the store; the graph file is rewritten only
 * when the store is compacted.
 * 3: the salon list moves out of the manifest into a base file (`files.salons`), and
 * a write records what it changed in the salon list and the derived state as a patch
 * file (`patches`) instead of rewriting both: the manifest stays a few KB however
 * many salons the store holds.
 * Version 1 and 2 stores (salons in the manifest, no patches) read as they are; the
 * first write saves them as version 3.
 */
export const STORE_FORMAT_VERSION = 3;

const FileEntrySchema = z.object({
  /** File name inside the store folder, e.g. `vectors.000003.f32`. */
  name: z.string().regex(/^[a-z]+\.\d{6,}\.[a-z0-9]+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

/** Items and vectors appended by one write: labels `firstLabel` .. `firstLabel + labelCount - 1`. */
export const SegmentSchema = z.object({
  /** `{ items: Item[], labels: number[] }` of the items the write added, in insertion order. */
  items: FileEntrySchema,
  /** Float32 little-endian, `labelCount × dim`, row i = label `firstLabel + i`. */
  vectors: FileEntrySchema,
  firstLabel: z.number().int().nonnegative(),
  labelCount: z.number().int().nonnegative(),
});
export type Segment = z.infer<typeof SegmentSchema>;

/** Labels `from` .. `to - 1` removed by the write of `generation` (graph: markDelete). */
export const DeletedRangeSchema = z.object({
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  generation: z.number().int().nonnegative(),
});
export type DeletedRange = z.infer<typeof DeletedRangeSchema>;

export const ManifestSchema = z.object({
  format: z.literal(STORE_FORMAT),
  version: z.number().int().positive(),
  /** Grows by one per save; generation files carry it in their names. */
  generation: z.number().int().nonnegative(),
  updatedAt: z.string(),
  embedder: z.object({ id: z.string().min(1), dim: z.number().int().positive() }),
  metric: z.literal('cosine'),
  /** Stored vectors are L2-normalised, so cosine = dot product. */
  normalized: z.literal(true),
  hnsw: HnswParamsSchema,
  itemCount: z.number().int().nonnegative(),
  /**
   * HNSW labels in use or free (= rows of the vectors file). Each item's label is
   * stored beside it in the items file (`labels[i]` belongs to `items[i]`).
   */
  labelCount: z.number().int().nonnegative(),
  /** The base: the store as of its last compaction (a full save), plus derived state. */
  files: z.object({
    /** `{ items: Item[], labels: number[] }`, in snapshot order (salon order, then document order). */
    items: FileEntrySchema,
    /** Float32 little-endian, rows = HNSW labels 0.. of the base (free labels are zero rows). */
    vectors: FileEntrySchema,
    /** hnswlib's own serialisation of the graph: the base's labels, removals up to it marked. */
    hnsw: FileEntrySchema,
    /** Derived key/value state (e.g. the cluster stage's previous centroids). */
    state: FileEntrySchema,
    /** `StoredSalon[]` in salon order (format 3; older manifests list them in `salons`). */
    salons: FileEntrySchema.optional(),
  }),
  /** Segments appended since the base, oldest first; a reader inserts them into the graph. */
  delta: z.array(SegmentSchema).default([]),
  /** Labels removed since the base, oldest first; a reader marks them deleted in the graph. */
  deleted: z.array(DeletedRangeSchema).default([]),
  /**
   * Patch files since the base's salon list and state, oldest first (state-patch.ts):
   * each write's salons added, replaced or removed and its state changes.
   */
  patches: z.array(FileEntrySchema).default([]),
  /** Salons stored (format 3; older manifests list them in `salons`). */
  salonCount: z.number().int().nonnegative().optional(),
  /** Up to 4 distinct folders of the salons' source files, sorted (for rebuild advice). */
  sourceFolders: z.array(z.string()).optional(),
  /** Formats 1 and 2 only: the salon list (format 3 keeps it in `files.salons`). */
  salons: z.array(StoredSalonSchema).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type StoreFileKind = keyof Manifest['files'];

/** Every data file a manifest names: the base files, then each appended segment's, then the patches. */
export function manifestFiles(
  manifest: Pick<Manifest, 'files' | 'delta'> & Partial<Pick<Manifest, 'patches'>>,
): FileEntry[] {
  return [
    ...Object.values(manifest.files).filter((f): f is FileEntry => f !== undefined),
    ...manifest.delta.flatMap((segment) => [segment.items, segment.vectors]),
    ...(manifest.patches ?? []),
  ];
}

/** How many salons the store holds, for any format version. */
export function salonCountOf(manifest: Manifest): number {
  return manifest.salonCount ?? manifest.salons?.length ?? 0;
}

/** Folders of the salons' source files (at most 4, sorted), for any format version. */
export function sourceFoldersOf(
  manifest: Pick<Manifest, 'sourceFolders' | 'salons'> | undefined,
): string[] {
  if (manifest?.sourceFolders) return manifest.sourceFolders;
  return sourceFolders(manifest?.salons ?? []);
}

/** Up to 4 distinct folders of `salons`' sources, sorted (more than 3 means "many"). */
export function sourceFolders(salons: readonly StoredSalon[]): string[] {
  const folders = new Set<string>();
  for (const salon of salons) folders.add(path.dirname(salon.source));
  return [...folders].sort().slice(0, 4);
}

/** Sources a rebuild names one by one; past this many, their folders (a command stays pasteable). */
const REBUILD_FILES_MAX = 20;

/**
 * What a rebuild command names to cover every recorded source beside the paths
 * `given` (a source equal to or inside one of them is covered): the files
 * themselves, or (more than REBUILD_FILES_MAX) every folder holding one.
 */
export function rebuildPaths(sources: readonly string[], given: readonly string[] = []): string[] {
  const roots = given.map((p) => path.resolve(p));
  const covered = (source: string) => {
    const full = path.resolve(source);
    return roots.some((root) => full === root || full.startsWith(root + path.sep));
  };
  const unique = [...new Set(sources)].filter((source) => !covered(source)).sort();
  if (unique.length <= REBUILD_FILES_MAX) return unique;
  return [...new Set(unique.map((source) => path.dirname(source)))].sort();
}

const REBUILD_HINT = (dir: string) =>
  `Rebuild it from your salon documents: ${rebuildCommand(['<folders>'], dir)}`;

/** `salon-lens index <folders…> --store <dir> --force`, shell-quoted. */
export function rebuildCommand(folders: readonly string[], dir: string): string {
  return shellCommand(['salon-lens', 'index', ...folders, '--store', dir, '--force']);
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SalonLensError(
        'STORE_NOT_FOUND',
        `No lens store at ${dir} (${MANIFEST_FILE} not found). Create one with: ${shellCommand(['salon-lens', 'index', '<folders>', '--store', dir])}`,
        { details: { dir, file }, cause: error },
      );
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw corrupt(dir, file, 'is not valid JSON', cause);
  }
  const peek = z.object({ format: z.string(), version: z.number() }).safeParse(json);
  if (
    peek.success &&
    peek.data.format === STORE_FORMAT &&
    peek.data.version > STORE_FORMAT_VERSION
  ) {
    const problem =
      `uses store format version ${peek.data.version}, newer than this salon-lens reads ` +
      `(${STORE_FORMAT_VERSION})`;
    throw new SalonLensError(
      'STORE_CORRUPT',
      `${file} ${problem}. Upgrade salon-lens to open it.`,
      {
        details: { dir, file, problem, reason: 'newer-format', version: peek.data.version },
      },
    );
  }
  // The manifest checks itself too: a flipped byte inside a string would still be valid JSON.
  const { checksum, ...body } = (json ?? {}) as Record<string, unknown>;
  if (typeof checksum !== 'string' || checksum !== sha256(manifestBody(body))) {
    throw corrupt(dir, file, 'fails its checksum (edited or damaged)');
  }
  const parsed = ManifestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw corrupt(dir, file, `is not a valid manifest (${where})`, parsed.error);
  }
  return parsed.data;
}

/** Canonical text the manifest checksum covers. */
function manifestBody(body: unknown): string {
  return JSON.stringify(body, null, 1);
}

/** The manifest file's text: the manifest plus a sha256 of its canonical body. */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify({ ...manifest, checksum: sha256(manifestBody(manifest)) }, null, 1)}\n`;
}

/** Read in pieces of this size when only the checksum is wanted. */
const HASH_CHUNK = 1 << 20;

export interface ReadCheckedOptions {
  /**
   * 'bytes' (default) returns the file's bytes; 'check' only streams it through
   * sha256, so checking a graph file of hundreds of MB does not hold it in memory.
   */
  mode?: 'bytes' | 'check';
  /** Read into this buffer (exactly the expected size) instead of a new one. */
  into?: Uint8Array;
}

/** Size and sha256 check of one file; returns its bytes when intact (empty in 'check' mode). */
export async function readCheckedFile(
  dir: string,
  entry: FileEntry,
  options: ReadCheckedOptions = {},
): Promise<{ bytes: Uint8Array } | { problem: FileProblem; missing: boolean }> {
  const file = path.join(dir, entry.name);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw error;
    return { problem: { file, problem: 'is missing' }, missing: true };
  }
  try {
    const size = (await handle.stat()).size;
    if (size !== entry.bytes) {
      return {
        problem: {
          file,
          problem: `has ${size} bytes, expected ${entry.bytes} (truncated or overwritten)`,
        },
        missing: false,
      };
    }
    const hash = createHash('sha256');
    let bytes: Uint8Array = new Uint8Array(0);
    if (options.mode === 'check') {
      const chunk = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(1, size)));
      for (let at = 0; at < size; ) {
        const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - at), at);
        if (bytesRead === 0) break;
        hash.update(chunk.subarray(0, bytesRead));
        at += bytesRead;
      }
    } else {
      if (options.into && options.into.byteLength !== size) {
        throw new RangeError(
          `readCheckedFile: buffer of ${options.into.byteLength} bytes for ${size}`,
        );
      }
      bytes = options.into ?? Buffer.allocUnsafe(size);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await handle.read(bytes, at, size - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      hash.update(bytes);
    }
    const actual = hash.digest('hex');
    if (actual !== entry.sha256) {
      return {
        problem: {
          file,
          problem: `fails its checksum (sha256 ${actual}, expected ${entry.sha256})`,
        },
        missing: false,
      };
    }
    return { bytes };
  } finally {
    await handle.close();
  }
}

/** sha256 and size of a file, streamed (for files a native library wrote). */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: HASH_CHUNK })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function corrupt(
  dir: string,
  file: string,
  problem: string,
  cause?: unknown,
): SalonLensError {
  return new SalonLensError(
    'STORE_CORRUPT',
    `Store file ${file} ${problem}. ${REBUILD_HINT(dir)}`,
    {
      details: { dir, file, problem },
      cause,
    },
  );
}

export function generationFileName(kind: StoreFileKind | 'patch', generation: number): string {
  const ext = kind === 'vectors' ? 'f32' : kind === 'hnsw' ? 'bin' : 'json';
  return `${kind}.${String(generation).padStart(6, '0')}.${ext}`;
}

/** Generation number of a store-owned data file name, or undefined for any other name. */
export function generationOf(name: string): number | undefined {
  const match = /^(?:items|vectors|hnsw|state|salons|patch)\.(\d{6,})\.(?:json|f32|bin)$/.exec(
    name,
  );
  return match ? Number(match[1]) : undefined;
}
