/**
 * Lens store behaviour with the fast `hashing` embedder on the example salons:
 * ingest, skip/replace on re-add, filters, ANN vs exact, state, snapshot,
 * mismatch, lock, read-only, abort and option validation.
 */

import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { SalonLensError } from '../src/errors.js';
import {
  createLens,
  LENS_DEFAULTS,
  type Lens,
  openLens,
  SearchHitSchema,
  SimilarQuestionGroupSchema,
} from '../src/index/index.js';
import type { Salon, Section } from '../src/parse/index.js';
import {
  countingEmbedder,
  hashingEmbedder,
  randomVectorEmbedder,
} from './helpers/index-embedders.js';
import { editSalon, exampleSalons, storeFingerprint, tempStoreDir } from './helpers/index-store.js';

let salons: Salon[];
let embedder: Embedder;
const open: Lens[] = [];

beforeAll(async () => {
  salons = await exampleSalons();
  embedder = await hashingEmbedder(64);
});

afterEach(async () => {
  for (const lens of open.splice(0)) await lens.close();
});

async function newLens(e: Embedder = embedder): Promise<{ dir: string; lens: Lens }> {
  const dir = await tempStoreDir();
  const lens = await createLens(dir, { embedder: e });
  open.push(lens);
  return { dir, lens };
}

async function expectCode(
  promise: Promise<unknown> | (() => unknown),
  code: string,
): Promise<SalonLensError> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SalonLensError);
  expect((caught as SalonLensError).code).toBe(code);
  return caught as SalonLensError;
}

