import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEmbedder,
  createMemoryEmbeddingCache,
  type Embedder,
  type EmbeddingCache,
  type EmbedProgress,
  embeddingCacheKey,
  openEmbeddingCache,
  withEmbeddingCache,
} from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';

/** A real embedder that records which texts reached the model. */
async function counting(options: { dim?: number; seed?: number } = {}) {
  const inner = await createEmbedder({ backend: 'hashing', ...options });
  const seen: string[] = [];
  const embedder: Embedder = {
    id: inner.id,
    dim: inner.dim,
    thresholds: inner.thresholds,
    embed: (texts, call) => {
      seen.push(...texts);
      return inner.embed(texts, call);
    },
    dispose: () => inner.dispose(),
  };
  return { embedder, inner, seen };
}

const texts = ['Who owns the data?', 'Open weights are not open source.', 'Teachers need a say.'];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-embed-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function segmentsOf(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const space of await readdir(root)) {
    for (const name of await readdir(path.join(root, space)))
      out.push(path.join(root, space, name));
  }
  return out.filter((file) => file.endsWith('.bin'));
}

describe.each([
  ['memory', async (): Promise<EmbeddingCache> => createMemoryEmbeddingCache()],
  ['directory', async (): Promise<EmbeddingCache> => openEmbeddingCache(dir)],
])('withEmbeddingCache over a %s cache', (_name, makeCache) => {
  it('embeds each unchanged text once and returns the same vectors', async () => {
    const { embedder, inner, seen } = await counting();
    const cached = withEmbeddingCache(embedder, await makeCache());
    expect(cached.id).toBe(embedder.id);
    expect(cached.dim).toBe(embedder.dim);
    expect(cached.thresholds).toEqual(embedder.thresholds);

    const first = await cached.embed(texts);
    expect(seen).toEqual(texts);
    const second = await cached.embed([texts[2] as string, 'A new question?', texts[0] as string]);
    expect(seen).toEqual([...texts, 'A new question?']);
    const direct = await inner.embed([texts[2] as string, 'A new question?', texts[0] as string]);
    expect(second.map((v) => Array.from(v))).toEqual(direct.map((v) => Array.from(v)));
    expect(Array.from(second[2] as Float32Array)).toEqual(Array.from(first[0] as Float32Array));
  });

  it('embeds duplicate texts within one call once, but returns independent arrays', async () => {
    const { embedder, seen } = await counting();
    const cached = withEmbeddingCache(embedder, await makeCache());
    const out = await cached.embed(['same', 'other', 'same']);
    expect(seen).toEqual(['same', 'other']);
    expect(Array.from(out[0] as Float32Array)).toEqual(Array.from(out[2] as Float32Array));
    (out[0] as Float32Array)[0] = 42;
    expect((out[2] as Float32Array)[0]).not.toBe(42);
    // and mutating a returned vector never poisons the cache
    const again = await cached.embed(['same']);
    expect((again[0] as Float32Array)[0]).not.toBe(42);
  });

  it("never serves one model's vectors to another", async () => {
    const cache = await makeCache();
    const a = await counting({ dim: 64, seed: 1 });
    const b = await counting({ dim: 64, seed: 2 });
    await withEmbeddingCache(a.embedder, cache).embed(texts);
    const fromB = await withEmbeddingCache(b.embedder, cache).embed(texts);
    expect(b.seen).toEqual(texts);
    const direct = await b.inner.embed(texts);
    expect(fromB.map((v) => Array.from(v))).toEqual(direct.map((v) => Array.from(v)));
  });

  it('counts cached texts as done in progress and ends at the total', async () => {
    const { embedder } = await counting();
    const cached = withEmbeddingCache(embedder, await makeCache());
    await cached.embed(texts.slice(0, 2));
    const events: EmbedProgress[] = [];
    await cached.embed(texts, { onProgress: (p) => events.push(p) });
    expect(events[0]).toEqual({ stage: 'embed', done: 2, total: 3 });
    expect(events.at(-1)).toEqual({ stage: 'embed', done: 3, total: 3 });
    const dones = events.map((e) => e.done);
    expect([...dones].sort((x, y) => x - y)).toEqual(dones);
  });

  it('honours an aborted signal before doing any work', async () => {
    const { embedder, seen } = await counting();
    const cached = withEmbeddingCache(embedder, await makeCache());
    const controller = new AbortController();
    controller.abort();
    const error = await cached.embed(texts, { signal: controller.signal }).catch((e) => e);
    expect(isSalonLensError(error, 'ABORTED')).toBe(true);
    expect(seen).toEqual([]);
  });
});

