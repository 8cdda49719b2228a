/**
 * Recurring questions over any storage: each question's nearest questions become
 * candidate pairs scored by the caller's scoring (cosine, CSLS, or CSLS with the
 * contrastive view), then grouped.
 * Default complete linkage (recurring-questions.ts): every pair in a group reaches
 * the threshold, groups are capped and come strongest (weakest link) first.
 *
 *   const groups = findSimilarQuestions(storage, plan, 0, (a, b, cos) => cos);
 */
import { compareSalons, type Item } from '../parse/index.js';
import type { QuestionScoring } from '../util/csls.js';
import { contrastiveScores } from './contrastive.js';
import { groupPairs, type ScoredPair } from './group-pairs.js';
import type { StoredSalon } from './manifest.js';
import type { ItemFilter } from './options.js';
import { recurringGroups } from './recurring-questions.js';
import type { SalonRef, SimilarQuestionGroup } from './schema.js';
import { dot, type LensStorage, type StoredRow } from './storage.js';

export interface SimilarQuestionsPlan {
  k: number;
  crossSalonOnly: boolean;
  linkage: 'complete' | 'average' | 'single';
  maxSize: number;
  scoring: QuestionScoring;
  salon?: ItemFilter['salon'];
  dateFrom?: string;
  dateTo?: string;
}

/** Score of two stored questions (by id) from their cosine. */
export type PairScorer = (a: string, b: string, cosine: number) => number;

/** The contrastive view (contrastive.ts): the store's embedder and the radius cap. */
export interface ContrastPlan {
  embed: (texts: string[]) => Promise<Float32Array[]>;
  radiusCap: number;
  /** Above this many questions the extra embeddings take minutes: score with CSLS alone. */
  maxQuestions: number;
}

export async function findSimilarQuestions(
  storage: LensStorage,
  o: SimilarQuestionsPlan,
  threshold: number,
  scorer: PairScorer,
  contrast?: ContrastPlan,
): Promise<SimilarQuestionGroup[]> {
  const scope: ItemFilter = {
    section: 'question',
    ...(o.salon !== undefined ? { salon: o.salon } : {}),
    ...(o.dateFrom !== undefined ? { dateFrom: o.dateFrom } : {}),
    ...(o.dateTo !== undefined ? { dateTo: o.dateTo } : {}),
  };
  const questions = await storage.rows(scope);
  const indexOf = new Map(questions.map((q, i) => [q.item.id, i]));
  const row = (i: number): StoredRow => questions[i] as StoredRow;
  const cosineOf = (i: number, j: number): number => dot(row(i).vector, row(j).vector);
  const fullScore = (i: number, j: number, cosine = cosineOf(i, j)): number =>
    scorer(row(i).item.id, row(j).item.id, cosine);

  // Each question's nearest questions, fetched by cosine; with CSLS or the contrastive
  // view a less hubby neighbour can overtake, so fetch deeper and re-rank.
  const candidates: { index: number; cosine: number }[][] = [];
  for (const question of questions) {
    const fetched = await storage.nearest({
      vector: question.vector,
      k: o.scoring === 'cosine' ? o.k : 2 * o.k,
      filter: {
        ...scope,
        excludeItems: [question.item.id],
        ...(o.crossSalonOnly ? { excludeSalon: question.item.salonId } : {}),
      },
    });
    candidates.push(
      fetched.map((hit) => ({ index: indexOf.get(hit.item.id) as number, cosine: hit.score })),
    );
  }
  const contrastive =
    contrast && questions.length <= contrast.maxQuestions
      ? await contrastiveScores({
          texts: questions.map((q) => q.item.text),
          candidates,
          fullScore,
          radiusCap: contrast.radiusCap,
          embed: contrast.embed,
        })
      : undefined;
  // What actually scored the pairs, as the groups report it.
  const scoring = contrastive ? 'contrastive' : o.scoring === 'contrastive' ? 'csls' : o.scoring;
  // Contrastive scores exist for candidate pairs only: others never share a group.
  const scoreOf = contrastive
    ? (i: number, j: number): number => contrastive.score(i, j) ?? Number.NEGATIVE_INFINITY
    : (i: number, j: number): number => fullScore(i, j);

  const pairs: ScoredPair[] = [];
  const seen = new Set<number>();
  for (const [i, list] of candidates.entries()) {
    const hits = list
      .map(({ index: j }) => ({ j, score: scoreOf(i, j) }))
      .sort((p, q) => q.score - p.score || compareIds(row(p.j).item.id, row(q.j).item.id))
      .slice(0, o.k);
    for (const { j, score } of hits) {
      if (score < threshold) break; // best first: the rest are lower
      // A pair is usually found from both ends; keep it once (a < b).
      const a = Math.min(i, j);
      const b = Math.max(i, j);
      const key = a * questions.length + b;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ a, b, score });
    }
  }
  // Cross-salon groups hold at most one question per salon: a salon does not ask
  // the same thing twice, and this stops groups growing by chaining.
  const salonKey =
    o.crossSalonOnly && o.linkage !== 'single' ? (i: number) => row(i).item.salonId : undefined;
  const shape = (members: number[]): SimilarQuestionGroup =>
    groupOf(members, questions, storage, { scoring, threshold, scoreOf, cosineOf });
  if (o.linkage === 'complete') {
    return recurringGroups(questions.length, pairs, {
      threshold,
      maxSize: o.maxSize,
      scoreOf,
      cosineOf,
      keyOf: salonKey,
    }).map((g) => shape(g.members));
  }
  const single = o.linkage === 'single';
  const groups = groupPairs(questions.length, pairs, {
    // Single linkage: any pair merges its groups (plain union-find).
    threshold: single ? Number.NEGATIVE_INFINITY : threshold,
    vectorOf: (i) => row(i).vector,
    keyOf: salonKey,
  }).map(shape);
  return groups.sort((a, b) => {
    if (b.questions.length !== a.questions.length) return b.questions.length - a.questions.length;
    const fa = a.questions[0];
    const fb = b.questions[0];
    return compareQuestion(fa?.salon, fa?.item, fb?.salon, fb?.item);
  });
}