describe('addSalons', () => {
  it('ingests every item of the example salons, in salon then document order', async () => {
    const { lens } = await newLens();
    const events: string[] = [];
    const summary = await lens.addSalons(salons, { onProgress: (p) => events.push(p.stage) });
    const total = salons.reduce((n, s) => n + s.items.length, 0);
    expect(summary).toEqual({
      added: salons.length,
      updated: 0,
      unchanged: 0,
      removedItems: 0,
      embeddedItems: total,
      skipped: [],
      // The examples' chatter and leaked instructions, as the parser reported them.
      warnings: salons.flatMap((s) =>
        s.warnings.map((w) => ({
          file: s.source,
          kind: w.kind,
          message: w.message,
          line: w.line,
          salonId: s.id,
          ...(w.text ? { text: w.text } : {}),
        })),
      ),
    });
    expect(summary.warnings.length).toBeGreaterThan(0);
    expect(lens.manifest.itemCount).toBe(total);
    expect((await lens.snapshot()).items.map((i) => i.id)).toEqual(
      salons.flatMap((s) => s.items.map((i) => i.id)),
    );
    expect([...new Set(events)]).toEqual(['parse', 'embed', 'index', 'statistics', 'save']);
  });

  it('reads paths too, and reports progress that only grows and ends complete', async () => {
    const { lens } = await newLens();
    const saves: Array<{ done: number; total: number }> = [];
    await lens.addSalons([path.dirname(salons[0]?.source ?? '')], {
      onProgress: (p) => p.stage === 'save' && saves.push(p),
    });
    expect(lens.manifest.salonCount).toBe(salons.length);
    expect(saves.map((s) => s.done)).toEqual([...saves.keys()].map((i) => i + 1));
    expect(saves.at(-1)?.done).toBe(saves.at(-1)?.total);
  });

  it('skips unchanged salons without embedding them', async () => {
    const counting = countingEmbedder(embedder);
    const { lens } = await newLens(counting);
    await lens.addSalons(salons);
    const textsBefore = counting.texts;
    const generation = lens.manifest.generation;
    const summary = await lens.addSalons(salons);
    expect(summary).toMatchObject({
      added: 0,
      updated: 0,
      unchanged: salons.length,
      embeddedItems: 0,
    });
    expect(counting.texts).toBe(textsBefore);
    expect(lens.manifest.generation).toBe(generation); // nothing to save
  });

  it('replaces the items of a changed salon and only embeds that salon', async () => {
    const counting = countingEmbedder(embedder);
    const { dir, lens } = await newLens(counting);
    await lens.addSalons(salons);
    const target = salons[1] as Salon;
    const dropped = target.items.find((i) => i.section === 'question') as Salon['items'][number];
    const changed = editSalon(target, (items) => [
      ...items.filter((i) => i !== dropped),
      { ...dropped, text: 'Should lighthouse keepers unionise against automated foghorns?' },
    ]);
    const before = counting.texts;
    const summary = await lens.addSalons([changed]);
    expect(summary).toMatchObject({
      added: 0,
      updated: 1,
      unchanged: 0,
      embeddedItems: changed.items.length,
    });
    expect(counting.texts - before).toBe(changed.items.length);
    expect(lens.manifest.itemCount).toBe(salons.reduce((n, s) => n + s.items.length, 0));

    // The old text is gone from every search path; the new one is found.
    for (const mode of ['vector', 'lexical', 'hybrid'] as const) {
      const hits = await lens.search(dropped.text, { k: 50, mode });
      expect(hits.some((h) => h.item.text === dropped.text)).toBe(false);
    }
    const [top] = await lens.search(
      'Should lighthouse keepers unionise against automated foghorns?',
      { k: 1 },
    );
    expect(top?.item.text).toContain('lighthouse keepers');
    expect(top?.item.salonId).toBe(target.id);

    // ...and that survives a reopen.
    await lens.close();
    const again = await openLens(dir, { embedder, readOnly: true });
    open.push(again);
    const hits = await again.search(dropped.text, { k: 200, exact: true });
    expect(hits.some((h) => h.item.text === dropped.text)).toBe(false);
    expect(hits).toHaveLength(again.manifest.itemCount);
  });

  it('reuses freed HNSW labels, so repeated replacement does not grow the store', async () => {
    const { dir, lens } = await newLens();
    await lens.addSalons(salons);
    const sizeOf = async () => {
      const names = await readdir(dir);
      return names.filter((n) => n.startsWith('vectors.')).length;
    };
    const target = salons[0] as Salon;
    for (let round = 0; round < 3; round++) {
      await lens.addSalons([
        editSalon(target, (items) =>
          items.map((i) => ({ ...i, text: `${i.text} (round ${round})` })),
        ),
      ]);
    }
    expect(await sizeOf()).toBe(1); // old generations cleaned up
    const hits = await lens.search(target.items[0]?.text ?? '', { k: 200, exact: true });
    expect(hits).toHaveLength(lens.manifest.itemCount);
    expect(new Set(hits.map((h) => h.item.id)).size).toBe(hits.length);
  });

  it('removes salons', async () => {
    const { lens } = await newLens();
    await lens.addSalons(salons);
    const gone = salons[0] as Salon;
    const result = await lens.removeSalons([gone.id, 'no-such-salon']);
    expect(result).toEqual({ removedSalons: 1, removedItems: gone.items.length });
    const hits = await lens.search(gone.items[0]?.text ?? '', { k: 200 });
    expect(hits.some((h) => h.salon.id === gone.id)).toBe(false);
  });

  it('rejects two different salons with one id', async () => {
    const { lens } = await newLens();
    const a = salons[0] as Salon;
    const b = editSalon(a, (items) => items.slice(1));
    await expectCode(lens.addSalons([a, b]), 'DUPLICATE_SALON');
  });
});

