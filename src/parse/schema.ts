/**
 * The shapes every later stage consumes: a Salon and its Items.
 * zod schemas are the source of truth; the TS types are inferred from them.
 */
import { z } from 'zod';

export const SECTIONS = ['insight', 'question', 'disagreement'] as const;
export const SectionSchema = z.enum(SECTIONS);
export type Section = z.infer<typeof SectionSchema>;

export const ItemSchema = z.object({
  /** `${salonId}#${section}-${ordinal}`: stable while the document is unchanged. */
  id: z.string().min(1),
  salonId: z.string().min(1),
  section: SectionSchema,
  /** The item's words exactly as written, whitespace normalised, bullet and prefixes removed. */
  text: z.string().min(1),
  /** 1-based position within its section. */
  ordinal: z.number().int().positive(),
  /** 1-based line of the bullet in the source file. */
  line: z.number().int().positive(),
});
export type Item = z.infer<typeof ItemSchema>;

export const ParseWarningSchema = z.object({
  line: z.number().int().positive(),
  kind: z.enum(['chatter', 'instruction', 'unknown-section', 'outside-section', 'empty-section']),
  message: z.string(),
  text: z.string(),
});
export type ParseWarning = z.infer<typeof ParseWarningSchema>;

export const SalonSchema = z.object({
  /** Stable slug, e.g. `2023-11-25-decentralization`. */
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  /** ISO date `YYYY-MM-DD` when the header or file name carries one. */
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  title: z.string().min(1),
  /** Where the document came from (a path, or a name the caller chose). */
  source: z.string(),
  items: z.array(ItemSchema),
  warnings: z.array(ParseWarningSchema).default([]),
});
export type Salon = z.infer<typeof SalonSchema>;
