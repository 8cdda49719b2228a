/**
 * Data safety of the store's write path against faults the crash tests do not
 * make: a write that reports success but leaves a short file (a full disk), a
 * graph file with hostile bytes under recomputed checksums, and writers whose
 * lock is deleted, taken from another PID namespace or released by someone else.
 * Each time: nothing committed over another writer, the old state kept, and a
 * clear error instead of a crash.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import { openLens, readManifest, verifyLens } from '../src/index/index.js';
import { serializeManifest } from '../src/index/storage/file/manifest.js';
import type { Salon } from '../src/parse/index.js';
import { sha256 } from '../src/util/hash.js';
import { requireBuiltCli, runCliAsync } from './helpers/cli.js';
import {
  copyStore,
  crashFixture,
  expectOneOf,
  fingerprintAfter,
  inPool,
  listFaultPoints,
  removeCopies,
  runChild,
  writeSalonsFile,
} from './helpers/index-crash.js';
import { storeFingerprint } from './helpers/index-store.js';

let child: string;
let embedder: Embedder;
let salons: Salon[];
let base: string; // two salons
let before: string;
/** Figures for the README's reliability table. */
const tally: Record<string, number> = {};

beforeAll(async () => {
  ({ child, embedder, salons, base, before } = await crashFixture({ prefix: 'safety-' }));
});

afterAll(async () => {
  process.stderr.write(`[safety] ${JSON.stringify(tally)}\n`);
  await removeCopies();
});

const fingerprintAfterAdding = (more: Salon[]) => fingerprintAfter(base, embedder, more);

describe('a write that reports success but leaves a short file', () => {
  it('each data file cut to half after its write returned: the save fails, the old state stays', async () => {
    const add = { action: 'add' as const, salonsFile: await writeSalonsFile(salons) };
    const points = await listFaultPoints(child, { ...add, store: await copyStore(base) });
    // Every data file of the save, by its name prefix (`items.000003.json: ...`). An add
    // appends a segment (items, vectors) and a patch (salons and neighbourhood statistics
    // it changed); the graph, salon and state files are rewritten only at compaction.
    const prefixes = [
      ...new Set(
        points
          .filter((p) => /^(items|vectors|hnsw|state|salons|patch)\./.test(p))
          .map((p) => p.split('.')[0]),
      ),
    ].map((kind) => `${kind}.`);
    expect(prefixes.sort()).toEqual(['items.', 'patch.', 'vectors.']);
    const outcomes = await inPool(prefixes, 2, async (prefix) => {
      const dir = await copyStore(base);
      const result = await runChild(
        child,
        { ...add, store: dir },
        { faultSpec: `short-write:${prefix}`, allowFailure: true },
      );
      expect(result.stderr).toContain(`[fault-point] short write: ${prefix}`);
      expect(result.outcome).toBe('failed');
      expect(result.stderr).toContain('STORE_WRITE_FAILED');
      expect(result.stderr).toMatch(/Nothing was changed: the store stays as it was/);
      return expectOneOf(dir, { before }, embedder);
    });
    expect(outcomes).toEqual(prefixes.map(() => 'before'));
    tally.shortWrites = prefixes.length;
  }, 120_000);
});

/** Rewrite the graph file with `edit`, recompute its checksum in the manifest. */
async function hostileGraph(edit: (bytes: Buffer) => void): Promise<string> {
  const dir = await copyStore(base);
  const manifest = await readManifest(dir);
  const file = path.join(dir, manifest.files.hnsw.name);
  const bytes = await readFile(file);
  edit(bytes);
  await writeFile(file, bytes);
  manifest.files.hnsw = { ...manifest.files.hnsw, sha256: sha256(bytes), bytes: bytes.length };
  await writeFile(path.join(dir, 'manifest.json'), serializeManifest(manifest));
  return dir;
}

describe('a graph file with hostile bytes and recomputed checksums', () => {
  const HEADER = 96;
  const cases: Record<string, (b: Buffer) => void> = {
    'entry point past the end': (b) => b.writeUInt32LE(0x0fffffff, 52),
    'top level raised': (b) => b.writeInt32LE(40, 48),
    'a level-0 neighbour id past the end': (b) => {
      b.writeUInt16LE(1, HEADER);
      b.writeUInt32LE(0x0fffffff, HEADER + 4);
    },
    'a link count above the degree': (b) => b.writeUInt16LE(0xffff, HEADER),
    'element count raised': (b) => b.writeBigUInt64LE(b.readBigUInt64LE(16) + 1000n, 16),
  };

  it('search exits 1 with STORE_CORRUPT naming the graph file (no crash); verify reports it', async () => {
    requireBuiltCli();
    const names = Object.keys(cases);
    await inPool(names, 2, async (name) => {
      const dir = await hostileGraph(cases[name] as (b: Buffer) => void);
      const graph = (await readManifest(dir)).files.hnsw.name;
      const search = await runCliAsync(['search', 'who owns the models', '--store', dir]);
      expect(search.code, `${name}: ${search.stderr}`).toBe(1);
      expect(search.stderr).toContain(`Store file ${path.join(dir, graph)} `);
      expect(search.stderr.trim().split('\n')).toHaveLength(1);
      const report = await verifyLens(dir);
      expect(report.ok).toBe(false);
      expect(report.problems[0]?.file).toBe(path.join(dir, graph));
    });
    tally.hostileGraphs = names.length;
  }, 120_000);
});

