import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyze,
  isSalonLensError,
  loadSalons,
  SalonLens,
  type SalonLensError,
} from '../src/index.js';
import { examplesDir } from './helpers/shared-data.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'salon-api-'));
const hashing = { backend: 'hashing' } as const;

async function rejection(promise: Promise<unknown>): Promise<SalonLensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSalonLensError(error)).toBe(true);
  return error as SalonLensError;
}

describe('SalonLens facade', () => {
  it('adds, searches, groups questions, clusters and reports through one object', async () => {
    const dir = await tmp();
    const lens = await SalonLens.create(path.join(dir, 'store'), { embedder: hashing });
    try {
      const summary = await lens.add([examplesDir]);
      expect(summary.added).toBe(5);
      const hits = await lens.search('labels on synthetic images', { k: 3, section: 'question' });
      expect(hits).toHaveLength(3);
      expect(hits.every((h) => h.item.section === 'question')).toBe(true);
      const themes = await lens.themes({ k: 5 });
      expect(themes.themes.length).toBeGreaterThan(0);
      const report = await lens.report({ formats: ['md'], builtAt: '2026-01-01T00:00:00Z' });
      expect(report.rendered.md).toContain('2026-01-01');
      expect(report.files).toEqual({});
    } finally {
      await lens.close();
    }
  });

  it('reopens a store with the embedder it was built with', async () => {
    const dir = path.join(await tmp(), 'store');
    const created = await SalonLens.create(dir, { embedder: { backend: 'hashing', dim: 64 } });
    await created.add([examplesDir]);
    await created.close();
    const reopened = await SalonLens.open(dir, { readOnly: true });
    expect(reopened.embedder.id).toBe('hashing@64');
    expect(reopened.info.itemCount).toBeGreaterThan(50);
    await reopened.close();
  });

  it('names the bad option in one error', async () => {
    const dir = await tmp();
    const wrongType = await rejection(
      SalonLens.create(dir, { embedder: hashing, force: 'yes' as unknown as boolean }),
    );
    expect(wrongType.code).toBe('INVALID_OPTIONS');
    expect(wrongType.message).toContain('create options.force');
    const unknown = await rejection(
      SalonLens.create(dir, { embedder: hashing, forse: true } as never),
    );
    expect(unknown.message).toMatch(/forse/);
    const lens = await SalonLens.create(path.join(dir, 's'), { embedder: hashing });
    try {
      const badFormat = await rejection(lens.report({ formats: ['pdf' as 'md'] }));
      expect(badFormat.message).toContain('report options.formats.0');
      const badK = await rejection(lens.search('x', { k: -1 }));
      expect(badK.code).toBe('INVALID_OPTIONS');
      expect(badK.message).toMatch(/\bk\b/);
    } finally {
      await lens.close();
    }
  });

  it('leaves the store exactly as it was when add() is aborted', async () => {
    const dir = path.join(await tmp(), 'store');
    const lens = await SalonLens.create(dir, { embedder: hashing });
    try {
      const { salons } = await loadSalons([examplesDir]);
      await lens.add(salons.slice(0, 2));
      const before = {
        info: lens.info.itemCount,
        hits: await lens.search('privacy at work', { k: 5 }),
      };
      const controller = new AbortController();
      const pending = lens.add(salons.slice(2), {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.stage === 'embed') controller.abort(new Error('user cancelled'));
        },
      });
      const error = await rejection(pending);
      expect(error.code).toBe('ABORTED');
      expect(lens.info.itemCount).toBe(before.info);
      expect(await lens.search('privacy at work', { k: 5 })).toEqual(before.hits);
    } finally {
      await lens.close();
    }
    const reopened = await SalonLens.open(dir, { readOnly: true });
    expect(reopened.info.salonCount).toBe(2);
    await reopened.close();
  });

  it('analyze() goes from paths to written report files', async () => {
    const dir = await tmp();
    const events: string[] = [];
    const { added, report } = await analyze([examplesDir], {
      store: path.join(dir, 'store'),
      outDir: path.join(dir, 'out'),
      embedder: hashing,
      formats: ['json'],
      onProgress: (e) => events.push(e.stage),
    });
    expect(added.added).toBe(5);
    expect(Object.keys(report.files)).toEqual(['json']);
    expect(events).toContain('embed');
    expect(events.at(-1)).toBe('report');
  });
});
