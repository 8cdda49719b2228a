/**
 * Guided themes: the user names the themes they care about ("centralization,
 * copyright, privacy"), salon-lens finds them, plus the themes they did not name.
 *
 * The unsupervised clusters are built first (they are far more coherent than any
 * single name vector: USE-lite places a one-word name poorly among full sentences).
 * Each cluster then goes to the guide its centroid is closest to (cosine less half the
 * guide's hubness, see assignClustersToGuides), but only when that guide beats the
 * runner-up by `margin` and scores at least `margin` itself; a cluster with no clear
 * guide stays a discovered theme. Guides are embedded as "name: description (keywords)"
 * and centred like the items: the items' overall mean removed. (Items are centred per
 * section; a guide is no section, and centring it by the mean of the section it is
 * compared with instead changed nothing measurable: nearest-guide item NMI 0.342 both ways.)
 *
 *   const { groups, guideOf } = groupByGuide(clusters, space, centreGuides(raw, items), 0.1);
 *   // groups: one per guide (in guide order, maybe empty), then the unclaimed clusters
 */
import { z } from 'zod';
import { SalonLensError } from '../errors.js';
import { NEIGHBOURHOOD_K, type Scoring, TopMean } from '../util/csls.js';
import { centroidOf, dot, normalize } from './vectors.js';

export const GuideEntrySchema = z.strictObject({
  name: z.string().trim().min(1, 'expected a non-empty theme name'),
  description: z.string().trim().optional(),
  keywords: z.array(z.string().trim().min(1)).optional(),
});
export type GuideEntry = z.infer<typeof GuideEntrySchema>;

/** A guided theme: a plain name ('privacy') or an entry with a description and keywords. */
const GuideItemSchema = z.union(
  [
    z
      .string()
      .trim()
      .min(1)
      .transform((name): GuideEntry => ({ name })),
    GuideEntrySchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'expected a theme name or { "name", "description"?, "keywords"? }'
        : undefined,
  },
);

export const GuideSchema = z
  .array(GuideItemSchema)
  .min(1, 'expected at least one guided theme')
  .superRefine((guide, ctx) => {
    const seen = new Map<string, number>();
    guide.forEach((entry, i) => {
      const key = entry.name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `duplicate theme name "${entry.name}" (also entry ${first + 1})`,
        });
      }
      seen.set(key, i);
    });
  });

/** The text embedded for a guided theme: its name, then description and keywords if any. */
export function guideText(entry: GuideEntry): string {
  const parts = [entry.name];
  if (entry.description) parts.push(`: ${entry.description}`);
  if (entry.keywords && entry.keywords.length > 0) parts.push(` (${entry.keywords.join(', ')})`);
  return parts.join('');
}

/** Stable id of a guided theme, from its name: "Open source" -> "g-open-source". */
export function guideId(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `g-${slug || 'theme'}`;
}

/** Unique ids for all guides; names that slug alike get -2, -3... in guide order. */
export function guideIds(guide: readonly GuideEntry[]): string[] {
  const used = new Set<string>();
  return guide.map((entry) => {
    const base = guideId(entry.name);
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    return id;
  });
}