describe('the write lock', () => {
  it('A.close() does not delete the lock B took after A’s was deleted; A cannot commit any more', async () => {
    const dir = await copyStore(base);
    const a = await openLens(dir, { embedder });
    await rm(path.join(dir, 'lock'));
    const b = await openLens(dir, { embedder });
    await a.close();
    // B still holds the lock: a third writer is refused.
    await expect(openLens(dir, { embedder })).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'STORE_LOCKED'),
    );
    await b.addSalons(salons.slice(2, 3));
    await b.close();
    expect(existsSync(path.join(dir, 'lock'))).toBe(false);

    // A writer whose lock was taken over fails at the commit and writes nothing.
    const c = await openLens(dir, { embedder });
    await rm(path.join(dir, 'lock'));
    const d = await openLens(dir, { embedder });
    await expect(c.addSalons(salons.slice(3))).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'STORE_LOCKED'),
    );
    await c.close();
    await d.close();
    expect(await storeFingerprint(dir, embedder)).toBe(
      await fingerprintAfterAdding(salons.slice(2, 3)),
    );
  });

  it('a writer whose lock file is deleted mid-save fails with STORE_LOCKED; the other writer’s salons stay', async () => {
    const dir = await copyStore(base);
    const first = salons.slice(2, 3);
    const second = salons.slice(3);
    const config = { store: dir, action: 'add' as const, salonsFile: await writeSalonsFile(first) };
    const points = await listFaultPoints(child, { ...config, store: await copyStore(base) });
    // Hold A after its last data file, before its read-back and lock check.
    const holdAt = points.findIndex((p) => p.startsWith('manifest.json:'));
    const result = await runChild(child, config, {
      faultPoint: holdAt,
      allowFailure: true,
      onPaused: (resume) => {
        void (async () => {
          try {
            await rm(path.join(dir, 'lock'));
            const other = await openLens(dir, { embedder });
            await other.addSalons(second);
            await other.close();
          } finally {
            resume();
          }
        })();
      },
    });
    expect(result.outcome).toBe('failed');
    expect(result.stderr).toContain('STORE_LOCKED');
    expect(result.stderr).toContain('this save was abandoned');
    const secondOnly = await fingerprintAfterAdding(second);
    expect(await expectOneOf(dir, { secondOnly }, embedder)).toBe('secondOnly');
    tally.lockTakeovers = (tally.lockTakeovers ?? 0) + 1;
  }, 60_000);

  it('a lock from another PID namespace is not taken over while its heartbeat is fresh', async () => {
    const dir = await copyStore(base);
    const lockFile = path.join(dir, 'lock');
    // A live writer in a container sharing the volume: same host name, a pid that
    // does not exist here, its own PID namespace.
    const foreign = {
      pid: 4_194_000,
      host: hostname(),
      createdAt: new Date().toISOString(),
      token: 'f'.repeat(32),
      pidns: 'pid:[1]',
    };
    await writeFile(lockFile, `${JSON.stringify(foreign)}\n`);
    await expect(openLens(dir, { embedder })).rejects.toSatisfy((e) =>
      isSalonLensError(e, 'STORE_LOCKED'),
    );
    expect(JSON.parse(await readFile(lockFile, 'utf8')).token).toBe(foreign.token);
    // Once its heartbeat has stopped for over a minute, it is abandoned whatever its namespace.
    const old = new Date(Date.now() - 61_000);
    await utimes(lockFile, old, old);
    const lens = await openLens(dir, { embedder });
    await lens.close();
    expect(existsSync(lockFile)).toBe(false);
    tally.lockTakeovers = (tally.lockTakeovers ?? 0) + 1;
  });

  it('a CLI writer in a real separate PID namespace is refused while a writer holds the lock', async (ctx) => {
    requireBuiltCli();
    if (!(await canUnshare())) ctx.skip(); // needs root (unshare --pid)
    const dir = await copyStore(base);
    const holder = await openLens(dir, { embedder });
    try {
      const result = await runCliAsync(
        ['index', ...salons.slice(3).map((s) => s.source), '--store', dir],
        { wrapper: ['unshare', '--pid', '--fork', '--mount-proc'] },
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/is locked by process \d+/);
    } finally {
      await holder.close();
    }
    expect(await storeFingerprint(dir, embedder)).toBe(before);
    tally.lockTakeovers = (tally.lockTakeovers ?? 0) + 1;
  }, 60_000);
});

async function canUnshare(): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  return new Promise((resolve) => {
    const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
    proc.on('error', () => resolve(false));
    proc.on('exit', (code) => resolve(code === 0));
  });
}
