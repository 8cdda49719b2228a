/**
 * The hubness modules on their own (no store): the neighbourhood table and its
 * incremental updates against a from-scratch build, complete-linkage groups,
 * and related insights with the hub rules. Corpus cases skip when ../shared is absent.
 */

import { describe, expect, it } from 'vitest';
import { scoringRows } from '../bench/lib/hubness-quality.js';
import { loadLabelledCorpus } from '../bench/lib/quality-corpus.js';
import { relatedInsightsOf } from '../src/cluster/related-insights.js';
import {
  type Neighbour,
  NeighbourhoodTable,
  queryRadius,
  updateNeighbourhoods,
} from '../src/index/csls/hubness.js';
import { groupComplete } from '../src/index/recurring/group-pairs.js';
import { recurringGroups } from '../src/index/recurring/recurring-questions.js';
import type { Item, Section } from '../src/parse/schema.js';
import { SECTIONS } from '../src/parse/schema.js';
import { seededRandom } from '../src/util/random.js';
import { sharedPath } from './helpers/shared-data.js';

interface Point {
  salon: string;
  section: Section;
  vector: Float32Array;
}

function randomPoints(salons: number, perSalon: number, dim: number, seed: number): Point[] {
  const random = seededRandom(seed);
  const out: Point[] = [];
  for (let s = 0; s < salons; s++) {
    for (let i = 0; i < perSalon; i++) {
      const v = Float32Array.from({ length: dim }, () => random() - 0.5);
      const norm = Math.hypot(...v);
      out.push({
        salon: `s${s}`,
        section: SECTIONS[i % SECTIONS.length] as Section,
        vector: v.map((x) => x / norm),
      });
    }
  }
  return out;
}

/** Exact k-NN over the live points: the store's ANN stands in for this. */
function bruteSource(points: readonly Point[], live: ReadonlySet<number>) {
  const cos = (a: number, b: number): number => {
    let s = 0;
    const x = (points[a] as Point).vector;
    const y = (points[b] as Point).vector;
    for (let d = 0; d < x.length; d++) s += (x[d] as number) * (y[d] as number);
    return s;
  };
  return {
    nearest(label: number, k: number): Neighbour[] {
      const out: Neighbour[] = [];
      for (const other of live) {
        const p = points[other] as Point;
        if (p.salon === (points[label] as Point).salon) continue;
        out.push({ label: other, score: cos(label, other) });
      }
      return out.sort((a, b) => b.score - a.score || a.label - b.label).slice(0, k);
    },
    pairScore: (a: number, b: number) =>
      (points[a] as Point).salon === (points[b] as Point).salon ? undefined : cos(a, b),
    labels: () => live,
  };
}

function snapshot(table: NeighbourhoodTable, labels: Iterable<number>) {
  const out: Record<number, string> = {};
  for (const l of labels) {
    out[l] = `${JSON.stringify(table.list(l).map((h) => h.label))} r=${table.radius(l).toFixed(6)}`;
  }
  return out;
}

async function fromScratch(points: readonly Point[], live: ReadonlySet<number>) {
  const table = new NeighbourhoodTable();
  await updateNeighbourhoods(table, bruteSource(points, live), { added: [...live], removed: [] });
  return table;
}

