/**
 * Embedding cache: vectors keyed by (embedder id, sha256 of the text), so
 * re-ingesting unchanged salons embeds nothing, and vectors of one model are
 * never served for another (the id is part of every key and of every file).
 *
 *   const cache = await openEmbeddingCache('.lens/embed-cache');
 *   const embedder = withEmbeddingCache(await createEmbedder(), cache);
 *   await embedder.embed(texts); // second call with the same texts: no model work
 *
 * On disk each embedder id gets its own folder of immutable, checksummed
 * segment files. A write adds one new segment (temp file + fsync + rename), so
 * a crash leaves either the old set or the old set plus one complete segment;
 * concurrent writers use distinct names. A segment that fails any check
 * (magic, version, header, size, sha256, finite values) is ignored — its texts
 * are simply embedded again — and is removed at the next compaction.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseOptions, SalonLensError, throwIfAborted } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { sha256 } from '../util/hash.js';
import type { EmbedCallOptions, Embedder } from './types.js';

export interface EmbeddingCacheEntry {
  /** sha256 (hex) of the text, see `embeddingCacheKey`. */
  key: string;
  vector: Float32Array;
}

/** Storage behind `withEmbeddingCache`. Implementations must copy vectors in and out. */
export interface EmbeddingCache {
  /** Cached vectors for `keys`, `undefined` where absent, in the order of `keys`. */
  getMany(
    embedderId: string,
    dim: number,
    keys: readonly string[],
  ): Promise<(Float32Array | undefined)[]>;
  putMany(embedderId: string, dim: number, entries: readonly EmbeddingCacheEntry[]): Promise<void>;
}

/** The cache key of a text: sha256 of its exact UTF-8 bytes. */
export function embeddingCacheKey(text: string): string {
  return sha256(text);
}

const KEY = /^[0-9a-f]{64}$/;

function checkEntries(dim: number, entries: readonly EmbeddingCacheEntry[]): void {
  for (const { key, vector } of entries) {
    if (!KEY.test(key) || vector.length !== dim || !vector.every(Number.isFinite)) {
      throw new SalonLensError(
        'INVALID_OPTIONS',
        `embedding cache entry ${key.slice(0, 16)}…: expected a sha256 hex key and a finite ${dim}-d vector, got ${vector.length}-d`,
      );
    }
  }
}

/** A process-local cache (tests, one-shot runs). */
export function createMemoryEmbeddingCache(): EmbeddingCache {
  const spaces = new Map<string, Map<string, Float32Array>>();
  const space = (embedderId: string, dim: number) => {
    const name = `${embedderId}\u0000${dim}`;
    let map = spaces.get(name);
    if (!map) {
      map = new Map();
      spaces.set(name, map);
    }
    return map;
  };
  return {
    async getMany(embedderId, dim, keys) {
      const map = space(embedderId, dim);
      return keys.map((key) => map.get(key)?.slice());
    },
    async putMany(embedderId, dim, entries) {
      checkEntries(dim, entries);
      const map = space(embedderId, dim);
      for (const { key, vector } of entries) map.set(key, vector.slice());
    },
  };
}

// ---------------------------------------------------------------------------
// Directory cache

const MAGIC = 'SLEV';
const FORMAT_VERSION = 1;
const SEGMENT = /^seg-[0-9a-z]+-\d+-[0-9a-f]{8}\.bin$/;

const SegmentHeaderSchema = z.strictObject({
  embedderId: z.string().min(1),
  dim: z.number().int().positive(),
  count: z.number().int().nonnegative(),
});

/** A segment that was skipped, and why. */
export interface EmbeddingCacheProblem {
  file: string;
  reason: string;
}

export interface DirectoryEmbeddingCache extends EmbeddingCache {
  readonly dir: string;
  /** Segments ignored so far because they failed a check. */
  readonly problems: readonly EmbeddingCacheProblem[];
}

export interface OpenEmbeddingCacheOptions {
  /** Segments per embedder before they are merged into one. @default 32 */
  maxSegments?: number;
}

const OpenOptionsSchema = z.strictObject({
  maxSegments: z.number().int().min(1).max(10_000).default(32),
});

/** Folder for one embedder id: readable slug plus a hash, so ids never collide. */
function spaceFolder(dir: string, embedderId: string, dim: number): string {
  const slug = embedderId.replace(/[^A-Za-z0-9.@-]+/g, '_').slice(0, 60);
  return path.join(dir, `${slug}-${sha256(`${embedderId}\u0000${dim}`).slice(0, 12)}`);
}