describe('directory embedding cache', () => {
  it('persists across reopen, so a second process embeds nothing', async () => {
    const first = await counting();
    await withEmbeddingCache(first.embedder, await openEmbeddingCache(dir)).embed(texts);
    const second = await counting();
    const reopened = await openEmbeddingCache(dir);
    const out = await withEmbeddingCache(second.embedder, reopened).embed(texts);
    expect(second.seen).toEqual([]);
    expect(out.map((v) => Array.from(v))).toEqual(
      (await first.inner.embed(texts)).map((v) => Array.from(v)),
    );
    expect(reopened.problems).toEqual([]);
  });

  it('keys by sha256 of the exact text', async () => {
    const cache = await openEmbeddingCache(dir);
    expect(embeddingCacheKey('a')).toMatch(/^[0-9a-f]{64}$/);
    expect(embeddingCacheKey('a')).not.toBe(embeddingCacheKey('a '));
    const vector = Float32Array.of(0.6, 0.8);
    await cache.putMany('m', 2, [{ key: embeddingCacheKey('a'), vector }]);
    const [hit, miss] = await cache.getMany('m', 2, [
      embeddingCacheKey('a'),
      embeddingCacheKey('a '),
    ]);
    expect(Array.from(hit as Float32Array)).toEqual(Array.from(vector));
    expect(miss).toBeUndefined();
    // another id or dimension is another space
    expect(await cache.getMany('m2', 2, [embeddingCacheKey('a')])).toEqual([undefined]);
    expect(await cache.getMany('m', 3, [embeddingCacheKey('a')])).toEqual([undefined]);
  });

  it('rejects malformed entries instead of storing them', async () => {
    const cache = await openEmbeddingCache(dir);
    await expect(
      cache.putMany('m', 2, [{ key: 'not-a-hash', vector: Float32Array.of(1, 0) }]),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(
      cache.putMany('m', 2, [
        { key: embeddingCacheKey('x'), vector: Float32Array.of(Number.NaN, 0) },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(
      cache.putMany('m', 2, [{ key: embeddingCacheKey('x'), vector: Float32Array.of(1, 0, 0) }]),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it.each([
    [
      'a flipped byte in a vector',
      (data: Buffer) => {
        const copy = Buffer.from(data);
        copy[copy.length - 40] = (copy[copy.length - 40] as number) ^ 0xff;
        return copy;
      },
    ],
    ['a truncated file', (data: Buffer) => data.subarray(0, data.length - 7)],
    ['an empty file', () => Buffer.alloc(0)],
    ['garbage', () => Buffer.from('not a segment at all, just text')],
  ])('detects %s, ignores the segment and re-embeds its texts', async (_name, corrupt) => {
    const first = await counting();
    await withEmbeddingCache(first.embedder, await openEmbeddingCache(dir)).embed(texts);
    const [segment] = await segmentsOf(dir);
    await writeFile(segment as string, corrupt(await readFile(segment as string)));

    const second = await counting();
    const reopened = await openEmbeddingCache(dir);
    const out = await withEmbeddingCache(second.embedder, reopened).embed(texts);
    expect(second.seen).toEqual(texts);
    expect(reopened.problems).toHaveLength(1);
    expect(reopened.problems[0]?.file).toBe(segment);
    expect(out.map((v) => Array.from(v))).toEqual(
      (await first.inner.embed(texts)).map((v) => Array.from(v)),
    );
  });

  it('ignores a segment copied under another embedder', async () => {
    const a = await counting({ seed: 1 });
    const b = await counting({ seed: 2 });
    await withEmbeddingCache(a.embedder, await openEmbeddingCache(dir)).embed(texts);
    await withEmbeddingCache(b.embedder, await openEmbeddingCache(dir)).embed(['warm b']);
    const spaces = await readdir(dir);
    expect(spaces).toHaveLength(2);
    // plant a's segment in b's folder: its header names a's id, so b must not use it
    const aSeg = (await segmentsOf(path.join(dir))).find((f) => f.includes('seed1')) as string;
    const bFolder = path.join(dir, spaces.find((s) => s.includes('seed2')) as string);
    await writeFile(path.join(bFolder, path.basename(aSeg)), await readFile(aSeg));
    const b2 = await counting({ seed: 2 });
    const reopened = await openEmbeddingCache(dir);
    await withEmbeddingCache(b2.embedder, reopened).embed(texts);
    expect(b2.seen).toEqual(texts);
    expect(reopened.problems[0]?.reason).toMatch(/written by embedder hashing@512:seed1/);
  });

  it('merges segments past maxSegments without losing vectors', async () => {
    const { embedder } = await counting();
    const cache = await openEmbeddingCache(dir, { maxSegments: 3 });
    const cached = withEmbeddingCache(embedder, cache);
    const all = Array.from({ length: 6 }, (_, i) => `text number ${i}`);
    for (const text of all) await cached.embed([text]);
    expect((await segmentsOf(dir)).length).toBeLessThanOrEqual(3);

    const again = await counting();
    const out = await withEmbeddingCache(again.embedder, await openEmbeddingCache(dir)).embed(all);
    expect(again.seen).toEqual([]);
    expect(out.map((v) => Array.from(v))).toEqual(
      (await again.inner.embed(all)).map((v) => Array.from(v)),
    );
  });

  it('keeps every write when two caches on the same folder write concurrently', async () => {
    const { embedder } = await counting();
    const [c1, c2] = await Promise.all([openEmbeddingCache(dir), openEmbeddingCache(dir)]);
    const left = Array.from({ length: 20 }, (_, i) => `left ${i}`);
    const right = Array.from({ length: 20 }, (_, i) => `right ${i}`);
    await Promise.all([
      ...left.map((t) => withEmbeddingCache(embedder, c1).embed([t])),
      ...right.map((t) => withEmbeddingCache(embedder, c2).embed([t])),
    ]);
    const fresh = await counting();
    await withEmbeddingCache(fresh.embedder, await openEmbeddingCache(dir)).embed([
      ...left,
      ...right,
    ]);
    expect(fresh.seen).toEqual([]);
  });

  it('leaves no temp files behind', async () => {
    const { embedder } = await counting();
    await withEmbeddingCache(embedder, await openEmbeddingCache(dir)).embed(texts);
    const names = (await readdir(dir, { recursive: true })) as string[];
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('validates its own options', async () => {
    await expect(openEmbeddingCache(dir, { maxSegments: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('maxSegments'),
    });
  });
});
