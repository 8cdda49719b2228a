/**
 * Query results of the lens store, as zod schemas (they are printed by `--json`
 * and consumed by the report stage).
 */
import { z } from 'zod';
import { ItemSchema } from '../parse/index.js';
import { QUESTION_SCORINGS, SCORINGS } from '../util/csls.js';

export const SalonRefSchema = z.object({
  id: z.string(),
  title: z.string(),
  date: z.string().optional(),
});
export type SalonRef = z.infer<typeof SalonRefSchema>;

export const SearchHitSchema = z.object({
  item: ItemSchema,
  salon: SalonRefSchema,
  /**
   * Vector mode: the `scoring`'s value (CSLS or cosine to the query); lexical: BM25;
   * hybrid: the reciprocal-rank-fusion score; fused: the corrected vector score plus
   * the lexical share (fused-search.ts).
   */
  score: z.number(),
  /** What produced `score`. */
  scoring: z.enum([...SCORINGS, 'bm25', 'rrf', 'fused']),
  /** Plain cosine to the query (vector, hybrid and fused modes). */
  cosine: z.number().optional(),
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const SimilarQuestionGroupSchema = z.object({
  /** Questions in the group, ordered by salon date then item id. */
  questions: z.array(z.object({ item: ItemSchema, salon: SalonRefSchema })),
  /** Distinct salons in the group, by date. */
  salons: z.array(SalonRefSchema),
  /** Mean pairwise cosine within the group. */
  cohesion: z.number(),
  /** What produced the link scores, and the threshold they were held to. */
  scoring: z.enum(QUESTION_SCORINGS),
  threshold: z.number(),
  /** The lowest link score in the group: groups are listed by it, strongest first. */
  weakestLink: z.number(),
  /**
   * Every pair of distinct wordings in the group (by their first question's id) with its
   * score (and plain cosine), strongest first.
   */
  links: z.array(z.object({ a: z.string(), b: z.string(), score: z.number(), cosine: z.number() })),
  /**
   * The distinct wordings (repeats of one wording count once towards the size cap), most
   * asked first: the text of its first asking, how many times and in how many salons.
   * Absent in results written before wordings were counted.
   */
  wordings: z
    .array(
      z.object({
        text: z.string(),
        itemIds: z.array(z.string()),
        salonCount: z.number().int(),
        firstDate: z.string().optional(),
        lastDate: z.string().optional(),
      }),
    )
    .optional(),
  /** First and last date a salon asked it ("asked in 60 salons, 2020-01-04 → 2025-09-20"). */
  firstDate: z.string().optional(),
  lastDate: z.string().optional(),
});
export type SimilarQuestionGroup = z.infer<typeof SimilarQuestionGroupSchema>;