export function encodeSegment(
  embedderId: string,
  dim: number,
  entries: readonly EmbeddingCacheEntry[],
): Buffer {
  const header = Buffer.from(JSON.stringify({ embedderId, dim, count: entries.length }), 'utf8');
  const recordSize = 32 + 4 * dim;
  const body = Buffer.alloc(12 + header.length + entries.length * recordSize);
  body.write(MAGIC, 0, 'latin1');
  body.writeUInt32LE(FORMAT_VERSION, 4);
  body.writeUInt32LE(header.length, 8);
  header.copy(body, 12);
  let offset = 12 + header.length;
  for (const { key, vector } of entries) {
    Buffer.from(key, 'hex').copy(body, offset);
    offset += 32;
    for (let i = 0; i < dim; i++, offset += 4) body.writeFloatLE(vector[i] as number, offset);
  }
  const checksum = Buffer.from(sha256(body), 'hex');
  return Buffer.concat([body, checksum]);
}

/** Parse and verify a segment; throws a plain Error naming the first failed check. */
export function decodeSegment(
  data: Buffer,
  embedderId: string,
  dim: number,
): EmbeddingCacheEntry[] {
  if (data.length < 12 + 32) throw new Error('file too short');
  if (data.toString('latin1', 0, 4) !== MAGIC) throw new Error('bad magic');
  const version = data.readUInt32LE(4);
  if (version !== FORMAT_VERSION)
    throw new Error(`format version ${version}, expected ${FORMAT_VERSION}`);
  const body = data.subarray(0, data.length - 32);
  if (sha256(body) !== data.subarray(data.length - 32).toString('hex')) {
    throw new Error('sha256 checksum mismatch');
  }
  const headerLength = data.readUInt32LE(8);
  if (12 + headerLength > body.length) throw new Error('header runs past the end');
  let header: z.infer<typeof SegmentHeaderSchema>;
  try {
    header = SegmentHeaderSchema.parse(JSON.parse(body.toString('utf8', 12, 12 + headerLength)));
  } catch (error) {
    throw new Error(`bad header: ${(error as Error).message}`);
  }
  if (header.embedderId !== embedderId) throw new Error(`written by embedder ${header.embedderId}`);
  if (header.dim !== dim) throw new Error(`holds ${header.dim}-d vectors, expected ${dim}-d`);
  const recordSize = 32 + 4 * dim;
  if (body.length !== 12 + headerLength + header.count * recordSize) {
    throw new Error('size does not match the header');
  }
  const entries: EmbeddingCacheEntry[] = [];
  let offset = 12 + headerLength;
  for (let n = 0; n < header.count; n++) {
    const key = body.toString('hex', offset, offset + 32);
    offset += 32;
    const vector = new Float32Array(dim);
    for (let i = 0; i < dim; i++, offset += 4) vector[i] = body.readFloatLE(offset);
    if (!vector.every(Number.isFinite)) throw new Error('non-finite value in a vector');
    entries.push({ key, vector });
  }
  return entries;
}

interface Space {
  folder: string;
  vectors: Map<string, Float32Array>;
  /** Segment files this process has read or written (candidates for compaction). */
  segments: Set<string>;
  /** Serialises writes within this process. */
  queue: Promise<void>;
}

/**
 * Open (creating if needed) a cache folder. Each embedder's segments are read
 * on first use and kept in memory.
 */
