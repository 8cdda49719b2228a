import { PCA } from 'ml-pca';
import { describe, expect, it } from 'vitest';
import { isSalonLensError } from '../src/errors.js';
import type { Item, Salon } from '../src/parse/index.js';
import { buildReportData, projectTo2d, ReportDataSchema } from '../src/report/index.js';
import { makeReportData } from './helpers/report-fixture.js';

/** Deterministic pseudo-random vectors around a few well-separated centres with unequal spreads. */
function clusteredVectors(n: number, dim: number): Float32Array[] {
  let state = 7;
  const rand = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const centres = [0, 1, 2].map((c) =>
    Float32Array.from({ length: dim }, (_, j) => (j % 3 === c ? (3 - c) * 2 : 0)),
  );
  return Array.from({ length: n }, (_, i) => {
    const centre = centres[i % 3] as Float32Array;
    return Float32Array.from(centre, (v) => v + 0.3 * rand());
  });
}

describe('projectTo2d', () => {
  it('matches ml-pca scores up to the sign of each axis', () => {
    const vectors = clusteredVectors(60, 24);
    const ours = projectTo2d(vectors);
    const rows = vectors.map((v) => Array.from(v));
    const reference = new PCA(rows, { center: true }).predict(rows, { nComponents: 2 }).to2DArray();
    for (const axis of [0, 1] as const) {
      const mine = ours.map((p) => (axis === 0 ? p.x : p.y));
      const theirs = reference.map((r) => r[axis] ?? 0);
      const sign = Math.sign(mine[0] ?? 1) === Math.sign(theirs[0] ?? 1) ? 1 : -1;
      for (const [i, value] of mine.entries()) {
        expect(value).toBeCloseTo(sign * (theirs[i] ?? 0), 4);
      }
    }
  });

  it('is stable: same input, same output; the largest score on each axis is positive', () => {
    const vectors = clusteredVectors(45, 16);
    const first = projectTo2d(vectors);
    expect(projectTo2d(vectors.map((v) => v.slice()))).toEqual(first);
    for (const axis of ['x', 'y'] as const) {
      const extreme = first.reduce((a, b) => (Math.abs(b[axis]) > Math.abs(a[axis]) ? b : a));
      expect(extreme[axis]).toBeGreaterThan(0);
    }
    // Negating every vector mirrors the PCA scores; the sign convention must undo that.
    expect(projectTo2d(vectors.map((v) => v.map((x) => -x)))).toEqual(first);
  });

  it('handles degenerate inputs without NaN', () => {
    const v = Float32Array.from([1, 0, 0]);
    expect(projectTo2d([])).toEqual([]);
    expect(projectTo2d([v])).toEqual([{ x: 0, y: 0 }]);
    expect(projectTo2d([v, v, v])).toEqual([
      { x: 0, y: 0 },
      { x: 0, y: 0 },
      { x: 0, y: 0 },
    ]);
    const two = projectTo2d([v, Float32Array.from([0, 1, 0])]);
    expect(two[0]?.y).toBe(0);
    expect(Math.abs(two[0]?.x ?? 0)).toBeCloseTo(Math.SQRT1_2, 5);
  });
});

describe('buildReportData', () => {
  const fixture = makeReportData();
  const salons: Salon[] = fixture.salons.map((s) => ({
    id: s.id,
    title: s.title,
    ...(s.date ? { date: s.date } : {}),
    source: s.source,
    warnings: [],
    items: fixture.items
      .filter((i) => i.salonId === s.id)
      .map((i, n) => ({ ...i, ordinal: n + 1, line: n + 3 })),
  }));
  const items: Item[] = salons.flatMap((s) => s.items);
  const vectors = clusteredVectors(items.length, 8);
  const input = {
    salons,
    items,
    vectors,
    themes: fixture.themes,
    recurringQuestions: fixture.recurringQuestions,
    embedder: { id: 'test-embedder@8', dim: 8 },
    builtAt: new Date('2025-04-01T09:30:00Z'),
  };

  it('assembles valid ReportData with counts and one map point per item', () => {
    const data = buildReportData(input);
    expect(ReportDataSchema.safeParse(data).success).toBe(true);
    expect(data.builtAt).toBe('2025-04-01T09:30:00.000Z');
    expect(data.salons.find((s) => s.id === 'b')?.counts).toEqual({
      insight: 2,
      question: 1,
      disagreement: 1,
    });
    expect(data.map.map((p) => p.itemId)).toEqual(items.map((i) => i.id));
    expect(data.map).toEqual(projectTo2d(vectors).map((p, i) => ({ itemId: items[i]?.id, ...p })));
    expect(buildReportData(input)).toEqual(data);
  });

  it('refuses vectors that do not match the items or the embedder dimension', () => {
    const cases = [
      {
        vectors: vectors.slice(1),
        message: /buildReportData input\.vectors: expected one vector per item \(9\), received 8/,
      },
      {
        vectors: vectors.map((v, i) => (i === 2 ? v.slice(0, 4) : v)),
        message:
          /buildReportData input\.vectors\.2: expected dimension 8 \(embedder\.dim\), received 4/,
      },
    ];
    for (const { vectors: bad, message } of cases) {
      let error: unknown;
      try {
        buildReportData({ ...input, vectors: bad });
      } catch (e) {
        error = e;
      }
      expect(isSalonLensError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});
