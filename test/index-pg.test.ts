/**
 * Postgres store specifics against a real server (PGlite + pgvector over the wire
 * protocol, or SALON_LENS_PG_URL): URLs are never folders; a writer SIGKILLed at
 * every step of its transaction leaves the previous state; two writer processes
 * at once both land; a reader during a write sees the old or the new state only.
 *
 * What PGlite cannot show: it is one backend session, and its socket server runs
 * one client's transaction at a time, so here the second writer waits in the
 * server's queue rather than on the advisory lock, and a reader waits for the
 * writer's COMMIT instead of reading the old snapshot (MVCC). Against a real
 * server (SALON_LENS_PG_URL) the same tests exercise the advisory lock and MVCC.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SalonLens } from '../src/api/salon-lens.js';
import type { Embedder } from '../src/embed/index.js';
import { SalonLensError } from '../src/errors.js';
import { createLens, openLens, verifyLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { crashChild, listFaultPoints, runChild, writeSalonsFile } from './helpers/index-crash.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { editSalon, exampleSalons, storeFingerprint } from './helpers/index-store.js';
import { describePg, type PgServer } from './helpers/pg-server.js';
import { repoRoot } from './helpers/shared-data.js';

let salons: Salon[];
let embedder: Embedder;
let pg: PgServer;
let script: string;
let schemas = 0;

beforeAll(async () => {
  salons = await exampleSalons();
  embedder = await hashingEmbedder(64);
  script = await crashChild();
}, 240_000);

function newUrl(): string {
  return `${pg.url}${pg.url.includes('?') ? '&' : '?'}schema=pgtest_${process.pid}_${++schemas}`;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof SalonLensError ? e.code : String(e)),
  );
}

/** A store holding the first two example salons. */
async function seeded(): Promise<string> {
  const url = newUrl();
  const lens = await createLens(url, { embedder });
  await lens.addSalons(salons.slice(0, 2));
  await lens.close();
  return url;
}

describePg('Postgres store', (server, kind) => {
  beforeAll(() => {
    pg = server();
  });

  describe('addressing', () => {
    it('never turns a URL into a folder', async () => {
      const stray = path.join(repoRoot, 'postgres:');
      expect(await codeOf(createLens('postgres://nobody@127.0.0.1:1/none', { embedder }))).toBe(
        'STORE_UNAVAILABLE',
      );
      expect(await codeOf(openLens('postgresql://nobody@127.0.0.1:1/none', { embedder }))).toBe(
        'STORE_UNAVAILABLE',
      );
      expect(await codeOf(createLens('mysql://db/app', { embedder }))).toBe('INPUT_ERROR');
      expect(await codeOf(createLens(`${pg.url}?schema=Bad-Name`, { embedder }))).toBe(
        'INPUT_ERROR',
      );
      expect(
        await codeOf(createLens(path.join(repoRoot, 'no-such-store'), { embedder, schema: 'x' })),
      ).toBe('INVALID_OPTIONS');
      expect(existsSync(stray)).toBe(false);
    });

    it('takes the schema from an option as well as from the URL', async () => {
      const schema = `pgopt_${process.pid}`;
      const lens = await createLens(pg.url, { embedder, schema });
      await lens.addSalons(salons.slice(0, 1));
      expect(lens.manifest.dir).toContain(`schema=${schema}`);
      await lens.close();
      const again = await openLens(`${pg.url}?schema=${schema}`, { embedder, readOnly: true });
      expect(again.manifest.itemCount).toBe((salons[0] as Salon).items.length);
      await again.close();
    });
  });

  describe('SalonLens on a URL with a password', () => {
    it('never shows the password, and reopens with it to save theme ids from a reader', async () => {
      const url = await seeded();
      const secret = url.replace('postgres://postgres@', 'postgres://postgres:s3cret@');
      if (secret === url) return; // SALON_LENS_PG_URL with another user: nothing to rewrite
      const reader = await SalonLens.open(secret, { embedder, readOnly: true });
      expect(reader.info.dir).not.toContain('s3cret');
      await reader.themes({ k: 2, persist: 'when-free' });
      await reader.close();
      const lens = await openLens(url, { embedder, readOnly: true });
      expect(await lens.readState('themes')).toBeDefined();
      await lens.close();
    });
  });

  describe('crashes and concurrent writers', () => {
    it('a writer killed at any step of its transaction leaves the previous state', async () => {
      const change = [editSalon(salons[1] as Salon, (items) => items.slice(1)), ...salons.slice(2)];
      const salonsFile = await writeSalonsFile(change);
      const traced = await seeded();
      const before = await storeFingerprint(traced, embedder);
      const points = await listFaultPoints(script, { store: traced, action: 'add', salonsFile });
      expect(points).toContain('pg: before commit');
      const after = await storeFingerprint(traced, embedder);
      expect(after).not.toBe(before);
      for (const [i] of points.entries()) {
        const url = await seeded();
        const result = await runChild(
          script,
          { store: url, action: 'add', salonsFile },
          {
            faultPoint: i + 1,
          },
        );
        expect(result.outcome).toBe('killed');
        expect(await storeFingerprint(url, embedder)).toBe(before);
        expect((await verifyLens(url)).ok).toBe(true);
      }
    }, 240_000);

    it('two writer processes at once both land; a reader sees old or new, never half', async () => {
      const url = await seeded();
      const before = await storeFingerprint(url, embedder);
      const fileA = await writeSalonsFile([salons[2] as Salon]);
      const fileB = await writeSalonsFile(salons.slice(3));
      let release: () => void = () => {};
      let onPause: () => void = () => {};
      const paused = new Promise<void>((resolve) => {
        onPause = resolve;
      });
      const a = runChild(
        script,
        { store: url, action: 'add', salonsFile: fileA },
        {
          faultPoint: 3, // inside A's transaction: rows inserted, not committed
          onPaused: (resume) => {
            release = resume;
            onPause();
          },
        },
      );
      await paused;
      const b = runChild(script, { store: url, action: 'add', salonsFile: fileB });
      const reader = storeFingerprint(url, embedder);
      if (kind === 'server') {
        // MVCC: a reader on a real server is not blocked by A's open transaction and
        // sees the last committed state (each call of the fingerprint is its own
        // statement, so it is taken whole before A commits).
        expect(await reader).toBe(before);
      }
      // Give B time to embed and reach its transaction, then let A commit.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      release();
      expect((await a).outcome).toBe('finished');
      expect((await b).outcome).toBe('finished');
      const seen = await reader;
      const lens = await openLens(url, { embedder, readOnly: true });
      expect(lens.salons().map((s) => s.id)).toEqual(salons.map((s) => s.id));
      const snapshot = await lens.snapshot();
      expect(snapshot.items.map((i) => i.id)).toEqual(
        salons.flatMap((s) => s.items.map((i) => i.id)),
      );
      await lens.close();
      const afterA = await (async () => {
        // What the store held with A's salon committed and B's not yet: rebuilt directly.
        const ref = newUrl();
        const l = await createLens(ref, { embedder });
        await l.addSalons(salons.slice(0, 3));
        await l.close();
        return storeFingerprint(ref, embedder);
      })();
      expect([before, afterA, await storeFingerprint(url, embedder)]).toContain(seen);
      expect((await verifyLens(url)).ok).toBe(true);
    }, 120_000);
  });
});
