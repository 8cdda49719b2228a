/**
 * Groups of questions that ask the same thing, over any storage: each question's
 * nearest questions become candidate pairs, and groupPairs merges them.
 *
 *   const groups = findSimilarQuestions(storage, { k: 10, crossSalonOnly: true, linkage: 'average' }, 0.62);
 */
import { compareSalons, type Item } from '../parse/index.js';
import { groupPairs, type ScoredPair } from './group-pairs.js';
import type { StoredSalon } from './manifest.js';
import type { ItemFilter } from './options.js';
import type { SalonRef, SimilarQuestionGroup } from './schema.js';
import type { LensStorage, StoredRow } from './storage.js';

export interface SimilarQuestionsPlan {
  k: number;
  crossSalonOnly: boolean;
  linkage: 'average' | 'single';
  salon?: ItemFilter['salon'];
  dateFrom?: string;
  dateTo?: string;
}

export async function findSimilarQuestions(
  storage: LensStorage,
  o: SimilarQuestionsPlan,
  threshold: number,
): Promise<SimilarQuestionGroup[]> {
  const scope: ItemFilter = {
    section: 'question',
    ...(o.salon !== undefined ? { salon: o.salon } : {}),
    ...(o.dateFrom !== undefined ? { dateFrom: o.dateFrom } : {}),
    ...(o.dateTo !== undefined ? { dateTo: o.dateTo } : {}),
  };
  const questions = await storage.rows(scope);
  const indexOf = new Map(questions.map((q, i) => [q.item.id, i]));
  const pairs: ScoredPair[] = [];
  const seen = new Set<number>();
  for (const [i, question] of questions.entries()) {
    const hits = await storage.nearest({
      vector: question.vector,
      k: o.k,
      filter: {
        ...scope,
        excludeItems: [question.item.id],
        ...(o.crossSalonOnly ? { excludeSalon: question.item.salonId } : {}),
      },
    });
    for (const hit of hits) {
      if (hit.score < threshold) break; // best first: the rest are lower
      const j = indexOf.get(hit.item.id) as number;
      // A pair is usually found from both ends; keep it once (a < b).
      const a = Math.min(i, j);
      const b = Math.max(i, j);
      const key = a * questions.length + b;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ a, b, score: hit.score });
    }
  }
  const single = o.linkage === 'single';
  const groups = groupPairs(questions.length, pairs, {
    // Single linkage: any pair merges its groups (plain union-find).
    threshold: single ? Number.NEGATIVE_INFINITY : threshold,
    vectorOf: (i) => (questions[i] as StoredRow).vector,
    // Cross-salon groups hold at most one question per salon: a salon does not
    // ask the same thing twice, and this stops groups growing by chaining.
    keyOf:
      o.crossSalonOnly && !single ? (i) => (questions[i] as StoredRow).item.salonId : undefined,
  }).map((members) =>
    groupOf(
      members.map((i) => questions[i] as StoredRow),
      storage,
    ),
  );
  return groups.sort((a, b) => {
    if (b.questions.length !== a.questions.length) return b.questions.length - a.questions.length;
    const fa = a.questions[0];
    const fb = b.questions[0];
    return compareQuestion(fa?.salon, fa?.item, fb?.salon, fb?.item);
  });
}

function groupOf(rows: StoredRow[], storage: LensStorage): SimilarQuestionGroup {
  const questions = rows
    .map((row) => ({ ...row, salon: salonRef(storage.salon(row.item.salonId) as StoredSalon) }))
    .sort((a, b) => compareQuestion(a.salon, a.item, b.salon, b.item));
  // Mean pairwise cosine of unit vectors from their sum: (|Σv|² − g) / (g (g − 1)).
  // Exact, and linear in the group size (the pairwise loop was quadratic).
  const g = questions.length;
  const dim = questions[0]?.vector.length ?? 0;
  const sum = new Float64Array(dim);
  for (const { vector } of questions) {
    for (let d = 0; d < dim; d++) sum[d] = (sum[d] as number) + (vector[d] as number);
  }
  let squared = 0;
  let self = 0;
  for (let d = 0; d < dim; d++) squared += (sum[d] as number) ** 2;
  for (const { vector } of questions) {
    for (let d = 0; d < dim; d++) self += (vector[d] as number) ** 2;
  }
  const salons = new Map<string, SalonRef>();
  for (const q of questions) salons.set(q.salon.id, q.salon);
  return {
    questions: questions.map((q) => ({ item: { ...q.item }, salon: q.salon })),
    salons: [...salons.values()].sort(compareSalons),
    cohesion: g < 2 ? 1 : (squared - self) / (g * (g - 1)),
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
