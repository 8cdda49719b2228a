/**
 * Recurring questions and related insights on the labelled corpus, per scoring, from
 * the corpus vectors and the same storage-independent modules the lens and the
 * cluster stage use (neighbourhood table, complete-linkage groups, mutual k-NN
 * related insights). Used by bench/quality.ts and the corpus tests.
 *
 *   const rows = await scoringRows(corpus);
 */
import { relatedInsightsOf } from '../../src/cluster/related-insights.js';
import { USE_LITE_THRESHOLDS } from '../../src/embed/use-lite.js';
import {
  type Neighbour,
  NeighbourhoodTable,
  updateNeighbourhoods,
} from '../../src/index/csls/hubness.js';
import { DEFAULT_GROUP_SIZE, scoringThreshold } from '../../src/index/options.js';
import { groupPairs } from '../../src/index/recurring/group-pairs.js';
import { recurringGroups } from '../../src/index/recurring/recurring-questions.js';
import type { Item } from '../../src/parse/schema.js';
import { csls, type Scoring } from '../../src/util/csls.js';
import type { LabelledCorpus } from './quality-corpus.js';

export interface ScoringRow {
  /** 'cosine' or 'csls'; 'before' is cosine with the old rules (average linkage, top-3 related). */
  scoring: Scoring | 'before';
  /** Cross-salon paraphrase search over other salons' questions (both directions). */
  recall1: number;
  recall5: number;
  mrr: number;
  queries: number;
  threshold: number;
  groups: number;
  pairsGrouped: number;
  negativesGrouped: number;
  meanGroupSize: number;
  largestGroup: number;
  /** Pairs in the first five groups scored below their group's threshold (0 by construction). */
  weakInFirstFive: number;
  /** Max questions one insight is related to, and how many questions have any. */
  largestHub: number;
  questionsWithInsights: number;
  questions: number;
}

type Pair = { a: number; b: number };

/** Brute-force neighbourhood table over all corpus vectors (labels = item indices). */
export function corpusNeighbourhoods(items: readonly Item[], vectors: readonly Float32Array[]) {
  const cos = (a: number, b: number): number => {
    const x = vectors[a] as Float32Array;
    const y = vectors[b] as Float32Array;
    let s = 0;
    for (let d = 0; d < x.length; d++) s += (x[d] as number) * (y[d] as number);
    return s;
  };
  const table = new NeighbourhoodTable();
  const nearest = (label: number, k: number): Neighbour[] => {
    const salon = (items[label] as Item).salonId;
    const out: Neighbour[] = [];
    items.forEach((item, i) => {
      if (item.salonId !== salon) out.push({ label: i, score: cos(label, i) });
    });
    return out.sort((p, q) => q.score - p.score || p.label - q.label).slice(0, k);
  };
  const source = {
    nearest,
    pairScore: (a: number, b: number) =>
      items[a]?.salonId === items[b]?.salonId ? undefined : cos(a, b),
    labels: () => items.keys(),
  };
  return { table, source, cos };
}

