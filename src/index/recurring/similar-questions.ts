/**
 * Recurring questions over any storage: each question's nearest questions become
 * candidate pairs scored by the caller's scoring (cosine, CSLS, or CSLS with the
 * contrastive view), then grouped.
 * Default complete linkage (recurring-questions.ts): every pair in a group reaches
 * the threshold, groups are capped and come strongest (weakest link) first.
 *
 *   const groups = findSimilarQuestions(storage, plan, 0, (a, b, cos) => cos);
 */
import { compareSalons, type Item } from '../../parse/index.js';
import type { QuestionScoring } from '../../util/csls.js';
import type { ItemFilter } from '../options.js';
import type { SalonRef, SimilarQuestionGroup } from '../schema.js';
import { nearest } from '../search/planner.js';
import type { StoredSalon } from '../storage/seam.js';
import { dot, type LensStorage, type StoredRow } from '../storage/seam.js';
import { contrastiveScores } from './contrastive.js';
import { groupPairs, type ScoredPair } from './group-pairs.js';
import {
  MAX_SCANNED_QUESTIONS,
  nearestQuestions,
  type QuestionHit,
} from './question-neighbours.js';
import { questionWordings } from './question-wordings.js';
import { recurringGroups } from './recurring-questions.js';

export interface SimilarQuestionsPlan {
  k: number;
  crossSalonOnly: boolean;
  linkage: 'complete' | 'average' | 'single';
  maxSize: number;
  scoring: QuestionScoring;
  salon?: ItemFilter['salon'];
  onProgress?: (event: { stage: 'similar'; done: number; total: number }) => void;
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
  const asked = await storage.rows(scope);
  // Repeats of one wording are one question below (the search, the scores, the size
  // cap); the groups count every salon that asked it (question-wordings.ts).
  const wordings = questionWordings(asked.map((q) => q.item.text));
  const questions = wordings.members.map((m) => asked[m[0] as number] as StoredRow);
  const repeats = questions.length < asked.length;
  const indexOf = new Map(asked.map((q, i) => [q.item.id, wordings.wordingOf[i] as number]));
  const occurrences = (w: number): StoredRow[] =>
    (wordings.members[w] as number[]).map((i) => asked[i] as StoredRow);
  const row = (i: number): StoredRow => questions[i] as StoredRow;
  const cosineOf = (i: number, j: number): number => dot(row(i).vector, row(j).vector);
  const fullScore = (i: number, j: number, cosine = cosineOf(i, j)): number =>
    scorer(row(i).item.id, row(j).item.id, cosine);

  // Each question's nearest questions, fetched by cosine; with CSLS or the contrastive
  // view a less hubby neighbour can overtake, so fetch deeper and re-rank.
  // Repeats of another wording can fill a list, so fetch twice as many and keep each
  // wording once.
  const wanted = o.scoring === 'cosine' ? o.k : 2 * o.k;
  const fetchK = repeats ? 2 * wanted : wanted;
  // The questions are in memory: one exact scan of them replaces a store query per
  // wording, with the same hits (question-neighbours.ts), up to a size.
  // Progress counts wordings; the scan reports its share of the pairs in their terms.
  const total = questions.length;
  const scanned =
    asked.length <= MAX_SCANNED_QUESTIONS
      ? nearestQuestions(asked, wordings, fetchK, o.crossSalonOnly, (fraction) =>
          o.onProgress?.({ stage: 'similar', done: Math.floor(fraction * total), total }),
        )
      : undefined;
  const candidates: { index: number; cosine: number }[][] = [];
  for (const [w, question] of questions.entries()) {
    if (!scanned && w % 100 === 0) o.onProgress?.({ stage: 'similar', done: w, total });
    const fetched = scanned
      ? (scanned[w] as QuestionHit[]).map((h) => ({
          item: (asked[h.row] as StoredRow).item,
          score: h.cosine,
        }))
      : await nearest(storage, {
          vector: question.vector,
          k: fetchK,
          filter: {
            ...scope,
            excludeItems: occurrences(w).map((q) => q.item.id),
            ...(o.crossSalonOnly ? { excludeSalon: question.item.salonId } : {}),
          },
        });
    const seenWordings = new Set<number>();
    const list: { index: number; cosine: number }[] = [];
    for (const hit of fetched) {
      const index = indexOf.get(hit.item.id) as number;
      if (seenWordings.has(index)) continue;
      seenWordings.add(index);
      list.push({ index, cosine: hit.score });
    }
    candidates.push(list.slice(0, wanted));
  }
  o.onProgress?.({ stage: 'similar', done: questions.length, total: questions.length });
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
    groupOf(members, questions, occurrences, storage, { scoring, threshold, scoreOf, cosineOf });
  // A wording no other wording joined is still recurring when it was asked in two
  // salons (or twice, when same-salon pairs count).
  const withLoneRepeats = (groups: number[][]): number[][] => {
    const grouped = new Set(groups.flat());
    const lone = questions
      .map((_, w) => w)
      .filter((w) => {
        if (grouped.has(w)) return false;
        const rows = occurrences(w);
        return o.crossSalonOnly
          ? new Set(rows.map((q) => q.item.salonId)).size > 1
          : rows.length > 1;
      });
    return [...groups, ...lone.map((w) => [w])];
  };
  if (o.linkage === 'complete') {
    const salonsOf = (w: number): string[] => occurrences(w).map((q) => q.item.salonId);
    const groups = recurringGroups(questions.length, pairs, {
      threshold,
      maxSize: o.maxSize,
      scoreOf,
      cosineOf,
      keyOf: salonKey && (repeats ? salonsOf : salonKey),
    }).map((g) => g.members);
    return byReach(withLoneRepeats(groups).map(shape));
  }
  const single = o.linkage === 'single';
  const groups = groupPairs(questions.length, pairs, {
    // Single linkage: any pair merges its groups (plain union-find).
    threshold: single ? Number.NEGATIVE_INFINITY : threshold,
    vectorOf: (i) => row(i).vector,
    keyOf: salonKey,
  });
  return withLoneRepeats(groups)
    .map(shape)
    .sort((a, b) => {
      if (b.questions.length !== a.questions.length) return b.questions.length - a.questions.length;
      const fa = a.questions[0];
      const fb = b.questions[0];
      return compareQuestion(fa?.salon, fa?.item, fb?.salon, fb?.item);
    });
}