function groupOf(
  members: number[],
  rows: readonly StoredRow[],
  storage: LensStorage,
  scored: {
    scoring: QuestionScoring;
    threshold: number;
    scoreOf: (i: number, j: number) => number;
    cosineOf: (i: number, j: number) => number;
  },
): SimilarQuestionGroup {
  const questions = members
    .map((i) => {
      const row = rows[i] as StoredRow;
      return { ...row, salon: salonRef(storage.salon(row.item.salonId) as StoredSalon) };
    })
    .sort((a, b) => compareQuestion(a.salon, a.item, b.salon, b.item));
  const links: SimilarQuestionGroup['links'] = [];
  let cosineSum = 0;
  for (let x = 0; x < members.length; x++) {
    for (let y = x + 1; y < members.length; y++) {
      const i = members[x] as number;
      const j = members[y] as number;
      const cosine = scored.cosineOf(i, j);
      cosineSum += cosine;
      const [a, b] = [(rows[i] as StoredRow).item.id, (rows[j] as StoredRow).item.id].sort();
      links.push({ a: a as string, b: b as string, score: scored.scoreOf(i, j), cosine });
    }
  }
  links.sort((p, q) => q.score - p.score || (p.a < q.a ? -1 : p.a > q.a ? 1 : 0));
  const salons = new Map<string, SalonRef>();
  for (const q of questions) salons.set(q.salon.id, q.salon);
  return {
    questions: questions.map((q) => ({ item: { ...q.item }, salon: q.salon })),
    salons: [...salons.values()].sort(compareSalons),
    cohesion: links.length === 0 ? 1 : cosineSum / links.length,
    scoring: scored.scoring,
    threshold: scored.threshold,
    weakestLink: links.at(-1)?.score ?? 1,
    links,
  };
}

export function salonRef(s: Pick<StoredSalon, 'id' | 'title' | 'date'>): SalonRef {
  return { id: s.id, title: s.title, ...(s.date ? { date: s.date } : {}) };
}

function compareQuestion(sa?: SalonRef, ia?: Item, sb?: SalonRef, ib?: Item): number {
  const bySalon = compareSalons(sa ?? { id: '' }, sb ?? { id: '' });
  if (bySalon !== 0) return bySalon;
  const a = ia?.id ?? '';
  const b = ib?.id ?? '';
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