describe('NeighbourhoodTable', () => {
  it('keeps the k best, sorted, without duplicates', () => {
    const table = new NeighbourhoodTable(3, 4);
    for (const [other, score] of [
      [1, 0.2],
      [2, 0.9],
      [3, 0.5],
      [2, 0.9],
      [0, 0.1],
    ] as const)
      table.offer(0, other, score);
    expect(table.list(0)).toEqual([
      { label: 2, score: expect.closeTo(0.9, 6) },
      { label: 3, score: expect.closeTo(0.5, 6) },
      { label: 1, score: expect.closeTo(0.2, 6) },
    ]);
    expect(table.radius(0)).toBeCloseTo((0.9 + 0.5 + 0.2) / 3, 6);
    expect(table.radius(1)).toBe(0);
    table.setList(1, [{ label: 3, score: 0.95 }]);
    expect(table.radius(1)).toBeCloseTo(0.95, 6);
    expect(table.referencing(new Set([3]))).toEqual([0, 1]);
    const { labels, scores } = table.buffers();
    const copy = NeighbourhoodTable.fromBuffers(3, labels, scores);
    expect(snapshot(copy, [0, 1])).toEqual(snapshot(table, [0, 1]));
  });

  it('takes an add of 300,000 items at once (the label list is not spread into a call), reporting progress', async () => {
    const n = 300_000;
    const labels = Array.from({ length: n }, (_, i) => i);
    // Items in salons of one: none has a neighbour, which keeps this about the sizes.
    const none = {
      nearest: () => [],
      pairScore: () => undefined,
      labels: () => labels,
    };
    const table = new NeighbourhoodTable(5);
    const progress: Array<[number, number]> = [];
    const { recomputed } = await updateNeighbourhoods(
      table,
      none,
      { added: labels, removed: [] },
      { onProgress: (done, total) => progress.push([done, total]) },
    );
    expect(recomputed).toBe(n);
    expect(table.labelCount).toBeGreaterThanOrEqual(n);
    // One report per 1,024 searches, then the last: a long build is never silent.
    expect(progress).toHaveLength(Math.ceil(n / 1024));
    expect(
      progress.every(([done, total], i) => total === n && done === Math.min(n, (i + 1) * 1024)),
    ).toBe(true);
  });

  it('a query ignores its own stored copy when measuring its neighbourhood', () => {
    expect(queryRadius([1, 0.8, 0.6, 0.4], 2)).toBeCloseTo(0.7, 12);
    expect(queryRadius([], 5)).toBe(0);
  });

  it('salon-by-salon adds and a removal give exactly the from-scratch table', async () => {
    const points = randomPoints(6, 40, 24, 7);
    const live = new Set<number>();
    const table = new NeighbourhoodTable();
    for (let s = 0; s < 6; s++) {
      const added = points.flatMap((p, i) => (p.salon === `s${s}` ? [i] : []));
      for (const i of added) live.add(i);
      await updateNeighbourhoods(table, bruteSource(points, live), { added, removed: [] });
      expect(snapshot(table, live)).toEqual(snapshot(await fromScratch(points, live), live));
    }
    const removed = points.flatMap((p, i) => (p.salon === 's2' ? [i] : []));
    for (const i of removed) live.delete(i);
    const { recomputed } = await updateNeighbourhoods(table, bruteSource(points, live), {
      added: [],
      removed,
    });
    expect(snapshot(table, live)).toEqual(snapshot(await fromScratch(points, live), live));
    // Only items that had a removed neighbour were recomputed.
    expect(recomputed).toBeGreaterThan(0);
    expect(recomputed).toBeLessThan(live.size);
  });
});

describe('the reverse-check budget', () => {
  it('past it, a write offers added items to their 32 nearest only: lists never better than exact, added lists exact', async () => {
    // The added salons are one tight cluster: each added item's 32 nearest are added
    // items, so every existing list it could enter lies further down (one-by-one checks).
    const random = seededRandom(5);
    const centre = Array.from({ length: 24 }, () => random() - 0.5);
    const points = randomPoints(8, 40, 24, 11).map((p) => {
      if (p.salon < 's6') return p;
      const v = Float32Array.from(centre, (c) => c + 0.2 * (random() - 0.5));
      const norm = Math.hypot(...v);
      return { ...p, vector: v.map((x) => x / norm) };
    });
    const live = new Set<number>();
    const first = points.flatMap((p, i) => (p.salon < 's6' ? [i] : []));
    for (const i of first) live.add(i);
    const before = await fromScratch(points, live);
    const added = points.flatMap((p, i) => (p.salon >= 's6' ? [i] : []));
    for (const i of added) live.add(i);
    const copy = () => {
      const { labels, scores } = before.buffers();
      return NeighbourhoodTable.fromBuffers(before.k, labels.slice(), scores.slice());
    };
    const exact = copy();
    const budgeted = copy();
    const change = { added, removed: [] };
    expect((await updateNeighbourhoods(exact, bruteSource(points, live), change)).exact).toBe(true);
    expect(
      (await updateNeighbourhoods(budgeted, bruteSource(points, live), change, { checkBudget: 0 }))
        .exact,
    ).toBe(false);
    expect(snapshot(exact, live)).toEqual(snapshot(await fromScratch(points, live), live));
    // The checks mattered here: some existing list differs without them.
    expect(snapshot(budgeted, live)).not.toEqual(snapshot(exact, live));
    for (const label of live) {
      if (added.includes(label)) expect(budgeted.list(label)).toEqual(exact.list(label));
      // A missed offer can only leave a weaker neighbour in place.
      else expect(budgeted.radius(label)).toBeLessThanOrEqual(exact.radius(label) + 1e-12);
    }
  });
});

