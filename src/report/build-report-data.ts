/**
 * Assemble ReportData from the pipeline's pieces (pure and sync: no I/O, no clock).
 *
 *   const data = buildReportData({
 *     salons, items, vectors, themes, recurringQuestions,
 *     embedder: { id: embedder.id, dim: embedder.dim },
 *     builtAt: new Date().toISOString(),
 *   });
 */
import { z } from 'zod';
import { ThemesResultSchema } from '../cluster/index.js';
import { parseOptions } from '../errors.js';
import { SimilarQuestionGroupSchema } from '../index/index.js';
import { ItemSchema, SalonSchema } from '../parse/index.js';
import { projectTo2d } from './project-2d.js';
import { REPORT_FORMAT_VERSION, type ReportData, ReportDataSchema } from './schema.js';

export const BuildReportInputSchema = z
  .object({
    /** Report heading; defaults to "Salon themes" in the renderers. */
    title: z.string().min(1).optional(),
    salons: z.array(SalonSchema),
    /** The items that were embedded and clustered (usually every item of `salons`). */
    items: z.array(ItemSchema),
    /** One L2-normalised vector per item, same order as `items`. */
    vectors: z.array(
      // z.custom keeps the type Float32Array<ArrayBufferLike>, so views over shared buffers are accepted.
      z.custom<Float32Array>((v) => v instanceof Float32Array, {
        message: 'expected a Float32Array',
      }),
    ),
    themes: ThemesResultSchema,
    recurringQuestions: z.array(SimilarQuestionGroupSchema).default([]),
    embedder: z.object({ id: z.string().min(1), dim: z.number().int().positive() }),
    /** When the report was built; passed in so the same input renders the same bytes. */
    builtAt: z.union([
      z.iso.datetime({ offset: true }),
      z.date().transform((d) => d.toISOString()),
    ]),
  })
  .superRefine((input, ctx) => {
    if (input.vectors.length !== input.items.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['vectors'],
        message: `expected one vector per item (${input.items.length}), received ${input.vectors.length}`,
      });
    }
    input.vectors.forEach((v, i) => {
      if (v.length !== input.embedder.dim) {
        ctx.addIssue({
          code: 'custom',
          path: ['vectors', i],
          message: `expected dimension ${input.embedder.dim} (embedder.dim), received ${v.length}`,
        });
      }
    });
  });
export type BuildReportInput = z.input<typeof BuildReportInputSchema>;

export function buildReportData(input: BuildReportInput): ReportData {
  const { title, salons, items, vectors, themes, recurringQuestions, embedder, builtAt } =
    parseOptions(BuildReportInputSchema, input, 'buildReportData input');

  const points = projectTo2d(vectors);
  const data: ReportData = {
    formatVersion: REPORT_FORMAT_VERSION,
    ...(title === undefined ? {} : { title }),
    builtAt,
    embedder: { id: embedder.id, dim: embedder.dim },
    salons: salons.map((salon) => ({
      id: salon.id,
      title: salon.title,
      ...(salon.date === undefined ? {} : { date: salon.date }),
      source: salon.source,
      counts: {
        insight: salon.items.filter((item) => item.section === 'insight').length,
        question: salon.items.filter((item) => item.section === 'question').length,
        disagreement: salon.items.filter((item) => item.section === 'disagreement').length,
      },
      ...(salon.warnings.length > 0
        ? {
            skipped: salon.warnings.map((w) => ({
              line: w.line,
              kind: w.kind,
              message: w.message,
            })),
          }
        : {}),
    })),
    items: items.map((item) => ({
      id: item.id,
      salonId: item.salonId,
      section: item.section,
      text: item.text,
    })),
    themes,
    recurringQuestions,
    map: items.map((item, i) => ({ itemId: item.id, x: points[i]?.x ?? 0, y: points[i]?.y ?? 0 })),
  };
  // Cross-references (items → salons, assignments → items) are checked by the output schema.
  return parseOptions(ReportDataSchema, data, 'report data');
}
