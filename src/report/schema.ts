/**
 * ReportData: everything a theme report shows, as one plain, zod-checked value.
 * The renderers (Markdown, HTML, JSON) read only this, so a report can be
 * re-rendered later from its `report.json` without the store or the model.
 *
 *   const data = ReportDataSchema.parse(JSON.parse(await readFile('report.json', 'utf8')));
 */
import { z } from 'zod';
import { ThemesResultSchema } from '../cluster/index.js';
import { SimilarQuestionGroupSchema } from '../index/index.js';
import { SectionSchema } from '../parse/index.js';

/** Bumped when the JSON shape changes incompatibly, so other apps can refuse what they don't know. */
export const REPORT_FORMAT_VERSION = 1;

export const ReportSalonSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  /** `YYYY-MM-DD` when known; salons are shown ordered by it (undated last). */
  date: z.string().optional(),
  source: z.string(),
  counts: z.object({
    insight: z.number().int().nonnegative(),
    question: z.number().int().nonnegative(),
    disagreement: z.number().int().nonnegative(),
  }),
  /**
   * What the reading of its document left out (unknown headings, chatter, leaked
   * instructions), when the report was built from the documents; absent when it was
   * built from the store alone (the store does not keep parse warnings).
   */
  skipped: z
    .array(
      z.object({
        line: z.number().int().positive(),
        kind: z.string(),
        message: z.string(),
      }),
    )
    .optional(),
});
export type ReportSalon = z.infer<typeof ReportSalonSchema>;

export const ReportItemSchema = z.object({
  id: z.string().min(1),
  salonId: z.string().min(1),
  section: SectionSchema,
  text: z.string(),
});
export type ReportItem = z.infer<typeof ReportItemSchema>;

/** One item's position on the 2-D map (first two principal components, unscaled). */
export const MapPointSchema = z.object({
  itemId: z.string().min(1),
  x: z.number(),
  y: z.number(),
});
export type MapPoint = z.infer<typeof MapPointSchema>;

export const ReportDataSchema = z
  .object({
    formatVersion: z.literal(REPORT_FORMAT_VERSION),
    title: z.string().optional(),
    /** ISO 8601 timestamp passed in by the caller (never read from the clock here, so output is reproducible). */
    builtAt: z.iso.datetime({ offset: true }),
    embedder: z.object({ id: z.string().min(1), dim: z.number().int().positive() }),
    salons: z.array(ReportSalonSchema),
    items: z.array(ReportItemSchema),
    themes: ThemesResultSchema,
    recurringQuestions: z.array(SimilarQuestionGroupSchema),
    map: z.array(MapPointSchema),
  })
  .superRefine((data, ctx) => {
    // Cross-references are checked once here so renderers can look things up without guards.
    const salonIds = new Set(data.salons.map((s) => s.id));
    const itemIds = new Set<string>();
    data.items.forEach((item, i) => {
      if (itemIds.has(item.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'id'],
          message: `duplicate item id "${item.id}"`,
        });
      }
      itemIds.add(item.id);
      if (!salonIds.has(item.salonId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'salonId'],
          message: `unknown salon "${item.salonId}" (expected one of the salons[].id)`,
        });
      }
    });
    data.map.forEach((point, i) => {
      if (!itemIds.has(point.itemId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['map', i, 'itemId'],
          message: `unknown item "${point.itemId}"`,
        });
      }
    });
    const themeIds = new Set(data.themes.themes.map((t) => t.id));
    for (const [itemId, themeId] of Object.entries(data.themes.assignments)) {
      if (!itemIds.has(itemId) || !themeIds.has(themeId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['themes', 'assignments', itemId],
          message: `assignment ${itemId} -> ${themeId} refers to an unknown item or theme`,
        });
      }
    }
  });
export type ReportData = z.infer<typeof ReportDataSchema>;
