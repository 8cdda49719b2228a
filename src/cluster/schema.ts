/**
 * Output of theme clustering. The report stage and library users consume this;
 * it is also what `--json` prints, so it is a zod schema (validated on the way out).
 */
import { z } from 'zod';
import { SectionSchema } from '../parse/schema.js';

export const ThemeItemRefSchema = z.object({
  itemId: z.string(),
  salonId: z.string(),
  section: SectionSchema,
  text: z.string(),
  /** Cosine to the theme centroid (or, for related insights, to the question). */
  score: z.number(),
});
export type ThemeItemRef = z.infer<typeof ThemeItemRefSchema>;

export const ThemeSchema = z.object({
  /**
   * Stable across re-runs: `t3` for a discovered theme while it still exists, and
   * `g-<name>` for a guided one (from its name).
   */
  id: z.string(),
  /**
   * 'guided': one of the themes the user named (options.guide); 'discovered': found
   * unprompted. Always set by clusterThemes; optional only so older report.json files parse.
   */
  kind: z.enum(['guided', 'discovered']).optional(),
  /** For a guided theme: the user's entry, and the cosine of its items' centroid to it. */
  guide: z
    .object({
      name: z.string(),
      description: z.string().optional(),
      keywords: z.array(z.string()).optional(),
      score: z.number(),
    })
    .optional(),
  /** Top key phrases by class-based TF-IDF, best first, e.g. ['copyright', 'artists', 'training data']. */
  keywords: z.array(z.string()),
  /** Short title of 1-3 words: the best key phrase not taken by a larger theme, or a guided theme's name. */
  title: z.string().optional(),
  /** What to display: the guided theme's name, else the title ("Copyright"). */
  label: z.string(),
  size: z.number().int().nonnegative(),
  /** Share of all clustered items that fall in this theme (0..1). */
  share: z.number(),
  itemIds: z.array(z.string()),
  /** Items closest to the centroid, preferring different salons. */
  representatives: z.array(ThemeItemRefSchema),
  salons: z.array(
    z.object({ salonId: z.string(), date: z.string().optional(), count: z.number().int() }),
  ),
  firstDate: z.string().optional(),
  lastDate: z.string().optional(),
  /** Share of this theme's items that are disagreements (0..1). */
  contested: z.number(),
  disagreements: z.array(ThemeItemRefSchema),
  /** For each question in the theme: nearest insights from *other* salons above the threshold. */
  questions: z.array(
    z.object({
      question: ThemeItemRefSchema,
      relatedInsights: z.array(ThemeItemRefSchema),
    }),
  ),
});
export type Theme = z.infer<typeof ThemeSchema>;

export const ThemesResultSchema = z.object({
  embedderId: z.string(),
  /** Clustering algorithm used (added by the cluster stage; see src/cluster/options.ts). */
  method: z.enum(['ward', 'average-linkage', 'kmeans']).optional(),
  /** Set when the requested method could not run at this size and k-means ran instead. */
  fallback: z
    .object({
      requested: z.enum(['ward', 'average-linkage']),
      /** e.g. "200000 items > linkageMaxItems 3000" */
      reason: z.string(),
    })
    .optional(),
  /** Clusters cut before small ones were dropped: `themes.length` can be smaller. */
  k: z.number().int().positive(),
  /** How k was chosen: given by the caller, or the score per candidate k when 'auto'. */
  kSelection: z.object({
    mode: z.enum(['fixed', 'auto']),
    /** What `curve[].score` measures: mean silhouette (cosine distance), higher is better. */
    criterion: z.literal('silhouette').optional(),
    /** Above linkageMaxItems: the silhouette was computed on a seeded sample of this many items. */
    sampleSize: z.number().int().positive().optional(),
    curve: z.array(z.object({ k: z.number().int(), score: z.number() })),
  }),
  seed: z.number().int(),
  /** Fraction of each salon's mean vector removed before clustering (see salon-topic.ts). */
  salonCentering: z.record(z.string(), z.number()).optional(),
  themes: z.array(ThemeSchema),
  /** Items far from every centroid, not forced into a theme. */
  unassigned: z.array(z.string()),
  /** itemId -> theme id, for every assigned item. */
  assignments: z.record(z.string(), z.string()),
});
export type ThemesResult = z.infer<typeof ThemesResultSchema>;