export async function openEmbeddingCache(
  dir: string,
  options: OpenEmbeddingCacheOptions = {},
): Promise<DirectoryEmbeddingCache> {
  const { maxSegments } = parseOptions(OpenOptionsSchema, options, 'embedding cache options');
  const root = path.resolve(dir);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Cannot create embedding cache folder ${root}: ${(error as Error).message}`,
      {
        details: { dir: root },
        cause: error,
      },
    );
  }
  const problems: EmbeddingCacheProblem[] = [];
  const spaces = new Map<string, Promise<Space>>();

  const load = async (embedderId: string, dim: number): Promise<Space> => {
    const folder = spaceFolder(root, embedderId, dim);
    await mkdir(folder, { recursive: true });
    const space: Space = {
      folder,
      vectors: new Map(),
      segments: new Set(),
      queue: Promise.resolve(),
    };
    const names = (await readdir(folder)).filter((name) => SEGMENT.test(name)).sort();
    for (const name of names) {
      const file = path.join(folder, name);
      space.segments.add(file);
      try {
        for (const entry of decodeSegment(await readFile(file), embedderId, dim)) {
          space.vectors.set(entry.key, entry.vector);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          space.segments.delete(file); // compacted away by another process meanwhile
          continue;
        }
        problems.push({ file, reason: (error as Error).message });
      }
    }
    return space;
  };

  const getSpace = (embedderId: string, dim: number): Promise<Space> => {
    const name = `${embedderId}\u0000${dim}`;
    let space = spaces.get(name);
    if (!space) {
      space = load(embedderId, dim);
      // Do not memoise a failed load: the next call retries.
      space.catch(() => spaces.delete(name));
      spaces.set(name, space);
    }
    return space;
  };

  const segmentName = () =>
    `seg-${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}.bin`;

  const write = async (
    space: Space,
    embedderId: string,
    dim: number,
    entries: EmbeddingCacheEntry[],
  ) => {
    const file = path.join(space.folder, segmentName());
    await writeFileAtomic(file, encodeSegment(embedderId, dim, entries));
    space.segments.add(file);
    for (const { key, vector } of entries) space.vectors.set(key, vector);
    if (space.segments.size > maxSegments) {
      // Write the merged segment first, then delete what it replaces: a crash in
      // between only leaves duplicates, never a gap.
      const merged = path.join(space.folder, segmentName());
      const all = [...space.vectors].map(([key, vector]) => ({ key, vector }));
      await writeFileAtomic(merged, encodeSegment(embedderId, dim, all));
      const old = [...space.segments];
      space.segments = new Set([merged]);
      await Promise.all(old.map((segment) => unlink(segment).catch(() => undefined)));
    }
  };

  return {
    dir: root,
    get problems() {
      return problems;
    },
    async getMany(embedderId, dim, keys) {
      const space = await getSpace(embedderId, dim);
      return keys.map((key) => space.vectors.get(key)?.slice());
    },
    async putMany(embedderId, dim, entries) {
      checkEntries(dim, entries);
      const space = await getSpace(embedderId, dim);
      const fresh = new Map<string, Float32Array>();
      for (const { key, vector } of entries) {
        if (!space.vectors.has(key)) fresh.set(key, vector.slice());
      }
      if (fresh.size === 0) return;
      const batch = [...fresh].map(([key, vector]) => ({ key, vector }));
      const task = space.queue.then(() => write(space, embedderId, dim, batch));
      space.queue = task.catch(() => undefined);
      await task;
    },
  };
}

// ---------------------------------------------------------------------------

/** Texts embedded between two cache writes (one segment file each). */
export const CACHE_CHUNK = 128;

/**
 * An Embedder with the same id, dim and thresholds that only sends texts the
 * cache does not hold to `embedder`. Duplicate texts in one call are embedded
 * once. Progress counts cached texts as done from the start.
 */
export function withEmbeddingCache(embedder: Embedder, cache: EmbeddingCache): Embedder {
  const what = `${embedder.id} embed (cached)`;
  return Object.freeze({
    id: embedder.id,
    dim: embedder.dim,
    thresholds: embedder.thresholds,
    get runtime() {
      return embedder.runtime;
    },
    async embed(texts: readonly string[], call: EmbedCallOptions = {}): Promise<Float32Array[]> {
      const { onProgress, signal } = call;
      throwIfAborted(signal, what);
      const keys = texts.map(embeddingCacheKey);
      const cached = await cache.getMany(embedder.id, embedder.dim, keys);
      const results = new Array<Float32Array>(texts.length);
      // key -> input positions still waiting for a vector
      const waiting = new Map<string, number[]>();
      cached.forEach((vector, index) => {
        if (vector && vector.length === embedder.dim) {
          results[index] = vector;
          return;
        }
        const key = keys[index] as string;
        const positions = waiting.get(key);
        if (positions) positions.push(index);
        else waiting.set(key, [index]);
      });
      const total = texts.length;
      const hits = total - [...waiting.values()].reduce((sum, list) => sum + list.length, 0);
      if (waiting.size === 0) {
        onProgress?.({ stage: 'embed', done: total, total });
        return results;
      }
      if (hits > 0) onProgress?.({ stage: 'embed', done: hits, total });

      const uniqueKeys = [...waiting.keys()];
      const uniqueTexts = uniqueKeys.map(
        (key) => texts[(waiting.get(key) as number[])[0] as number] as string,
      );
      const misses = total - hits;
      // Embedded and kept a chunk at a time: vectors are in the cache as they are made,
      // so an interrupted run (Ctrl-C) costs only the chunk in flight next time.
      const fresh: Float32Array[] = [];
      for (let start = 0; start < uniqueTexts.length; start += CACHE_CHUNK) {
        const chunk = uniqueTexts.slice(start, start + CACHE_CHUNK);
        const vectors = await embedder.embed(chunk, {
          signal,
          onProgress: (progress) =>
            onProgress?.({
              stage: 'embed',
              done: hits + Math.floor(((start + progress.done) / uniqueTexts.length) * misses),
              total,
            }),
        });
        await cache.putMany(
          embedder.id,
          embedder.dim,
          vectors.map((vector, i) => ({ key: uniqueKeys[start + i] as string, vector })),
        );
        for (const vector of vectors) fresh.push(vector);
      }
      uniqueKeys.forEach((key, i) => {
        const positions = waiting.get(key) as number[];
        positions.forEach((position, n) => {
          const vector = fresh[i] as Float32Array;
          results[position] = n === 0 ? vector : vector.slice();
        });
      });
      return results;
    },
    dispose: () => embedder.dispose(),
  });
}