describe('complete-linkage groups', () => {
  // 0–1 strong, 1–2 strong, 0–2 weak: a chain that must not become one group.
  const scores: Record<string, number> = { '0,1': 0.5, '1,2': 0.4, '0,2': -0.3, '2,3': 0.2 };
  const scoreOf = (i: number, j: number) => scores[`${Math.min(i, j)},${Math.max(i, j)}`] ?? -1;
  const pairs = Object.entries(scores).map(([k, score]) => {
    const [a, b] = k.split(',').map(Number) as [number, number];
    return { a, b, score };
  });

  it('never joins two members whose own score is below the threshold', () => {
    const groups = groupComplete(4, pairs, { threshold: 0, scoreOf, maxSize: 5 });
    expect(groups).toEqual([
      [0, 1],
      [2, 3],
    ]);
    for (const g of groups)
      for (const a of g)
        for (const b of g) if (a < b) expect(scoreOf(a, b)).toBeGreaterThanOrEqual(0);
  });

  it('caps the size and honours keys', () => {
    const all = (i: number, j: number) => (i === j ? 1 : 0.5);
    const many = [0, 1, 2, 3, 4, 5].flatMap((a) =>
      [0, 1, 2, 3, 4, 5].filter((b) => b > a).map((b) => ({ a, b, score: 0.5 })),
    );
    expect(groupComplete(6, many, { threshold: 0, scoreOf: all, maxSize: 4 })[0]).toHaveLength(4);
    const keyed = groupComplete(6, many, {
      threshold: 0,
      scoreOf: all,
      maxSize: 6,
      keyOf: (i) => String(i % 2),
    });
    expect(
      keyed.every((g) => g.length === 2 && (g[0] as number) % 2 !== (g[1] as number) % 2),
    ).toBe(true);
  });

  it('ranks groups by their weakest link and shows every link', () => {
    const groups = recurringGroups(4, pairs, {
      threshold: 0,
      maxSize: 5,
      scoreOf,
      cosineOf: (i, j) => 0.5 + scoreOf(i, j) / 2,
    });
    expect(groups.map((g) => g.weakestLink)).toEqual([0.5, 0.2]);
    expect(groups[0]?.links).toEqual([{ a: 0, b: 1, score: 0.5, cosine: 0.75 }]);
  });
});

