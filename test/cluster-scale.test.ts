/**
 * clusterThemes above the average-linkage limit: k-means runs instead (the n×n
 * matrix of 20,000 items alone would be 1.6 GB), the result says so, k:'auto' is
 * scored on a seeded sample, and the output is deterministic and independent of
 * input order. Synthetic vectors with known groups, so the right answer is known.
 */
import { describe, expect, it } from 'vitest';
import { clusterThemes, type ThemeInput, ThemesResultSchema } from '../src/cluster/index.js';
import {
  MAX_CUT_CANDIDATES,
  sampleRows,
  seedCenters,
  spreadCandidates,
} from '../src/cluster/kmeans-at-scale.js';
import { isSalonLensError } from '../src/errors.js';
import { errorOf, groupOf, manySalons } from './helpers/cluster-fixtures.js';

/** Each theme's generated groups, e.g. 'A' (pure) or 'AB' (mixed). */
function themeGroups(input: ThemeInput, themes: Array<{ itemIds: string[] }>): string[] {
  const group = groupOf(input);
  return themes.map((t) => [...new Set(t.itemIds.map((id) => group.get(id)))].sort().join(''));
}

describe('clusterThemes above linkageMaxItems', () => {
  // Correctness at a small size: linkageMaxItems and sampleSize are lowered so that 800
  // items take the path 4,000+ items take by default. The default sizes (4,000 and
  // 20,000 items, sample 2,000) and their timings are in `npm run bench:cluster-scale`.
  it('falls back to k-means above the limit, says so, and is deterministic', () => {
    const input = manySalons(20, 10);
    expect(input.items).toHaveLength(800);
    const options = { linkageMaxItems: 500, sampleSize: 400 };
    const first = clusterThemes(input, options);
    const { result } = first;
    expect(ThemesResultSchema.parse(result)).toEqual(result);
    expect(result.method).toBe('kmeans');
    expect(result.fallback).toEqual({
      requested: 'ward',
      reason:
        '800 items > linkageMaxItems 500: ward on a 400-item sample, then k-means on all items',
    });
    expect(result.kSelection.sampleSize).toBe(400);
    // The usual band for 800 items is 20..40: each k is a cut of the sample's Ward tree,
    // so up to MAX_CUT_CANDIDATES of them are scored (here all 21).
    const ks = result.kSelection.curve.map((p) => p.k);
    expect(ks).toEqual(
      spreadCandidates(
        Array.from({ length: 21 }, (_, i) => 20 + i),
        MAX_CUT_CANDIDATES,
      ),
    );
    expect(ks).toHaveLength(21);
    expect(ks).toContain(result.k);
    // Many more themes than groups at that k, but none mixes two groups.
    expect(themeGroups(input, result.themes).every((g) => g.length === 1)).toBe(true);

    // Same input in reverse order: the same result (same seed, same sample, same ids).
    const order = input.items.map((_, i) => i).reverse();
    const reversed = {
      ...input,
      items: order.map((i) => input.items[i] as ThemeInput['items'][number]),
      vectors: order.map((i) => input.vectors[i] as Float32Array),
    };
    expect(clusterThemes(reversed, options)).toEqual(first);
  });

  it("finds the 4 groups with k:'auto' over a small range, from the sample's silhouette", () => {
    const input = manySalons(20, 10, 5);
    const { result } = clusterThemes(input, {
      kRange: [2, 8],
      linkageMaxItems: 500,
      sampleSize: 400,
    });
    expect(result.method).toBe('kmeans');
    expect(result.kSelection.sampleSize).toBe(400);
    expect(result.k).toBe(4);
    expect(themeGroups(input, result.themes).sort()).toEqual(['A', 'B', 'C', 'D']);
    expect(result.themes.map((t) => t.size)).toEqual([200, 200, 200, 200]);
    // Related insights come from the theme's neighbourhood: same group, other salons.
    const group = groupOf(input);
    for (const theme of result.themes) {
      for (const q of theme.questions.slice(0, 20)) {
        for (const r of q.relatedInsights) {
          expect(r.salonId).not.toBe(q.question.salonId);
          expect(group.get(r.itemId)).toBe(group.get(q.question.itemId));
        }
      }
    }
  });

  it('a fixed k fits every item, not only the sample', () => {
    const input = manySalons(25, 10, 9);
    const { result } = clusterThemes(input, {
      k: 12,
      restarts: 2,
      linkageMaxItems: 500,
      sampleSize: 300,
    });
    expect(result.method).toBe('kmeans');
    expect(result.kSelection).toMatchObject({ mode: 'fixed', sampleSize: 300 });
    expect(Object.keys(result.assignments).length + result.unassigned.length).toBe(1000);
    expect(themeGroups(input, result.themes).every((g) => g.length === 1)).toBe(true);
  });

  it('an abort reported mid-run stops inside the clustering loops, not after them', () => {
    const input = manySalons(20, 10);
    for (const at of ['linkage', 'kmeans'] as const) {
      const controller = new AbortController();
      const events: string[] = [];
      const error = errorOf(() =>
        clusterThemes(input, {
          linkageMaxItems: 500,
          sampleSize: 400,
          signal: controller.signal,
          onProgress: (p) => {
            events.push(`${p.phase} ${p.done}/${p.total}`);
            // As a caller would from its progress callback: the next check must stop it.
            if (p.phase === at && p.done === 0) controller.abort(new Error('stop'));
          },
        }),
      );
      expect(isSalonLensError(error, 'ABORTED')).toBe(true);
      // Stopped within the phase that saw the abort: the tree or the Lloyd passes.
      expect(events.at(-1)).toBe(`${at} 0/1`);
    }
  });

  it('switches exactly at linkageMaxItems; an explicit kmeans is no fallback', () => {
    const input = manySalons(15, 10); // 600 items
    const linkage = clusterThemes(input, { k: 4 }).result;
    expect(linkage.method).toBe('ward');
    expect(linkage.fallback).toBeUndefined();
    expect(linkage.kSelection.sampleSize).toBeUndefined();
    expect(clusterThemes(input, { k: 4, linkageMaxItems: 600 }).result.method).toBe('ward');
    const fallback = clusterThemes(input, { k: 4, linkageMaxItems: 599, sampleSize: 300 }).result;
    expect(fallback).toMatchObject({
      method: 'kmeans',
      fallback: {
        requested: 'ward',
        reason:
          '600 items > linkageMaxItems 599: ward on a 300-item sample, then k-means on all items',
      },
      kSelection: { sampleSize: 300 },
    });
    expect(themeGroups(input, fallback.themes).sort()).toEqual(['A', 'B', 'C', 'D']);
    const asked = clusterThemes(input, { k: 4, method: 'kmeans', linkageMaxItems: 599 }).result;
    expect(asked.method).toBe('kmeans');
    expect(asked.fallback).toBeUndefined();
  });
});

