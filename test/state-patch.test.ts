/**
 * The patch a write saves for the salon list and derived state (src/index/storage/file/state-patch.ts):
 * applying diff(before, after) to a copy of before gives exactly after, for random
 * edits of the neighbourhood-table shape (ids, labels, scores arrays), whole-value
 * keys, added and deleted keys and fields; and the patch holds only what changed.
 */
import { describe, expect, it } from 'vitest';
import type { StoredSalon } from '../src/index/storage/file/manifest.js';
import {
  applySalonPatch,
  applyStatePatch,
  diffSalons,
  diffState,
  stateJson,
} from '../src/index/storage/file/state-patch.js';
import { compareSalons } from '../src/parse/index.js';
import { seededRandom } from '../src/util/random.js';

function table(rows: number, random: () => number) {
  return {
    format: 1,
    k: 5,
    fingerprint: `f${Math.floor(random() * 1e9)}`,
    ids: Array.from({ length: rows }, (_, i) => `item-${i}`),
    labels: Array.from({ length: rows * 5 }, () => Math.floor(random() * rows)),
    scores: Array.from({ length: rows * 5 }, () => Math.fround(random())),
  };
}

describe('state patches', () => {
  it('diff then apply reproduces the new state exactly (random edits, 200 rounds)', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const before = { stats: table(50 + Math.floor(random() * 50), random), theme: { k: 3 } };
      const stats = structuredClone(before.stats);
      const edits = Math.floor(random() * 20);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * stats.labels.length);
        stats.labels[at] = -1;
        stats.scores[at] = Math.fround(random());
      }
      if (random() < 0.3) stats.ids.push('new', 'newer');
      if (random() < 0.3) stats.ids.length -= 3;
      if (random() < 0.3) stats.labels.length -= 5;
      if (random() < 0.5) stats.fingerprint = 'changed';
      const after: Record<string, unknown> = { stats };
      if (random() < 0.5) after.theme = { k: 4, centroids: [[1, 2]] };
      if (random() < 0.3) after.marker = 'added';

      const patch = diffState(before, after);
      const copy = structuredClone(before) as Record<string, unknown>;
      applyStatePatch(copy, JSON.parse(JSON.stringify(patch)));
      expect(copy).toEqual(after);
    }
  });

  it('a few changed rows give a patch of about their size, not the whole table', () => {
    const random = seededRandom(3);
    const before = { stats: table(20_000, random) };
    const stats = {
      ...before.stats,
      labels: [...before.stats.labels],
      scores: [...before.stats.scores],
    };
    for (const row of [17, 4_000, 19_999]) {
      for (let j = 0; j < 5; j++) stats.labels[row * 5 + j] = 1;
    }
    const patch = diffState(before, { stats });
    const bytes = JSON.stringify(patch).length;
    expect(bytes).toBeLessThan(300);
    expect(JSON.stringify(before).length).toBeGreaterThan(1_000_000);
    expect(diffState(before, before)).toEqual({});
  });

  it('typed arrays in memory: diffed element by element and written as plain JSON arrays', () => {
    const random = seededRandom(11);
    // What a reader has (plain arrays from the file) and what the writer holds next (typed).
    const plain = table(2_000, random);
    const typed = {
      ...plain,
      labels: Int32Array.from(plain.labels),
      scores: Float32Array.from(plain.scores),
    };
    const before = { stats: plain };
    // Same numbers, other array type: nothing to save.
    expect(diffState(before, { stats: typed })).toEqual({});
    typed.labels[42] = -1;
    typed.scores[7_000] = 0.25;
    const grown = { ...typed, labels: new Int32Array(typed.labels.length + 3).fill(9) };
    grown.labels.set(typed.labels);
    const patch = diffState(before, { stats: grown });
    const text = stateJson(patch);
    expect(text.length).toBeLessThan(300);
    const copy = structuredClone(before) as Record<string, unknown>;
    applyStatePatch(copy, JSON.parse(text));
    expect(copy).toEqual(JSON.parse(stateJson({ stats: grown })));
    // Written whole, typed arrays are plain arrays (never {"0": …} objects).
    expect(JSON.parse(stateJson({ a: new Float32Array([0.5, 1]) }))).toEqual({ a: [0.5, 1] });
    // Typed to typed (the writer's saved state against its next one).
    const next = { ...grown, scores: grown.scores.slice() };
    next.scores[3] = 0.75;
    expect(stateJson(diffState({ stats: grown }, { stats: next }))).toBe(
      JSON.stringify({
        stats: { fields: { scores: { length: next.scores.length, ranges: [[3, [0.75]]] } } },
      }),
    );
  });

  it('salon lists: upserts and removals applied in salon order', () => {
    const salon = (id: string, date: string, hash = 'h'): StoredSalon => ({
      id,
      title: id,
      date,
      source: `/docs/${id}.md`,
      contentHash: hash,
      itemCount: 3,
    });
    const before = [salon('a', '2024-01-01'), salon('b', '2024-02-01'), salon('c', '2024-03-01')];
    const after: StoredSalon[] = [
      before[0] as StoredSalon,
      salon('b', '2024-02-01', 'h2'),
      salon('d', '2023-12-01'),
    ].sort(compareSalons);
    const patch = diffSalons(before, after);
    expect(patch.upsert.map((s) => s.id).sort()).toEqual(['b', 'd']);
    expect(patch.remove).toEqual(['c']);
    expect(applySalonPatch(before, patch, compareSalons)).toEqual(after);
  });
});
