/**
 * Concurrency between processes on one store: a second writer is refused with
 * STORE_LOCKED (exit 1 from the CLI, with a message saying what to do) and the
 * store ends up as exactly one complete writer's result; two CLI writers started at
 * the same moment never mix; readers in another process keep searching, always from
 * one consistent generation, while a writer saves again and again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import { type Lens, openLens, verifyLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { requireBuiltCli, runCliAsync } from './helpers/cli.js';
import {
  copyStore,
  crashFixture,
  expectOneOf,
  fingerprintAfter as fingerprintOf,
  listFaultPoints,
  removeCopies,
  runChild,
  storeWith as store,
  writeSalonsFile,
} from './helpers/index-crash.js';

let child: string;
let salons: Salon[];
let embedder: Embedder;

beforeAll(async () => {
  ({ child, salons, embedder } = await crashFixture({ prefix: 'conc-' }));
});

afterAll(removeCopies);

/** A store holding `initial`. */
const storeWith = (initial: Salon[]) => store(embedder, initial, { prefix: 'conc-' });
/** The state of a copy of `base` after adding each of `writes` to it, in order (in-process). */
const fingerprintAfter = (base: string, ...writes: Salon[][]) =>
  fingerprintOf(base, embedder, ...writes);

describe('two writers', () => {
  it('the second writer gets STORE_LOCKED (CLI: exit 1, clear message); the first completes alone', async () => {
    requireBuiltCli();
    const base = await storeWith(salons.slice(0, 1));
    const first = salons.slice(1, 3);
    const second = salons.slice(3);
    const firstOnly = await fingerprintAfter(base, first);
    const dir = await copyStore(base);
    const config = { store: dir, action: 'add' as const, salonsFile: await writeSalonsFile(first) };
    const points = await listFaultPoints(child, { ...config, store: await copyStore(base) });
    // Hold the first writer halfway through its save: the appended segment's items file
    // is written, its vectors file is being written.
    const holdAt = points.indexOf(points.find((p) => p.startsWith('vectors.')) as string) + 1;

    let lockedCli: { code: number; stdout: string; stderr: string } | undefined;
    let lockedApi: unknown;
    const result = await runChild(child, config, {
      faultPoint: holdAt,
      onPaused: (resume) => {
        void (async () => {
          try {
            lockedCli = await runCliAsync([
              'index',
              ...second.map((s) => s.source),
              '--store',
              dir,
              '--quiet',
            ]);
            await openLens(dir, { embedder }).then(
              (lens) => lens.close(),
              (error) => {
                lockedApi = error;
              },
            );
          } finally {
            resume();
          }
        })();
      },
    });
    expect(result.outcome).toBe('finished');
    expect(lockedCli?.code).toBe(1);
    expect(lockedCli?.stdout).toBe('');
    // One line: who holds the lock, and what to do about it (the documents' parse
    // warnings aside).
    const errorLines = lockedCli?.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('warning: '));
    expect(errorLines).toHaveLength(1);
    expect(errorLines?.[0]).toMatch(
      /^salon-lens: Store .* is locked by process \d+ on .* since .*: only one writer at a time\. Wait for it to finish and run this again/,
    );
    expect(lockedCli?.stderr).toContain('salon-lens search, similar, themes and verify');
    expect(isSalonLensError(lockedApi, 'STORE_LOCKED')).toBe(true);
    expect(await expectOneOf(dir, { firstOnly }, embedder)).toBe('firstOnly');
  }, 120_000);

  it('two CLI writers started together: each run ends as one writer’s complete result, never a mix', async () => {
    requireBuiltCli();
    const a = salons.slice(1, 3);
    const b = salons.slice(3);
    const base = await storeWith(salons.slice(0, 1));
    const states = {
      a: await fingerprintAfter(base, a),
      b: await fingerprintAfter(base, b),
      ab: await fingerprintAfter(base, a, b),
      ba: await fingerprintAfter(base, b, a),
    };
    const tally = { lockedOut: 0, serial: 0 };
    for (let round = 0; round < 3; round++) {
      const store = await copyStore(base);
      const args = (group: Salon[]) => [
        'index',
        ...group.map((s) => s.source),
        '--store',
        store,
        '--quiet',
      ];
      const [ra, rb] = await Promise.all([runCliAsync(args(a)), runCliAsync(args(b))]);
      const state = await expectOneOf(store, states, embedder);
      if (ra.code === 0 && rb.code === 0) {
        // They did not overlap after all: the second added to the first one's store.
        tally.serial++;
        expect(['ab', 'ba']).toContain(state);
      } else {
        tally.lockedOut++;
        expect([ra.code, rb.code].sort()).toEqual([0, 1]);
        const loser = ra.code === 0 ? rb : ra;
        expect(loser.stderr).toMatch(
          /^salon-lens: Store .* is locked by (process \d+ |another process)/m,
        );
        expect(state).toBe(ra.code === 0 ? 'a' : 'b');
      }
    }
    process.stderr.write(`[concurrency] CLI races: ${JSON.stringify(tally)}\n`);
    expect(tally.lockedOut + tally.serial).toBe(3);
  }, 180_000);
});