/** Guide vectors with the items' mean removed and unit length (the items' space is centred too). */
export function centreGuides(
  guideVectors: readonly ArrayLike<number>[],
  itemVectors: readonly ArrayLike<number>[],
): Float64Array[] {
  const dim = itemVectors[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  for (const v of itemVectors)
    for (let d = 0; d < dim; d++) mean[d] = (mean[d] as number) + (v[d] as number);
  for (let d = 0; d < dim; d++) mean[d] = (mean[d] as number) / Math.max(1, itemVectors.length);
  return guideVectors.map((g) => {
    const out = new Float64Array(dim);
    for (let d = 0; d < dim; d++) out[d] = (g[d] as number) - (mean[d] as number);
    return normalize(out);
  });
}

/**
 * For each cluster centroid, the guide it belongs to (index) or -1. With one guide the
 * runner-up score is 0 (unrelated, in centred space).
 *
 * Guides are ranked by cosine less half their hubness: a short name can sit close to
 * many clusters at once ("enterprise data" near every cluster about companies or data),
 * and such a hub must beat the runner-up by more. This is CSLS (Conneau et al. 2018,
 * src/util/csls.ts), the scoring search already uses: 2·cos − r(cluster) − r(guide),
 * halved to stay on the cosine scale; r(cluster) is the same for all of a cluster's
 * guides, so only r(guide), its mean cosine to its NEIGHBOURHOOD_K nearest clusters,
 * changes the ranking and the gap. Measured on the labelled corpus with the 15 label
 * names (bench/quality.ts prints both scorings): guided NMI 0.498 -> 0.507, mostly by
 * claiming fewer clusters at the same precision (half the items in guided themes carry
 * their hand label either way). A margin sweep from 0.03 to 0.15, outside the bench, found
 * it at least as good as plain cosine at every margin, on all items and on the mean over
 * leaving each salon out in turn.
 */
export function assignClustersToGuides(
  centroids: readonly Float64Array[],
  guides: readonly Float64Array[],
  margin: number,
  scoring: Scoring = 'csls',
): Array<{ guide: number; best: number; score: number; margin: number }> {
  const cosines = centroids.map((c) => guides.map((g) => dot(c, g)));
  const hubness = scoring === 'csls' ? guideHubness(cosines, guides.length) : guides.map(() => 0);
  return cosines.map((row) => {
    const ranked = row.map((s, i) => s - (hubness[i] as number) / 2);
    let best = 0;
    ranked.forEach((s, i) => {
      if (s > (ranked[best] as number)) best = i;
    });
    const second = guides.length > 1 ? Math.max(...ranked.filter((_, i) => i !== best)) : 0;
    const gap = (ranked[best] as number) - second;
    const first = row[best] as number;
    // Both tests: the best guide must beat the runner-up, and be related at all (in
    // centred space unrelated guides score below zero, so a gap alone can mislead).
    return {
      guide: gap >= margin && first >= margin ? best : -1,
      best,
      score: first,
      margin: gap,
    };
  });
}

/**
 * r(guide) for CSLS: mean cosine to its NEIGHBOURHOOD_K nearest clusters. With one guide
 * there is no other guide to be a hub against, so no discount.
 */
function guideHubness(cosines: readonly number[][], guideCount: number): number[] {
  if (guideCount < 2) return new Array<number>(guideCount).fill(0);
  return Array.from({ length: guideCount }, (_, g) => {
    const top = new TopMean(NEIGHBOURHOOD_K);
    for (const row of cosines) top.push(row[g] as number);
    return top.mean();
  });
}

export function checkGuideVectors(
  guide: readonly GuideEntry[],
  vectors: readonly ArrayLike<number>[] | undefined,
  dim: number,
): void {
  if (!vectors || vectors.length !== guide.length || vectors.some((v) => v.length !== dim)) {
    throw new SalonLensError(
      'INVALID_OPTIONS',
      `Invalid cluster options: guide has ${guide.length} themes but input.guideVectors holds ${vectors?.length ?? 0} vectors of dimension ${dim} (embed guideText(entry) for each)`,
      { details: { option: 'guide' } },
    );
  }
}

/**
 * Regroup clusters (lists of rows) as one group per guide, in guide order (possibly
 * empty), followed by the clusters that no guide claimed.
 */
export function groupByGuide(
  clusters: readonly number[][],
  space: readonly Float64Array[],
  guides: readonly Float64Array[],
  margin: number,
  scoring: Scoring = 'csls',
): { groups: number[][]; guideOf: number[]; guideScore: number[] } {
  const centroids = clusters.map((rows) => centroidOf(space, rows));
  const plan = assignClustersToGuides(centroids, guides, margin, scoring);
  const target = plan.map((p) => p.guide);
  // A guide that no cluster clearly matched adopts, if any, the unclaimed cluster that
  // names it as its best guide most strongly (cosine at least `margin`): a relabelling,
  // not a merge, so the grouping stays the same and the user still finds their theme.
  guides.forEach((_, g) => {
    if (target.includes(g)) return;
    let pick = -1;
    plan.forEach((p, c) => {
      if (target[c] !== -1 || p.best !== g || p.score < margin) return;
      if (pick < 0 || p.score > (plan[pick] as { score: number }).score) pick = c;
    });
    if (pick >= 0) target[pick] = g;
  });
  const guided: number[][] = guides.map(() => []);
  const discovered: number[][] = [];
  clusters.forEach((rows, c) => {
    const to = target[c] ?? -1;
    // A loop, not push(...rows): spreading 100k+ rows overflows the call stack.
    if (to >= 0) for (const r of rows) (guided[to] as number[]).push(r);
    else discovered.push(rows);
  });
  const groups = [...guided.map((rows) => rows.sort((a, b) => a - b)), ...discovered];
  const guideOf = groups.map((_, i) => (i < guides.length ? i : -1));
  const guideScore = groups.map((rows, i) =>
    i < guides.length && rows.length > 0
      ? dot(centroidOf(space, rows), guides[i] as Float64Array)
      : 0,
  );
  return { groups, guideOf, guideScore };
}
