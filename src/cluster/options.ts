/**
 * Inputs, options (with every default in one place) and persisted state of the cluster
 * stage. The stage never imports the store: the caller hands over items + vectors as a
 * `ThemeInput` and keeps the returned `ThemeState` for stable ids next time.
 *
 *   const options = parseOptions(ClusterOptionsSchema, { k: 12 }, 'cluster options');
 */
import { z } from 'zod';
import { type Item, ItemSchema, SECTIONS, SectionSchema } from '../parse/schema.js';
import { DEFAULT_SCORING, NEIGHBOURHOOD_K, SCORINGS } from '../util/csls.js';
import { GuideSchema } from './guided.js';

/** Everything clustering needs, independent of how it was stored. */
export interface ThemeInput {
  salons: ReadonlyArray<{ id: string; title: string; date?: string }>;
  items: readonly Item[];
  /** L2-normalised, one per item, same order as `items`. */
  vectors: readonly Float32Array[];
  embedderId: string;
  /** From the embedder's calibration (see EmbedderThresholds). */
  thresholds: { relatedInsight: number };
  /** With options.guide: the embedding of guideText(entry) for each guided theme, in order. */
  guideVectors?: readonly Float32Array[];
}

export const ThemeInputSchema = z
  .object({
    salons: z.array(
      z.object({ id: z.string().min(1), title: z.string(), date: z.string().optional() }),
    ),
    items: z.array(ItemSchema),
    vectors: z.array(z.instanceof(Float32Array)),
    embedderId: z.string().min(1),
    thresholds: z.object({ relatedInsight: z.number().min(-1).max(1) }),
    guideVectors: z.array(z.instanceof(Float32Array)).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.vectors.length !== input.items.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['vectors'],
        message: `expected one vector per item (${input.items.length}), received ${input.vectors.length}`,
      });
      return;
    }
    const dim = input.vectors[0]?.length ?? 0;
    const bad = input.vectors.findIndex((v) => v.length !== dim || v.length === 0);
    if (bad >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['vectors', bad],
        message: `expected dimension ${dim}, received ${input.vectors[bad]?.length}`,
      });
    }
    const ids = new Set<string>();
    input.items.forEach((item, i) => {
      if (ids.has(item.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'id'],
          message: `duplicate item id ${item.id}`,
        });
      }
      ids.add(item.id);
    });
  });

/** Persist this (as JSON) and pass it back as `previous` to keep theme ids stable. */
export const ThemeStateSchema = z.object({
  version: z.literal(1),
  embedderId: z.string(),
  themes: z.array(
    z.object({
      id: z.string().min(1),
      /** Unit-length mean of the theme's item vectors (original, uncentred space). */
      centroid: z.array(z.number()),
      size: z.number().int().nonnegative(),
    }),
  ),
  /** Next fresh id number: ids are `t<n>` and are never reused. */
  nextId: z.number().int().positive(),
});
export type ThemeState = z.infer<typeof ThemeStateSchema>;

export interface ClusterProgress {
  stage: 'cluster';
  phase: 'prepare' | 'linkage' | 'select-k' | 'kmeans' | 'describe';
  done: number;
  total: number;
}

/** At least 2 themes: the CLI's --k and the API share this rule. */
export const KSchema = z.union(
  [z.number().int().min(2, 'expected "auto" or an integer ≥ 2'), z.literal('auto')],
  { error: 'expected "auto" or an integer ≥ 2' },
);