describe('readers beside a writer in another process', () => {
  it('every reader open and search answers from one complete generation while the writer saves repeatedly', async () => {
    const baseSalons = salons.slice(0, 2);
    const extra = salons.slice(2);
    const base = await storeWith(baseSalons);
    const dir = await copyStore(base);
    const query = 'who owns the models and the data';
    // Exact answers of the two states the writer alternates between.
    const expected = new Map<number, string>();
    for (const state of [
      base,
      await (async () => {
        const d = await copyStore(base);
        const lens = await openLens(d, { embedder });
        await lens.addSalons(extra);
        await lens.close();
        return d;
      })(),
    ]) {
      const lens = await openLens(state, { embedder, readOnly: true });
      expected.set(lens.manifest.salonCount, await answer(lens));
      await lens.close();
    }
    async function answer(lens: Lens): Promise<string> {
      const hits = await lens.search(query, { k: 8, exact: true });
      return hits.map((h) => `${h.item.id} ${h.score.toFixed(5)}`).join(', ');
    }

    // A reader opened before the writer starts keeps answering from its generation.
    const early = await openLens(dir, { embedder, readOnly: true });
    const earlyAnswer = await answer(early);

    const rounds = 12;
    const saved: number[] = [];
    let acked = 0;
    let pending: ((text: string) => void) | undefined;
    let finished = false;
    const writer = runChild(
      child,
      {
        store: dir,
        action: 'cycle',
        salonsFile: await writeSalonsFile(extra),
        ids: extra.map((s) => s.id),
        rounds,
      },
      {
        onLine: (line, send) => {
          const m = /^SAVED (\d+)$/.exec(line);
          if (m) {
            saved.push(Number(m[1]));
            pending = send;
          }
        },
      },
    ).finally(() => {
      finished = true;
    });

    let opens = 0;
    const seen = new Set<number>();
    while (!finished) {
      const lens = await openLens(dir, { embedder, readOnly: true });
      opens++;
      const generation = lens.manifest.generation;
      seen.add(generation);
      const salonIds = new Set(lens.salons().map((s) => s.id));
      const all = await lens.search(query, { k: 10_000 });
      expect(all).toHaveLength(lens.manifest.itemCount);
      expect(all.every((h) => salonIds.has(h.item.salonId))).toBe(true);
      expect(await answer(lens)).toBe(expected.get(lens.manifest.salonCount));
      expect(await early.search(query, { k: 3 })).toHaveLength(3);
      await lens.close();
      // Let the writer save again only once this reader has seen its last save, so
      // the reader is always mid-loop when the next save happens.
      const last = saved.at(-1);
      if (pending && last !== undefined && seen.has(last) && acked < saved.length) {
        acked = saved.length;
        pending('\n');
      }
    }
    const result = await writer;
    expect(result.outcome).toBe('finished');
    expect(saved).toHaveLength(rounds);
    for (const g of saved) expect(seen).toContain(g);
    expect(await answer(early)).toBe(earlyAnswer);
    await early.close();
    process.stderr.write(
      `[concurrency] reader: ${opens} opens + searches across ${seen.size} generations, 0 errors\n`,
    );
    expect((await verifyLens(dir)).ok).toBe(true);
  }, 180_000);
});