describe('related insights', () => {
  // One "hub" insight close to every question, and one specific insight per question.
  const dim = 8;
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / n);
  };
  const questions = 40;
  const items: Item[] = [];
  const vectors: Float32Array[] = [];
  const add = (salonId: string, section: Section, v: number[]) => {
    items.push({
      id: `${salonId}#${section}-${items.length + 1}`,
      salonId,
      section,
      text: 't',
      ordinal: 1,
      line: 1,
    });
    vectors.push(unit(v));
  };
  for (let q = 0; q < questions; q++) {
    const v: number[] = Array.from({ length: dim }, (_, d) => (d === q % (dim - 1) ? 1 : 0.05));
    v[dim - 1] = 0.9; // the shared direction the hub sits on
    add(`a${q}`, 'question', v);
    add(
      `b${q}`,
      'insight',
      v.map((x, d) => (d === dim - 1 ? 0.3 : x)),
    );
  }
  add(
    'hub',
    'insight',
    Array.from({ length: dim }, (_, d) => (d === dim - 1 ? 1 : 0.4)),
  );
  const qRows = items.flatMap((it, r) => (it.section === 'question' ? [r] : []));
  const iRows = items.flatMap((it, r) => (it.section === 'insight' ? [r] : []));
  const uses = (scoring: 'cosine' | 'csls', maxShare: number) => {
    const related = relatedInsightsOf(qRows, () => iRows, items, vectors, {
      threshold: 0,
      limit: 3,
      scoring,
      k: 5,
      maxShare,
    });
    const count = new Map<number, number>();
    for (const list of related.values())
      for (const r of list) count.set(r.row, (count.get(r.row) ?? 0) + 1);
    return Math.max(...count.values());
  };

  it('no insight is related to more than the allowed share of questions', () => {
    for (const scoring of ['cosine', 'csls'] as const) {
      expect(uses(scoring, 0.05)).toBeLessThanOrEqual(Math.floor(0.05 * questions));
      expect(uses(scoring, 0.1)).toBeLessThanOrEqual(Math.floor(0.1 * questions));
    }
  });
});

const corpusDir = sharedPath('corpus');

describe.skipIf(!corpusDir)('hubness on the shared corpus (bundled USE-lite vectors)', () => {
  it('CSLS beats cosine and meets the floors; cosine stays available', async () => {
    const corpus = await loadLabelledCorpus(corpusDir as string);
    if (!corpus) throw new Error('corpus vanished');
    const rows = await scoringRows(corpus);
    const [before, cosine, cslsRow] = rows;
    process.stderr.write(`[hubness] ${JSON.stringify(rows)}\n`);
    expect(before?.scoring).toBe('before');
    expect(cosine?.scoring).toBe('cosine');
    expect(cslsRow?.scoring).toBe('csls');
    // The old rules, for contrast (issue #13: one insight on 30 questions, 9/40 pairs).
    expect(before?.largestHub).toBeGreaterThan(0.05 * (before?.questions as number));
    expect(before?.weakInFirstFive).toBeGreaterThan(0);
    // Measured: cosine recall@5 0.650, CSLS 0.750.
    expect(cslsRow?.recall5).toBeGreaterThanOrEqual(0.72);
    expect(cslsRow?.recall5).toBeGreaterThan(cosine?.recall5 as number);
    expect(cslsRow?.mrr).toBeGreaterThan(cosine?.mrr as number);
    // Groups: complete linkage, so no link in the first five is below the threshold.
    expect(cslsRow?.weakInFirstFive).toBe(0);
    // Measured 13/40 (the goal of 20 is not met with this model; see the note).
    expect(cslsRow?.pairsGrouped).toBeGreaterThanOrEqual(12);
    for (const row of [cosine, cslsRow])
      expect(row?.largestHub).toBeLessThanOrEqual(0.05 * (row?.questions as number));
    expect(cslsRow?.pairsGrouped).toBeGreaterThan(before?.pairsGrouped as number);
  });

  it('adding the corpus salon by salon reproduces the from-scratch neighbourhood table', async () => {
    const corpus = await loadLabelledCorpus(corpusDir as string);
    if (!corpus) throw new Error('corpus vanished');
    const points: Point[] = corpus.input.items.map((item, i) => ({
      salon: item.salonId,
      section: item.section,
      vector: corpus.input.vectors[i] as Float32Array,
    }));
    const live = new Set<number>();
    const table = new NeighbourhoodTable();
    for (const salon of corpus.input.salons) {
      const added = points.flatMap((p, i) => (p.salon === salon.id ? [i] : []));
      for (const i of added) live.add(i);
      await updateNeighbourhoods(table, bruteSource(points, live), { added, removed: [] });
    }
    expect(snapshot(table, live)).toEqual(snapshot(await fromScratch(points, live), live));
  });
});