describe('sampling and seeding helpers', () => {
  it('sampleRows: distinct, ascending, seeded, the whole range when size >= n', () => {
    const a = sampleRows(10_000, 500, 42);
    expect(a).toHaveLength(500);
    expect(new Set(a).size).toBe(500);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(a.every((r) => r >= 0 && r < 10_000)).toBe(true);
    expect(sampleRows(10_000, 500, 42)).toEqual(a);
    expect(sampleRows(10_000, 500, 43)).not.toEqual(a);
    expect(sampleRows(5, 9, 1)).toEqual([0, 1, 2, 3, 4]);
  });

  it('spreadCandidates keeps both ends and at most max values', () => {
    expect(spreadCandidates([3, 4, 5], 6)).toEqual([3, 4, 5]);
    expect(spreadCandidates([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 3)).toEqual([10, 15, 20]);
  });

  it('seedCenters picks k distinct rows, spread out (k-means++), seeded', () => {
    const rows = [
      [1, 0],
      [0.99, 0.01],
      [0, 1],
      [0.01, 0.99],
      [-1, 0],
      [-0.99, -0.01],
    ].map((r) => Float64Array.from(r));
    const centers = seedCenters(rows, 3, 1);
    expect(centers).toHaveLength(3);
    // D² sampling (this seed) takes one row of each tight pair, not two of one pair.
    const side = (c: number[]) =>
      (c[0] as number) > 0.5 ? 'x' : (c[1] as number) > 0.5 ? 'y' : '-x';
    expect(new Set(centers.map(side)).size).toBe(3);
    expect(seedCenters(rows, 3, 1)).toEqual(centers);
    // Duplicates only: still k centres, no endless loop.
    const same = rows[0] as Float64Array;
    expect(seedCenters([same, same, same], 2, 1)).toHaveLength(2);
  });
});
