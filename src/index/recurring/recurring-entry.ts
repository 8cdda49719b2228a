/**
 * How a recurring-question entry reads, for the CLI and the report alike:
 * "asked in 60 salons, 2020-01-04 → 2025-09-20", and its wordings, most asked first
 * (derived from the questions for results that carry no `wordings`).
 *
 *   reachLine(group); // 'asked in 60 salons, 2020-01-04 → 2025-09-20'
 */
import type { SimilarQuestionGroup } from '../schema.js';

export type Wording = NonNullable<SimilarQuestionGroup['wordings']>[number];

export function reachLine(group: SimilarQuestionGroup): string {
  const n = group.salons.length;
  const span =
    group.firstDate && group.lastDate
      ? group.firstDate === group.lastDate
        ? `, ${group.firstDate}`
        : `, ${group.firstDate} → ${group.lastDate}`
      : '';
  return `asked in ${n} ${n === 1 ? 'salon' : 'salons'}${span}`;
}

export function wordingsOf(group: SimilarQuestionGroup): Wording[] {
  if (group.wordings) return group.wordings;
  return group.questions.map((q) => ({
    text: q.item.text,
    itemIds: [q.item.id],
    salonCount: 1,
    ...(q.salon.date ? { firstDate: q.salon.date, lastDate: q.salon.date } : {}),
  }));
}

/** Wording number (1-based) of every question id, for naming links "1–2". */
export function wordingNumbers(wordings: readonly Wording[]): Map<string, number> {
  return new Map(wordings.flatMap((w, i) => w.itemIds.map((id) => [id, i + 1] as const)));
}
