import { eng } from 'stopword';
import { describe, expect, it } from 'vitest';
import { type ClusterProgress, clusterThemes, ThemesResultSchema } from '../src/cluster/index.js';
import { STOPWORDS } from '../src/cluster/keywords.js';
import { isSalonLensError } from '../src/errors.js';
import { errorOf, groupOf, syntheticInput } from './helpers/cluster-fixtures.js';

const twoSalons = () =>
  syntheticInput([
    { salon: 's1', date: '2024-01-01', groups: { A: 6, B: 6, C: 6 } },
    { salon: 's2', date: '2024-02-01', groups: { A: 6, B: 6, C: 6 } },
  ]);

/** Each theme's items should all come from one generated group, and every group be found. */
function groupsOfThemes(
  input: ReturnType<typeof syntheticInput>,
  result: { themes: { id: string; itemIds: string[] }[] },
) {
  const group = groupOf(input);
  return new Map(
    result.themes.map((t) => [
      t.id,
      [...new Set(t.itemIds.map((id) => group.get(id)))].sort().join(''),
    ]),
  );
}

describe('#clusterThemes on hand-made input', () => {
  it('recovers the generated groups with fixed k', () => {
    const input = twoSalons();
    const { result } = clusterThemes(input, { k: 3 });
    expect(ThemesResultSchema.parse(result)).toEqual(result);
    expect(result.themes).toHaveLength(3);
    expect([...groupsOfThemes(input, result).values()].sort()).toEqual(['A', 'B', 'C']);
    expect(result.unassigned).toEqual([]);
    expect(Object.keys(result.assignments)).toHaveLength(36);
  });

  it('recovers them with k-means too', () => {
    const input = twoSalons();
    const { result } = clusterThemes(input, { k: 3, method: 'kmeans', restarts: 3 });
    expect(result.method).toBe('kmeans');
    expect([...groupsOfThemes(input, result).values()].sort()).toEqual(['A', 'B', 'C']);
  });

  it("k:'auto' finds the number of groups and reports the curve", () => {
    const input = syntheticInput([
      { salon: 's1', groups: { A: 8, B: 8, C: 8, D: 8 } },
      { salon: 's2', groups: { A: 8, B: 8, C: 8, D: 8 } },
    ]);
    const { result } = clusterThemes(input, { k: 'auto', kRange: [2, 8] });
    expect(result.kSelection.mode).toBe('auto');
    expect(result.kSelection.curve.map((p) => p.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(result.k).toBe(4);
    const best = Math.max(...result.kSelection.curve.map((p) => p.score));
    expect(result.kSelection.curve.find((p) => p.k === 4)?.score).toBe(best);
  });

  it('is deterministic and independent of input order', () => {
    const input = twoSalons();
    const a = clusterThemes(input, { k: 3, method: 'kmeans', seed: 5, restarts: 2 });
    const b = clusterThemes(input, { k: 3, method: 'kmeans', seed: 5, restarts: 2 });
    expect(b).toEqual(a);
    const order = input.items.map((_, i) => i).reverse();
    const reversed = {
      ...input,
      items: order.map((i) => input.items[i]!),
      vectors: order.map((i) => input.vectors[i]!),
    };
    expect(clusterThemes(reversed, { k: 3 })).toEqual(clusterThemes(input, { k: 3 }));
  });

  it('computes contested share, disagreements, salons and dates exactly', () => {
    // Group A: 4 insights + 2 disagreements in s1, 3 insights in s2 -> contested 2/9.
    const input = syntheticInput([
      {
        salon: 's1',
        date: '2024-03-01',
        groups: { A: 4, B: 5 },
        sectionOf: { A: 'insight', B: 'question' },
      },
      { salon: 's1b', date: '2024-01-15', groups: { A: 2 }, sectionOf: { A: 'disagreement' } },
      {
        salon: 's2',
        date: '2024-05-01',
        groups: { A: 3, B: 4 },
        sectionOf: { A: 'insight', B: 'insight' },
      },
    ]);
    const { result } = clusterThemes(input, { k: 2, centerSections: false });
    const group = groupOf(input);
    const themeA = result.themes.find((t) => group.get(t.itemIds[0]!) === 'A')!;
    expect(themeA.size).toBe(9);
    expect(themeA.contested).toBeCloseTo(2 / 9, 12);
    expect(themeA.disagreements.map((d) => d.itemId).sort()).toEqual([
      's1b#disagreement-1',
      's1b#disagreement-2',
    ]);
    expect(themeA.salons).toEqual([
      { salonId: 's1b', date: '2024-01-15', count: 2 },
      { salonId: 's1', date: '2024-03-01', count: 4 },
      { salonId: 's2', date: '2024-05-01', count: 3 },
    ]);
    expect(themeA.firstDate).toBe('2024-01-15');
    expect(themeA.lastDate).toBe('2024-05-01');
    expect(themeA.share).toBeCloseTo(9 / 18, 12);
    // Representatives: the first three come from three different salons.
    expect(new Set(themeA.representatives.map((r) => r.salonId)).size).toBe(3);
  });

  it('links questions to insights of other salons only, above the threshold', () => {
    const input = syntheticInput([
      { salon: 's1', groups: { B: 4, A: 3 }, sectionOf: { B: 'question', A: 'insight' } },
      { salon: 's2', groups: { B: 3, A: 3 }, sectionOf: { B: 'insight', A: 'insight' } },
    ]);
    // Share 1: every insight may serve every question (the hub cap is tested below).
    const { result } = clusterThemes(input, {
      k: 2,
      centerSections: false,
      relatedInsights: 2,
      relatedInsightMaxShare: 1,
    });
    const group = groupOf(input);
    const questions = result.themes.flatMap((t) => t.questions);
    expect(questions).toHaveLength(4);
    for (const q of questions) {
      expect(q.relatedInsights).toHaveLength(2);
      for (const r of q.relatedInsights) {
        expect(r.salonId).toBe('s2');
        expect(r.section).toBe('insight');
        expect(group.get(r.itemId)).toBe('B');
        expect(r.scoring).toBe('csls');
        expect(r.cosine).toBeGreaterThanOrEqual(0.5);
      }
    }
    // The default share (5%) lets an insight serve at most max(1, ⌊0.05 · 4⌋) = 1 question.
    const capped = clusterThemes(input, { k: 2, centerSections: false, relatedInsights: 2 });
    const uses = new Map<string, number>();
    for (const q of capped.result.themes.flatMap((t) => t.questions))
      for (const r of q.relatedInsights) uses.set(r.itemId, (uses.get(r.itemId) ?? 0) + 1);
    expect(uses.size).toBeGreaterThan(0);
    expect(Math.max(...uses.values())).toBe(1);
    // Plain cosine stays available and reports itself.
    const plain = clusterThemes(input, {
      k: 2,
      centerSections: false,
      scoring: 'cosine',
      relatedInsightMaxShare: 1,
    });
    for (const q of plain.result.themes.flatMap((t) => t.questions))
      for (const r of q.relatedInsights) {
        expect(r.scoring).toBe('cosine');
        expect(r.score).toBe(r.cosine);
      }
    const none = clusterThemes({ ...input, thresholds: { relatedInsight: 0.999 } }, { k: 2 });
    expect(
      none.result.themes.flatMap((t) => t.questions).every((q) => q.relatedInsights.length === 0),
    ).toBe(true);
  });

  it('labels themes with stopword-free key phrases and a 2–4 word title made of them', () => {
    const input = twoSalons();
    const { result } = clusterThemes(input, { k: 3 });
    const group = groupOf(input);
    const expected: Record<string, string> = { A: 'copyright', B: 'privacy', C: 'automation' };
    for (const theme of result.themes) {
      expect(theme.keywords.length).toBeGreaterThan(0);
      expect(theme.kind).toBe('discovered');
      expect(theme.label).toBe(theme.title);
      // The title is a key phrase, or two joined by "and"; every word of it is a keyword's.
      const keywordWords = theme.keywords.flatMap((k) => k.toLowerCase().split(' '));
      const titleWords = (theme.title ?? '').toLowerCase().split(' ');
      for (const word of titleWords.filter((w) => w !== 'and'))
        expect(keywordWords).toContain(word);
      expect(titleWords.length).toBeGreaterThanOrEqual(2);
      expect(titleWords.length).toBeLessThanOrEqual(4);
      for (const word of theme.keywords.flatMap((k) => k.split(' '))) {
        expect(eng).not.toContain(word);
        expect(STOPWORDS.has(word)).toBe(false);
      }
      const g = group.get(theme.itemIds[0]!) as string;
      expect(theme.keywords.join(' ')).toContain(expected[g]);
    }
  });

  it('puts clusters below minSize and far items into unassigned', () => {
    const input = syntheticInput([
      { salon: 's1', groups: { A: 6, B: 6, D: 1 } },
      { salon: 's2', groups: { A: 6, B: 6, D: 1 } },
    ]);
    const { result } = clusterThemes(input, { k: 3, minSize: 3, centerSections: false });
    const group = groupOf(input);
    expect(result.themes).toHaveLength(2);
    expect(result.unassigned.map((id) => group.get(id))).toEqual(['D', 'D']);
    for (const id of result.unassigned) expect(result.assignments[id]).toBeUndefined();
    // A threshold no item reaches leaves nothing assigned; one all reach changes nothing.
    expect(clusterThemes(input, { k: 3, outlierThreshold: 1 }).result.themes).toHaveLength(0);
    expect(
      clusterThemes(input, { k: 3, minSize: 1, outlierThreshold: -1 }).result.unassigned,
    ).toEqual([]);
  });

  it('keeps ids of surviving themes when a salon is added; new themes get fresh ids', () => {
    const first = twoSalons();
    const run1 = clusterThemes(first, { k: 3 });
    const groups1 = groupsOfThemes(first, run1.result);
    expect(run1.state.nextId).toBe(4);

    const second = syntheticInput(
      [
        { salon: 's1', date: '2024-01-01', groups: { A: 6, B: 6, C: 6 } },
        { salon: 's2', date: '2024-02-01', groups: { A: 6, B: 6, C: 6 } },
        { salon: 's3', date: '2024-03-01', groups: { A: 5, C: 5, D: 8 } },
      ],
      2,
    );
    const run2 = clusterThemes(second, { k: 4 }, run1.state);
    const groups2 = groupsOfThemes(second, run2.result);
    for (const [id, g] of groups1) expect(groups2.get(id)).toBe(g);
    const fresh = run2.result.themes.find((t) => !groups1.has(t.id))!;
    expect(groups2.get(fresh.id)).toBe('D');
    expect(fresh.id).toBe('t4');
    expect(run2.state.nextId).toBe(5);

    // Without the previous state ids are assigned afresh by size: D (8 items) is not t4.
    const cold = clusterThemes(second, { k: 4 });
    expect(cold.result.themes.map((t) => t.id)).toEqual(['t1', 't2', 't3', 't4']);
    // Another embedder's state gives no ids back, but never reuses its numbers.
    const foreign = clusterThemes(second, { k: 4 }, { ...run1.state, embedderId: 'other@1' });
    expect(foreign.result.themes.map((t) => t.id).sort()).toEqual(['t4', 't5', 't6', 't7']);
  });

  it('reports monotonic progress and honours an AbortSignal', () => {
    const input = twoSalons();
    const events: ClusterProgress[] = [];
    clusterThemes(input, { kRange: [2, 5], onProgress: (p) => events.push(p) });
    const selectK = events.filter((e) => e.phase === 'select-k');
    expect(selectK.map((e) => e.done)).toEqual([0, 1, 2, 3, 4]);
    expect(selectK.at(-1)).toMatchObject({ done: 4, total: 4 });
    expect(events.at(-1)?.phase).toBe('describe');

    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const error = errorOf(() => clusterThemes(input, { signal: controller.signal }));
    expect(isSalonLensError(error, 'ABORTED')).toBe(true);
  });

  it('rejects bad options naming the option', () => {
    const input = twoSalons();
    const cases: Array<[unknown, RegExp]> = [
      [{ k: 0 }, /cluster options\.k/],
      [{ k: 'many' }, /cluster options\.k/],
      [{ kRange: [9, 3] }, /cluster options\.kRange/],
      [{ sections: ['insight', 'answers'] }, /cluster options\.sections\.1/],
      [{ method: 'dbscan' }, /cluster options\.method/],
      [{ minSize: 0 }, /cluster options\.minSize/],
      [{ seeds: 3 }, /seeds/],
      [{ onProgress: 'yes' }, /cluster options\.onProgress/],
    ];
    for (const [options, message] of cases) {
      const error = errorOf(() => clusterThemes(input, options as never));
      expect(isSalonLensError(error, 'INVALID_OPTIONS'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    const tooMany = errorOf(() => clusterThemes(input, { k: 37 }));
    expect(isSalonLensError(tooMany, 'INVALID_OPTIONS')).toBe(true);
  });

  it('rejects malformed input and state with INPUT_ERROR', () => {
    const input = twoSalons();
    const short = errorOf(() =>
      clusterThemes({ ...input, vectors: input.vectors.slice(1) }, { k: 2 }),
    );
    expect(isSalonLensError(short, 'INPUT_ERROR')).toBe(true);
    expect((short as Error).message).toMatch(/vectors.*one vector per item \(36\), received 35/);
    const empty = errorOf(() => clusterThemes({ ...input, items: [], vectors: [] }, {}));
    expect(isSalonLensError(empty, 'INPUT_ERROR')).toBe(true);
    const badState = errorOf(() => clusterThemes(input, { k: 2 }, { version: 2 } as never));
    expect(isSalonLensError(badState, 'INPUT_ERROR')).toBe(true);
  });

  it('clusters only the requested sections', () => {
    const input = twoSalons();
    const { result } = clusterThemes(input, { k: 2, sections: ['question'] });
    const all = result.themes.flatMap((t) => t.itemIds).concat(result.unassigned);
    expect(all.length).toBe(input.items.filter((i) => i.section === 'question').length);
    expect(all.every((id) => id.includes('#question-'))).toBe(true);
  });
});