export const ClusterOptionsSchema = z
  .object({
    /**
     * 'ward' (default) and 'average-linkage' are agglomerative (see ward-linkage.ts for
     * why Ward); 'kmeans' is ml-kmeans with k-means++ and restarts. Above
     * `linkageMaxItems` items k-means runs either way (see below).
     */
    method: z.enum(['ward', 'average-linkage', 'kmeans']).default('ward'),
    /** Number of clusters, or 'auto' to pick by silhouette within `kRange`. @default 'auto' */
    k: KSchema.default('auto'),
    /** [min, max] candidates for k:'auto'. @default about [sqrt(n/2), 2*sqrt(n/2)] */
    kRange: z
      .tuple([z.number().int().min(2), z.number().int().min(2)])
      .refine(([lo, hi]) => lo <= hi, 'expected min <= max')
      .optional(),
    /** Seed for k-means++ (restart r uses seed + r). @default 42 */
    seed: z.number().int().default(42),
    /**
     * k-means restarts; the lowest inertia wins. Above `linkageMaxItems` only method
     * 'kmeans' uses them (a tree of the sample needs none). @default 8
     */
    restarts: z.number().int().min(1).max(1000).default(8),
    /**
     * Most items clustered with Ward or average linkage, whose n×n Float32 matrix (and
     * its working copy) is 2 × 36 MB here. Above it `method` runs on a seeded sample and
     * k-means extends it to all items; the result reports `method: 'kmeans'` plus a
     * `fallback` note (see kmeans-at-scale.ts). Raise it only with memory for 8·n² bytes.
     * @default 3000
     */
    linkageMaxItems: z.number().int().min(2).default(3000),
    /**
     * Above `linkageMaxItems`: items in the seeded sample that `method` clusters and on
     * which k:'auto' scores each k (its sampleSize² matrices: 2 × 16 MB here). @default 2000
     */
    sampleSize: z.number().int().min(50).max(20_000).default(2000),
    /** Clusters smaller than this become `unassigned` rather than themes. @default 3 */
    minSize: z.number().int().min(1).default(3),
    /** Sections to cluster. @default all three */
    sections: z
      .array(SectionSchema)
      .min(1)
      .default([...SECTIONS]),
    /**
     * Items whose cosine to their theme centroid (section-centred space) is below this
     * are reported as `unassigned`. @default 0 (see bench/quality.ts for the trade-off)
     */
    outlierThreshold: z.number().min(-1).max(1).default(0),
    /** Subtract each section's mean vector before clustering (see vectors.ts). @default true */
    centerSections: z.boolean().default(true),
    /**
     * How much of each salon's mean vector to remove before clustering, so themes cut
     * across salons instead of mirroring them: 'auto' estimates per salon the part its
     * items share with no other salon (salon-topic.ts); a number removes that fixed
     * fraction of every salon's mean; 0 keeps the salon means. @default 'auto'
     */
    salonCentering: z.union([z.literal('auto'), z.number().min(0).max(1)]).default('auto'),
    /**
     * Themes the user names, found first; what fits none of them forms discovered
     * themes (see guided.ts). Needs `input.guideVectors`.
     */
    guide: GuideSchema.optional(),
    /**
     * Cosine by which a cluster's best guide must beat the runner-up for the cluster
     * to join that guided theme; otherwise it stays discovered. @default 0.1
     */
    guideMargin: z.number().min(0).max(2).default(0.1),
    /**
     * How clusters are matched to guides: 'csls' ranks each guide by its cosine less half
     * its hubness (a name close to many clusters must win by more), 'cosine' is plain.
     * @default 'csls'
     */
    guideScoring: z.enum(SCORINGS).default('csls'),
    /** Key phrases per theme (the first not taken by a larger theme is its title). @default 5 */
    keywords: z.number().int().min(1).max(20).default(5),
    /** Representative items per theme. @default 3 */
    representatives: z.number().int().min(0).default(3),
    /** Related insights listed per question. @default 3 */
    relatedInsights: z.number().int().min(0).default(3),
    /**
     * How related insights are ranked: 'csls' discounts insights close to everything
     * (see related-insights.ts), 'cosine' is plain. @default 'csls'
     */
    scoring: z.enum(SCORINGS).default(DEFAULT_SCORING),
    /** Mutual k-NN depth on the question side for related insights. @default 5 */
    relatedInsightK: z.number().int().min(1).default(NEIGHBOURHOOD_K),
    /**
     * No insight is related to more than this share of the questions (the insight
     * side of the mutual k-NN rule looks at most max(1, ⌊share · questions⌋) deep). @default 0.05
     */
    relatedInsightMaxShare: z.number().gt(0).max(1).default(0.05),
    /** Minimum centroid cosine for a new theme to inherit a previous theme's id. @default 0.8 */
    matchThreshold: z.number().min(-1).max(1).default(0.8),
    onProgress: z
      .custom<(progress: ClusterProgress) => void>(
        (v) => typeof v === 'function',
        'expected a function',
      )
      .optional(),
    signal: z
      .custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal')
      .optional(),
  })
  .strict();

export type ClusterOptions = z.input<typeof ClusterOptionsSchema>;
export type ResolvedClusterOptions = z.output<typeof ClusterOptionsSchema>;
