/**
 * Query results of the lens store, as zod schemas (they are printed by `--json`
 * and consumed by the report stage).
 */
import { z } from 'zod';
import { ItemSchema } from '../parse/index.js';

export const SalonRefSchema = z.object({
  id: z.string(),
  title: z.string(),
  date: z.string().optional(),
});
export type SalonRef = z.infer<typeof SalonRefSchema>;

export const SearchHitSchema = z.object({
  item: ItemSchema,
  salon: SalonRefSchema,
  /** Vector mode: cosine similarity to the query; lexical: BM25; hybrid: reciprocal-rank-fusion score. */
  score: z.number(),
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const SimilarQuestionGroupSchema = z.object({
  /** Questions in the group, ordered by salon date then item id. */
  questions: z.array(z.object({ item: ItemSchema, salon: SalonRefSchema })),
  /** Distinct salons in the group, by date. */
  salons: z.array(SalonRefSchema),
  /** Mean pairwise cosine within the group. */
  cohesion: z.number(),
});
export type SimilarQuestionGroup = z.infer<typeof SimilarQuestionGroupSchema>;