export async function scoringRows(corpus: LabelledCorpus): Promise<ScoringRow[]> {
  const { negatives } = corpus;
  const { items, vectors } = corpus.input;
  const { table, source, cos } = corpusNeighbourhoods(items, vectors);
  await updateNeighbourhoods(table, source, { added: items.map((_, i) => i), removed: [] });
  const questions = items.map((_, i) => i).filter((i) => items[i]?.section === 'question');
  const insights = items.map((_, i) => i).filter((i) => items[i]?.section === 'insight');
  const salonOf = (i: number): string => (items[i] as Item).salonId;

  return (['before', 'cosine', 'csls'] as const).map((scoring) => {
    const score = (x: number, y: number): number =>
      scoring === 'csls' ? csls(cos(x, y), table.radius(x), table.radius(y)) : cos(x, y);
    const before = scoring === 'before';
    const ranked = (x: number): number[] =>
      questions
        .filter((y) => salonOf(y) !== salonOf(x))
        .map((y) => ({ y, s: score(x, y) }))
        .sort((p, q) => q.s - p.s || p.y - q.y)
        .map((h) => h.y);

    let r1 = 0;
    let r5 = 0;
    let mrr = 0;
    let n = 0;
    for (const { a, b } of corpus.pairs) {
      for (const [x, partner] of [
        [a, b],
        [b, a],
      ] as const) {
        const rank = ranked(x).indexOf(partner);
        n++;
        if (rank === 0) r1++;
        if (rank >= 0 && rank < 5) r5++;
        if (rank >= 0) mrr += 1 / (rank + 1);
      }
    }

    // Groups as the lens builds them: each question's 10 best other-salon questions.
    const threshold = scoringThreshold(
      before ? 'cosine' : scoring,
      USE_LITE_THRESHOLDS.similarQuestion,
    );
    const qIndex = new Map(questions.map((q, i) => [q, i]));
    const pairs = questions.flatMap((x, i) =>
      ranked(x)
        .slice(0, 10)
        .map((y) => ({ a: i, b: qIndex.get(y) as number, score: score(x, y) })),
    );
    const scoreOf = (i: number, j: number) => score(questions[i] as number, questions[j] as number);
    const keyOf = (i: number) => salonOf(questions[i] as number);
    // (The lens also caps r at the near-duplicate level, 0.8 for USE-lite; no corpus
    // question's r reaches it, so the groups are the same.)
    const groups = before
      ? groupPairs(
          questions.length,
          pairs.filter((p) => p.score >= threshold),
          { threshold, vectorOf: (i) => vectors[questions[i] as number] as Float32Array, keyOf },
        ).map((members) => {
          const links = members.flatMap((a, x) =>
            members
              .slice(x + 1)
              .map((b) => ({ a, b, score: scoreOf(a, b), cosine: scoreOf(a, b) })),
          );
          return { members, links, weakestLink: Math.min(...links.map((l) => l.score)) };
        })
      : recurringGroups(questions.length, pairs, {
          threshold,
          maxSize: DEFAULT_GROUP_SIZE,
          scoreOf,
          cosineOf: (i, j) => cos(questions[i] as number, questions[j] as number),
          keyOf,
        });
    if (before) groups.sort((g, h) => h.members.length - g.members.length);
    const groupOf = new Map<number, number>();
    groups.forEach((g, gi) => {
      for (const m of g.members) groupOf.set(questions[m] as number, gi);
    });
    const together = (list: Pair[]): number =>
      list.filter((p) => groupOf.has(p.a) && groupOf.get(p.a) === groupOf.get(p.b)).length;
    const weakInFirstFive = groups
      .slice(0, 5)
      .reduce((s, g) => s + g.links.filter((l) => l.score < threshold).length, 0);

    const related = before
      ? plainTopRelated(questions, insights, items, cos, corpus.input.thresholds.relatedInsight)
      : relatedInsightsOf(questions, () => insights, items, vectors, {
          threshold: corpus.input.thresholds.relatedInsight,
          limit: 3,
          scoring,
          k: 5,
          maxShare: 0.05,
        });
    const uses = new Map<number, number>();
    for (const list of related.values())
      for (const r of list) uses.set(r.row, (uses.get(r.row) ?? 0) + 1);

    return {
      scoring,
      recall1: r1 / n,
      recall5: r5 / n,
      mrr: mrr / n,
      queries: n,
      threshold,
      groups: groups.length,
      pairsGrouped: together(corpus.pairs),
      negativesGrouped: together(negatives),
      meanGroupSize: groups.reduce((s, g) => s + g.members.length, 0) / Math.max(1, groups.length),
      largestGroup: Math.max(0, ...groups.map((g) => g.members.length)),
      weakInFirstFive,
      largestHub: Math.max(0, ...uses.values()),
      questionsWithInsights: [...related.values()].filter((l) => l.length > 0).length,
      questions: questions.length,
    };
  });
}

/** The old related-insights rule: each question's 3 best other-salon insights at or above the cosine threshold. */
function plainTopRelated(
  questions: number[],
  insights: number[],
  items: readonly Item[],
  cos: (a: number, b: number) => number,
  threshold: number,
): Map<number, Array<{ row: number }>> {
  return new Map(
    questions.map((q) => [
      q,
      insights
        .filter((i) => items[i]?.salonId !== items[q]?.salonId && cos(q, i) >= threshold)
        .sort((a, b) => cos(q, b) - cos(q, a) || a - b)
        .slice(0, 3)
        .map((row) => ({ row })),
    ]),
  );
}