/**
 * Most widely asked first (salons), then the most cohesive (weakest link); the sort is
 * stable, so equal entries keep the strongest-first order they came in.
 */
function byReach(groups: SimilarQuestionGroup[]): SimilarQuestionGroup[] {
  return groups
    .map((g, i) => ({ g, i }))
    .sort(
      (x, y) =>
        y.g.salons.length - x.g.salons.length || y.g.weakestLink - x.g.weakestLink || x.i - y.i,
    )
    .map(({ g }) => g);
}

type QuestionRef = SimilarQuestionGroup['questions'][number];

function groupOf(
  members: number[],
  rows: readonly StoredRow[],
  occurrences: (w: number) => StoredRow[],
  storage: LensStorage,
  scored: {
    scoring: QuestionScoring;
    threshold: number;
    scoreOf: (i: number, j: number) => number;
    cosineOf: (i: number, j: number) => number;
  },
): SimilarQuestionGroup {
  const refOf = (row: StoredRow): QuestionRef => ({
    item: { ...row.item },
    salon: salonRef(storage.salon(row.item.salonId) as StoredSalon),
  });
  const byQuestion = (a: QuestionRef, b: QuestionRef) =>
    compareQuestion(a.salon, a.item, b.salon, b.item);
  const wordings = members
    .map((w) => {
      const asked = occurrences(w).map(refOf).sort(byQuestion);
      const first = asked[0] as QuestionRef;
      return {
        first,
        text: first.item.text,
        itemIds: asked.map((q) => q.item.id),
        salonCount: new Set(asked.map((q) => q.salon.id)).size,
        ...datesOf(asked.map((q) => q.salon)),
        asked,
      };
    })
    .sort((a, b) => b.salonCount - a.salonCount || byQuestion(a.first, b.first));
  const questions = wordings.flatMap((w) => w.asked).sort(byQuestion);
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
  const ordered = [...salons.values()].sort(compareSalons);
  return {
    questions,
    salons: ordered,
    cohesion: links.length === 0 ? 1 : cosineSum / links.length,
    scoring: scored.scoring,
    threshold: scored.threshold,
    weakestLink: links.at(-1)?.score ?? 1,
    links,
    wordings: wordings.map(({ asked: _a, first: _f, ...w }) => w),
    ...datesOf(ordered),
  };
}

/** First and last date among dated salons. */
function datesOf(salons: readonly SalonRef[]): { firstDate?: string; lastDate?: string } {
  const dates = salons
    .map((s) => s.date)
    .filter((d): d is string => d !== undefined)
    .sort();
  const firstDate = dates[0];
  const lastDate = dates.at(-1);
  return firstDate && lastDate ? { firstDate, lastDate } : {};
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