describe('search', () => {
  let lens: Lens;
  beforeAll(async () => {
    const dir = await tempStoreDir();
    lens = await createLens(dir, { embedder });
    await lens.addSalons(salons);
    return () => lens.close();
  });

  it('returns valid hits, best first, with their scoring and cosine', async () => {
    const text = salons[2]?.items[3]?.text as string;
    const hits = await lens.search(text, { k: 5 });
    expect(hits).toHaveLength(5);
    for (const h of hits) SearchHitSchema.parse(h);
    expect(hits[0]?.item.text).toBe(text);
    expect(hits[0]?.scoring).toBe('fused');
    expect(hits[0]?.cosine).toBeCloseTo(1, 5);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('applies filters inside the search: k hits come back when k match', async () => {
    const questions = salons.flatMap((s) => s.items.filter((i) => i.section === 'question'));
    const k = Math.min(7, questions.length);
    const hits = await lens.search('who decides', { k, section: 'question' });
    expect(hits).toHaveLength(k);
    expect(hits.every((h) => h.item.section === 'question')).toBe(true);

    const one = salons[3] as Salon;
    const all = await lens.search('who decides', { k: 1000, salon: one.id });
    expect(all).toHaveLength(one.items.length);
    expect(all.every((h) => h.salon.id === one.id)).toBe(true);

    const others = await lens.search('who decides', {
      k: 1000,
      excludeSalon: one.id,
      section: ['question', 'disagreement'],
    });
    expect(others.every((h) => h.salon.id !== one.id && h.item.section !== 'insight')).toBe(true);
    expect(others).toHaveLength(
      salons
        .filter((s) => s.id !== one.id)
        .flatMap((s) => s.items.filter((i) => i.section !== 'insight')).length,
    );
  });

  it('filters by salon date range', async () => {
    const dated = salons
      .filter((s) => s.date)
      .sort((a, b) => (a.date as string).localeCompare(b.date as string));
    const from = dated[1]?.date as string;
    const to = dated[2]?.date as string;
    const hits = await lens.search('work', { k: 1000, dateFrom: from, dateTo: to });
    const expected = dated.filter((s) => (s.date as string) >= from && (s.date as string) <= to);
    expect(new Set(hits.map((h) => h.salon.id))).toEqual(new Set(expected.map((s) => s.id)));
    expect(hits).toHaveLength(expected.reduce((n, s) => n + s.items.length, 0));
  });

  it('lexical mode ranks by BM25 and finds exact keywords', async () => {
    const item = salons[4]?.items.find((i) => i.section === 'question') as Salon['items'][number];
    const word = item.text.split(/\W+/).filter((w) => w.length > 6)[0] as string;
    const hits = await lens.search(word, { mode: 'lexical', k: 100 });
    expect(hits.length).toBeGreaterThan(0);
    expect(
      hits.every((h) => h.item.text.toLowerCase().includes(word.toLowerCase().replace(/s$/, ''))),
    ).toBe(true);
    expect(hits.some((h) => h.item.id === item.id)).toBe(true);
  });

  it('hybrid mode returns k hits and keeps the exact match first', async () => {
    const text = salons[0]?.items[5]?.text as string;
    const hits = await lens.search(text, { mode: 'hybrid', k: 8 });
    expect(hits).toHaveLength(8);
    expect(hits[0]?.item.text).toBe(text);
  });

  it('exact and ANN searches agree on this store', async () => {
    let same = 0;
    const queries = salons.flatMap((s) => s.items).slice(0, 40);
    for (const q of queries) {
      const ann = await lens.search(q.text, { k: 10 });
      const exact = await lens.search(q.text, { k: 10, exact: true });
      const exactIds = new Set(exact.map((h) => h.item.id));
      same += ann.filter((h) => exactIds.has(h.item.id)).length / exact.length;
    }
    expect(same / queries.length).toBeGreaterThanOrEqual(0.98);
  });

  it('similarTo finds neighbours of a stored item, never the item itself', async () => {
    const item = salons[1]?.items[2] as Salon['items'][number];
    const hits = await lens.similarTo(item.id, { k: 5, crossSalonOnly: true });
    expect(hits).toHaveLength(5);
    expect(hits.every((h) => h.item.id !== item.id && h.salon.id !== item.salonId)).toBe(true);
    await expect(lens.similarTo('nope#q1')).rejects.toThrow(/No item "nope#q1"/);
  });

  it('similarQuestions groups cross-salon questions, largest first', async () => {
    const groups = await lens.similarQuestions({ threshold: 0.2 });
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      SimilarQuestionGroupSchema.parse(g);
      expect(g.questions.every((q) => q.item.section === 'question')).toBe(true);
      // One question per salon in cross-salon groups.
      expect(g.salons).toHaveLength(g.questions.length);
      expect(g.cohesion).toBeGreaterThanOrEqual(0.2);
    }
    const sizes = groups.map((g) => g.questions.length);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    // Deterministic.
    expect(await lens.similarQuestions({ threshold: 0.2 })).toEqual(groups);
    // A higher threshold never finds more pairs.
    const strict = await lens.similarQuestions({ threshold: 0.5 });
    const members = (gs: typeof groups) => gs.reduce((n, g) => n + g.questions.length, 0);
    expect(members(strict)).toBeLessThanOrEqual(members(groups));
  });

  it('recallCheck compares ANN with exact top-k', async () => {
    const report = await lens.recallCheck({ sample: 50, k: 10 });
    expect(report.queries).toBe(50);
    expect(report.recall).toBeGreaterThanOrEqual(0.98);
    expect(report.ef).toBe(lens.manifest.hnsw.ef);
  });

  it('rejects bad options with one error naming the option', async () => {
    const error = await expectCode(lens.search('x', { k: 0 }), 'INVALID_OPTIONS');
    expect(error.message).toContain('search options.k');
    const typo = await expectCode(
      lens.search('x', { sectoin: 'question' } as never),
      'INVALID_OPTIONS',
    );
    expect(typo.message).toContain('sectoin');
    await expectCode(lens.search('   '), 'INVALID_OPTIONS');
    await expectCode(lens.similarQuestions({ threshold: 3 }), 'INVALID_OPTIONS');
    await expectCode(() => lens.setEf(0), 'INVALID_OPTIONS');
  });
});

describe('HNSW on a larger store', () => {
  it('keeps k hits and high ANN/exact agreement with and without filters', async () => {
    // 4,000 synthetic items; the filter below matches ~2,600 of them, above
    // LENS_DEFAULTS.exactBelow, so the filtered searches run inside the graph.
    expect(LENS_DEFAULTS.exactBelow).toBeLessThan(2600);
    const words =
      'data model open court school vote privacy teacher market energy health art law job code'.split(
        ' ',
      );
    const many: Salon[] = Array.from({ length: 40 }, (_, s) => ({
      id: `synthetic-${s}`,
      title: `Synthetic ${s}`,
      date: `2024-01-${String((s % 28) + 1).padStart(2, '0')}`,
      source: `synthetic-${s}.md`,
      warnings: [],
      items: Array.from({ length: 100 }, (_, i) => {
        const section = (['insight', 'question', 'disagreement'] as const)[i % 3] as Section;
        const text = Array.from(
          { length: 6 },
          (_, w) => words[(s * 7 + i * 13 + w * w * 5 + i * w) % words.length],
        ).join(' ');
        return {
          id: `synthetic-${s}#${section[0]}${i}`,
          salonId: `synthetic-${s}`,
          section,
          text: `${text} ${i}-${s}`,
          ordinal: i + 1,
          line: i + 1,
        };
      }),
    }));
    const { lens } = await newLens(randomVectorEmbedder(32));
    await lens.addSalons(many);
    expect((await lens.recallCheck({ sample: 200, k: 10 })).recall).toBeGreaterThanOrEqual(0.98);
    let agree = 0;
    const queries = many.flatMap((s) => s.items).filter((_, i) => i % 97 === 0);
    for (const q of queries) {
      const filters = {
        section: ['question', 'disagreement'] as Section[],
        excludeSalon: q.salonId,
        k: 10,
      };
      const ann = await lens.search(q.text, filters);
      const exact = await lens.search(q.text, { ...filters, exact: true });
      expect(ann).toHaveLength(10);
      expect(ann.every((h) => h.item.section !== 'insight' && h.salon.id !== q.salonId)).toBe(true);
      const ids = new Set(exact.map((h) => h.item.id));
      agree += ann.filter((h) => ids.has(h.item.id)).length / 10;
    }
    expect(agree / queries.length).toBeGreaterThanOrEqual(0.97);
  });
});

describe('state and snapshot', () => {
  it('stores derived state atomically and returns copies', async () => {
    const { dir, lens } = await newLens();
    await lens.addSalons(salons);
    expect(await lens.readState('themes')).toBeUndefined();
    await lens.writeState('themes', { centroids: [[0.1, 0.2]], k: 3 });
    const read = (await lens.readState('themes')) as { k: number };
    read.k = 99;
    expect(await lens.readState('themes')).toEqual({ centroids: [[0.1, 0.2]], k: 3 });
    await expectCode(lens.writeState('bad key!', 1), 'INVALID_OPTIONS');
    await expectCode(
      lens.writeState('fn', () => 1),
      'INVALID_OPTIONS',
    );
    await lens.close();
    const again = await openLens(dir, { embedder, readOnly: true });
    open.push(again);
    expect(await again.readState('themes')).toEqual({ centroids: [[0.1, 0.2]], k: 3 });
    await expectCode(again.writeState('x', 1), 'STORE_READ_ONLY');
  });

  it('snapshot gives items with their vectors in stable order', async () => {
    const { lens } = await newLens();
    await lens.addSalons(salons);
    const snap = await lens.snapshot();
    expect(snap.salons.map((s) => s.id)).toEqual(salons.map((s) => s.id));
    expect(snap.vectors).toHaveLength(snap.items.length);
    const [v] = await embedder.embed([snap.items[7]?.text as string]);
    expect(Array.from(snap.vectors[7] as Float32Array)).toEqual(Array.from(v as Float32Array));
    snap.vectors[7]?.fill(0);
    expect((await lens.snapshot()).vectors[7]?.some((x) => x !== 0)).toBe(true);
  });
});

describe('opening, locking and mismatch', () => {
  it('refuses a store built with another embedder, naming both', async () => {
    const { dir, lens } = await newLens();
    await lens.addSalons(salons.slice(0, 1));
    await lens.close();
    const other = await hashingEmbedder(32);
    const error = await expectCode(
      openLens(dir, { embedder: other, readOnly: true }),
      'EMBEDDER_MISMATCH',
    );
    expect(error.message).toContain('hashing@64');
    expect(error.message).toContain('hashing@32');
  });

  it('gives STORE_NOT_FOUND and STORE_EXISTS', async () => {
    const dir = await tempStoreDir();
    await expectCode(openLens(path.join(dir, 'none'), { embedder }), 'STORE_NOT_FOUND');
    const lens = await createLens(dir, { embedder });
    await lens.close();
    await expectCode(createLens(dir, { embedder }), 'STORE_EXISTS');
    const forced = await createLens(dir, { embedder, force: true });
    expect(forced.manifest.itemCount).toBe(0);
    await forced.close();
  });

  it('lets one writer in, locks out a second, admits readers', async () => {
    const { dir, lens } = await newLens();
    await lens.addSalons(salons.slice(0, 2));
    const error = await expectCode(openLens(dir, { embedder }), 'STORE_LOCKED');
    expect(error.message).toContain(`process ${process.pid}`);
    const reader = await openLens(dir, { embedder, readOnly: true });
    open.push(reader);
    expect(reader.manifest.itemCount).toBe(lens.manifest.itemCount);
    await lens.close();
    const second = await openLens(dir, { embedder });
    open.push(second);
    expect(second.readOnly).toBe(false);
  });

  it('takes over a stale lock left by a dead process on this host', async () => {
    const { dir, lens } = await newLens();
    await lens.close();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const pid = Number(dead.stdout);
    // Same host and same PID namespace: the pid is meaningful, so a dead one frees the lock.
    const pidns = readlinkSync('/proc/self/ns/pid');
    await writeFile(
      path.join(dir, 'lock'),
      JSON.stringify({ pid, host: hostname(), createdAt: 'then', token: 'a', pidns }),
    );
    const writer = await openLens(dir, { embedder });
    open.push(writer);
    expect(writer.readOnly).toBe(false);
    // A lock from another host (or one without a namespace, from an older salon-lens) is
    // taken over only once its heartbeat is a minute old.
    await writer.close();
    for (const lock of [
      { pid, host: 'elsewhere.example', createdAt: 'then' },
      { pid, host: hostname(), createdAt: 'then' },
    ]) {
      await writeFile(path.join(dir, 'lock'), JSON.stringify(lock));
      await expectCode(openLens(dir, { embedder }), 'STORE_LOCKED');
      const old = new Date(Date.now() - 61_000);
      await utimes(path.join(dir, 'lock'), old, old);
      await (await openLens(dir, { embedder })).close();
    }
  });

  it('a closed lens refuses work', async () => {
    const { lens } = await newLens();
    await lens.close();
    await expectCode(lens.search('x'), 'STORE_CLOSED');
  });
});

describe('abort', () => {
  it('leaves store and lens exactly as before when aborted at any stage', async () => {
    const { dir, lens } = await newLens();
    await lens.addSalons(salons.slice(0, 2));
    const before = await storeFingerprint(dir, embedder);
    for (const stage of ['parse', 'embed', 'index', 'statistics', 'save'] as const) {
      const controller = new AbortController();
      await expectCode(
        lens.addSalons(salons, {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.stage === stage && p.done >= 1) controller.abort();
          },
        }),
        'ABORTED',
      );
      expect(await storeFingerprint(dir, embedder)).toBe(before);
      expect(lens.manifest.salonCount).toBe(2);
      expect((await lens.search('anything', { k: 500 })).length).toBe(lens.manifest.itemCount);
    }
    const names = await readdir(dir);
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
    // And the lens still works for a real add afterwards.
    expect((await lens.addSalons(salons)).added).toBe(salons.length - 2);
  });
});
