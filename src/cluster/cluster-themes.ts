/**
 * The cluster stage's verb: group every item's vector into cross-salon themes and
 * describe them. Pure compute (sync); long loops report progress and honour an
 * AbortSignal between k candidates, restarts and merge batches.
 *
 *   const { result, state } = clusterThemes(input, { k: 'auto' }, previousState);
 *   // persist `state`; pass it back next time so surviving themes keep their ids
 *
 * Pipeline: select sections -> order items by id (input order never matters) ->
 * centre per section -> remove each salon's unshared "topic of the evening"
 * (salon-topic.ts) -> cluster (Ward by default, average linkage or k-means) for each
 * candidate k -> pick k by silhouette -> with a guide, join clusters to the guided
 * themes they clearly match (guided.ts) -> drop small clusters and far items to
 * `unassigned` -> match centroids to the previous state for ids -> label (key phrases,
 * keywords.ts) and describe.
 *
 * Size: up to `linkageMaxItems` (3,000) items everything above runs exactly. Beyond
 * it the n×n matrices do not fit, so the method runs on a seeded sample and k-means
 * extends it to all items (kmeans-at-scale.ts: k scored by the sample's silhouette, the
 * chosen partition's centres refined on all items) and the result says so (`method`,
 * `fallback`, `kSelection.sampleSize`); titles read a budget of central items
 * (theme-titles.ts); each question's
 * related insights are then looked up in its own theme and the RELATED_THEMES themes
 * nearest to it rather than among all insights. Memory stays O(n·dim + sampleSize²).
 */
import { parseOptions, SalonLensError, throwIfAborted } from '../errors.js';
import type { Item } from '../parse/schema.js';
import { averageLinkage, cutTree, type LinkageTree } from './average-linkage.js';
import { byScore, itemRef, pickRepresentatives, salonBreakdown } from './describe.js';
import { centreGuides, checkGuideVectors, groupByGuide, guideIds } from './guided.js';
import { clusterAtScale } from './kmeans-at-scale.js';
import { kmeansRestarts } from './kmeans-restarts.js';
import {
  type ClusterOptions,
  ClusterOptionsSchema,
  type ClusterProgress,
  type ResolvedClusterOptions,
  type ThemeInput,
  ThemeInputSchema,
  type ThemeState,
  ThemeStateSchema,
} from './options.js';
import { relatedInsightsOf } from './related-insights.js';
import { removeSalonTopic } from './salon-topic.js';
import { type Theme, type ThemesResult, ThemesResultSchema } from './schema.js';
import { silhouette } from './silhouette.js';
import { assignThemeIds } from './stable-ids.js';
import { themeLabels } from './theme-titles.js';
import { centerByGroup, centroidOf, cosineMatrix, dot, normalize } from './vectors.js';
import { wardLinkage } from './ward-linkage.js';

interface KeptTheme {
  members: number[];
  centroid: Float64Array;
  /** Cosine of each member (by row) to the centroid; shared by all themes, members only. */
  scores: Float64Array;
  /** Index into options.guide, or -1 for a discovered theme. */
  guide: number;
  /** Cosine of the theme's centroid (clustering space) to its guide. */
  guideScore: number;
}

export interface ClusterThemesOutput {
  result: ThemesResult;
  state: ThemeState;
}

export function clusterThemes(
  input: ThemeInput,
  options: ClusterOptions = {},
  previous?: ThemeState,
): ClusterThemesOutput {
  const opts = parseOptions(ClusterOptionsSchema, options, 'cluster options');
  const checked = ThemeInputSchema.safeParse(input);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new SalonLensError(
      'INPUT_ERROR',
      `Invalid theme input at ${issue?.path.join('.') || '(input)'}: ${issue?.message}`,
      { details: { issues: checked.error.issues } },
    );
  }
  let prior: ThemeState | undefined;
  if (previous !== undefined) {
    const parsed = ThemeStateSchema.safeParse(previous);
    if (!parsed.success) {
      throw new SalonLensError(
        'INPUT_ERROR',
        `Invalid previous theme state: ${parsed.error.message}`,
        {
          details: { issues: parsed.error.issues },
        },
      );
    }
    prior = parsed.data;
    // Centroids of another embedder live in another space: keep only the id counter,
    // so old ids are never handed to unrelated themes.
    if (prior.embedderId !== input.embedderId) prior = { ...prior, themes: [] };
  }

  const progress = (phase: ClusterProgress['phase'], done: number, total: number): void =>
    opts.onProgress?.({ stage: 'cluster', phase, done, total });
  const abortCheck = (): void => throwIfAborted(opts.signal, 'clusterThemes');
  abortCheck();

  // Select and order by id: ties everywhere below break by row, hence by id.
  const wanted = new Set(opts.sections);
  const rows = input.items
    .map((item, i) => ({ item, vector: input.vectors[i] as Float32Array }))
    .filter((r) => wanted.has(r.item.section))
    .sort((a, b) => (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0));
  const items = rows.map((r) => r.item);
  const vectors = rows.map((r) => r.vector);
  const n = items.length;
  if (n === 0) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `No items to cluster in sections ${opts.sections.join(', ')}`,
      {
        details: { sections: opts.sections },
      },
    );
  }
  if (typeof opts.k === 'number' && opts.k > n) {
    throw new SalonLensError(
      'INVALID_OPTIONS',
      `Invalid cluster options: k=${opts.k} exceeds the ${n} items`,
      {
        // issues: the same shape parseOptions gives, so the CLI can name its --k flag.
        details: {
          k: opts.k,
          items: n,
          issues: [
            { path: ['k'], message: `${opts.k} themes asked for, but there are only ${n} items` },
          ],
        },
      },
    );
  }

  progress('prepare', 0, 1);
  const guide = opts.guide;
  if (guide) checkGuideVectors(guide, input.guideVectors, vectors[0]?.length ?? 0);

  const sectionSpace = opts.centerSections
    ? centerByGroup(
        vectors,
        items.map((item) => item.section),
      )
    : vectors.map((v) => normalize(v));
  const { space, fractions: salonCentering } = removeSalonTopic(
    sectionSpace,
    items.map((item) => item.salonId),
    opts.salonCentering,
    opts.seed,
    abortCheck,
  );

  progress('prepare', 1, 1);
  abortCheck();
  const large = n > opts.linkageMaxItems;
  const { labels, k, curve, sampleSize } = large
    ? clusterAtScale(space, candidateKs(n, opts), opts, progress, abortCheck)
    : { ...chooseClustering(space, opts, progress, abortCheck), sampleSize: undefined };

  // Groups -> themes: small clusters and far items become unassigned (guided themes
  // stay, even empty: the user asked for them).
  const clusters: number[][] = Array.from({ length: k }, () => []);
  labels.forEach((l, row) => {
    clusters[l]?.push(row);
  });
  const guideVectors = guide ? centreGuides(input.guideVectors ?? [], vectors) : [];
  const { groups, guideOf, guideScore } = guide
    ? groupByGuide(clusters, space, guideVectors, opts.guideMargin, opts.guideScoring)
    : { groups: clusters, guideOf: clusters.map(() => -1), guideScore: clusters.map(() => 0) };
  const unassignedRows: number[] = [];
  const kept: KeptTheme[] = [];
  // Each row is in one theme at most, so one array holds every member's score (one per
  // theme was n·k doubles: 360 MB at 100,000 items and 450 themes).
  const scores = new Float64Array(n);
  groups.forEach((members, g) => {
    const guideIndex = guideOf[g] as number;
    let current = members;
    if (current.length >= opts.minSize) {
      const c = centroidOf(space, current);
      const near: number[] = [];
      for (const r of current) {
        if (dot(space[r] as Float64Array, c) >= opts.outlierThreshold) near.push(r);
        else unassignedRows.push(r);
      }
      current = near;
    }
    if (guideIndex < 0 && (current.length < opts.minSize || current.length === 0)) {
      // A loop, not push(...current): spreading 100k+ rows overflows the call stack.
      for (const r of current) unassignedRows.push(r);
      return;
    }
    const centroid =
      current.length > 0
        ? centroidOf(vectors, current)
        : normalize(input.guideVectors?.[guideIndex] ?? []);
    for (const r of current) scores[r] = dot(vectors[r] as Float32Array, centroid);
    kept.push({
      members: current,
      centroid,
      scores,
      guide: guideIndex,
      guideScore: guideScore[g] as number,
    });
  });
  // Guided themes first, in the user's order; then largest first, equal sizes by their
  // first item id (rows are id-ordered, members ascending, so members[0] is the first id).
  kept.sort(
    (a, b) =>
      (a.guide < 0 ? Number.MAX_SAFE_INTEGER : a.guide) -
        (b.guide < 0 ? Number.MAX_SAFE_INTEGER : b.guide) ||
      b.members.length - a.members.length ||
      (a.members[0] ?? 0) - (b.members[0] ?? 0),
  );

  const discovered = kept.filter((t) => t.guide < 0);
  const stable = assignThemeIds(
    discovered.map((t) => t.centroid),
    prior,
    opts.matchThreshold,
  );
  const namedIds = guide ? guideIds(guide) : [];
  let nextDiscovered = 0;
  const ids = kept.map((t) =>
    t.guide >= 0 ? (namedIds[t.guide] as string) : (stable.ids[nextDiscovered++] as string),
  );
  const nextId = stable.nextId;

  abortCheck();
  const themeNames = themeLabels(
    kept.map((t) => {
      const ranked = byScore(t.members, t.scores, items);
      return {
        texts: ranked.map((r) => (items[r] as Item).text),
        scores: ranked.map((r) => t.scores[r] as number),
        named: t.guide >= 0,
      };
    }),
    opts.keywords,
    abortCheck,
  );
  const keywordLists = themeNames.map((l) => l.keywords);
  const titles = themeNames.map((l) => l.title);
  const salonDates = new Map(input.salons.map((s) => [s.id, s.date]));
  const insightRows = items
    .map((item, r) => (item.section === 'insight' ? r : -1))
    .filter((r) => r >= 0);
  // Where each theme's questions look for related insights: every insight up to the
  // linkage limit; above it the theme's own and its nearest themes' (all of them would
  // be questions × insights dot products, ~5·10⁹ for 200k items).
  const insightsFor = large
    ? nearbyInsights(
        kept.map((t) => t.members),
        kept.map((t) => t.centroid),
        items,
      )
    : kept.map(() => insightRows);

  // Related insights for every question at once: the hub rules need each insight's
  // view over all questions, not one theme's.
  const themeQuestions = kept.map((t) =>
    t.members.filter((r) => (items[r] as Item).section === 'question'),
  );
  const candidatesOf = new Map<number, number[]>();
  themeQuestions.forEach((rows, index) => {
    for (const q of rows) candidatesOf.set(q, insightsFor[index] as number[]);
  });
  const related = relatedInsightsOf(
    themeQuestions.flat(),
    (q) => candidatesOf.get(q) ?? [],
    items,
    vectors,
    {
      threshold: input.thresholds.relatedInsight,
      limit: opts.relatedInsights,
      scoring: opts.scoring,
      k: opts.relatedInsightK,
      maxShare: opts.relatedInsightMaxShare,
      abortCheck,
    },
  );

  const themes: Theme[] = kept.map((t, index) => {
    progress('describe', index, kept.length);
    const ranked = byScore(t.members, t.scores, items);
    const refOf = (r: number): ReturnType<typeof itemRef> =>
      itemRef(items[r] as Item, t.scores[r] as number);
    const disagreements = ranked.filter((r) => (items[r] as Item).section === 'disagreement');
    const questions = ranked.filter((r) => (items[r] as Item).section === 'question');
    const keywords = keywordLists[index] ?? [];
    const entry = t.guide >= 0 ? guide?.[t.guide] : undefined;
    return {
      id: ids[index] as string,
      kind: entry ? ('guided' as const) : ('discovered' as const),
      ...(entry ? { guide: { ...entry, score: t.guideScore } } : {}),
      keywords,
      title: entry ? entry.name : (titles[index] as string),
      label: entry ? entry.name : (titles[index] as string),
      size: t.members.length,
      share: t.members.length / n,
      itemIds: [...t.members].sort((a, b) => a - b).map((r) => (items[r] as Item).id),
      representatives: pickRepresentatives(t.members, t.scores, items, opts.representatives).map(
        refOf,
      ),
      ...salonBreakdown(t.members, items, salonDates),
      contested: t.members.length > 0 ? disagreements.length / t.members.length : 0,
      disagreements: disagreements.map(refOf),
      questions: questions.map((q) => ({
        question: refOf(q),
        relatedInsights: (related.get(q) ?? []).map((hit) => ({
          ...itemRef(items[hit.row] as Item, hit.score),
          scoring: opts.scoring,
          cosine: hit.cosine,
        })),
      })),
    };
  });
  progress('describe', kept.length, kept.length);

  const assignments: Record<string, string> = {};
  const themeOfRow = new Map<number, string>();
  themes.forEach((theme, index) => {
    for (const r of (kept[index] as { members: number[] }).members) themeOfRow.set(r, theme.id);
  });
  for (let r = 0; r < n; r++) {
    const id = themeOfRow.get(r);
    if (id !== undefined) assignments[(items[r] as Item).id] = id;
  }

  const result = ThemesResultSchema.parse({
    embedderId: input.embedderId,
    method: large ? 'kmeans' : opts.method,
    ...(large && opts.method !== 'kmeans'
      ? {
          fallback: {
            requested: opts.method,
            reason: `${n} items > linkageMaxItems ${opts.linkageMaxItems}: ${opts.method} on a ${sampleSize}-item sample, then k-means on all items`,
          },
        }
      : {}),
    k,
    kSelection: {
      mode: opts.k === 'auto' ? 'auto' : 'fixed',
      criterion: 'silhouette',
      curve,
      ...(sampleSize !== undefined ? { sampleSize } : {}),
    },
    seed: opts.seed,
    salonCentering,
    themes,
    unassigned: unassignedRows.sort((a, b) => a - b).map((r) => (items[r] as Item).id),
    assignments,
  } satisfies ThemesResult);

  // Only discovered themes are remembered for id matching (guided ids come from the
  // names). A guided run keeps the previous memory, so an unguided run after it finds
  // its old themes again; it only advances the id counter.
  const state: ThemeState = {
    version: 1,
    embedderId: input.embedderId,
    themes:
      guide && prior
        ? prior.themes
        : themes.map((theme, index) => ({
            id: theme.id,
            centroid: Array.from((kept[index] as { centroid: Float64Array }).centroid),
            size: theme.size,
          })),
    nextId,
  };
  return { result, state };
}

/** Themes searched for a question's related insights above the linkage limit (its own + these). */
const RELATED_THEMES = 4;

/** For each theme: insight rows of itself and of the RELATED_THEMES themes with the closest centroids. */
function nearbyInsights(
  members: readonly number[][],
  centroids: readonly Float64Array[],
  items: readonly Item[],
): number[][] {
  const insights = members.map((rows) =>
    rows.filter((r) => (items[r] as Item).section === 'insight'),
  );
  return centroids.map((c, t) => {
    const nearest = centroids
      .map((other, o) => ({ o, sim: o === t ? Number.POSITIVE_INFINITY : dot(c, other) }))
      .sort((a, b) => b.sim - a.sim || a.o - b.o)
      .slice(0, RELATED_THEMES + 1);
    return nearest.flatMap(({ o }) => insights[o] as number[]).sort((a, b) => a - b);
  });
}

/** Cluster for each candidate k and keep the best silhouette (ties: smaller k). */
function chooseClustering(
  space: readonly Float64Array[],
  opts: ResolvedClusterOptions,
  progress: (phase: ClusterProgress['phase'], done: number, total: number) => void,
  abortCheck: () => void,
): { labels: number[]; k: number; curve: Array<{ k: number; score: number }> } {
  const n = space.length;
  const candidates = candidateKs(n, opts);
  // Average linkage and silhouette both need all pairwise cosines; fixed-k k-means does not.
  const needMatrix = opts.method !== 'kmeans' || candidates.length > 1;
  const sims = needMatrix ? cosineMatrix(space, abortCheck) : undefined;

  let tree: LinkageTree | undefined;
  if (opts.method !== 'kmeans') {
    progress('linkage', 0, 1);
    tree =
      opts.method === 'ward'
        ? wardLinkage(sims as Float32Array, n, { shouldStop: abortCheck })
        : averageLinkage(sims as Float32Array, n, {
            stopAt: Math.min(...candidates),
            shouldStop: abortCheck,
          });
    progress('linkage', 1, 1);
  }
  const partition = (k: number): number[] => {
    if (tree) return cutTree(tree, k);
    return kmeansRestarts(space, k, {
      seed: opts.seed,
      restarts: opts.restarts,
      beforeRestart: abortCheck,
    }).labels;
  };

  if (candidates.length === 1) {
    const k = candidates[0] as number;
    if (opts.method === 'kmeans') progress('kmeans', 0, 1);
    const labels = partition(k);
    if (opts.method === 'kmeans') progress('kmeans', 1, 1);
    const score = sims && k >= 2 && k < n ? silhouette(sims, n, labels) : 0;
    return { labels, k, curve: [{ k, score }] };
  }

  const curve: Array<{ k: number; score: number }> = [];
  let best: { k: number; score: number; labels: number[] } | undefined;
  candidates.forEach((k, index) => {
    abortCheck();
    progress('select-k', index, candidates.length);
    const labels = partition(k);
    const score = silhouette(sims as Float32Array, n, labels);
    curve.push({ k, score });
    if (!best || score > best.score) best = { k, score, labels };
  });
  progress('select-k', candidates.length, candidates.length);
  const chosen = best as { k: number; labels: number[] };
  return { labels: chosen.labels, k: chosen.k, curve };
}

/**
 * Candidate ks. Fixed k: just k. 'auto': `kRange`, or by default
 * [sqrt(n/2), 2*sqrt(n/2)] (14..28 for 390 items), clamped to [2, n-1] where silhouette
 * is defined. Why not a wider band: silhouette on these vectors favours few, coarse
 * clusters; with a lower bound of sqrt(n/2)/2 it chose k=6..9 in 4 of 6
 * leave-one-salon-out runs (mean NMI 0.39); with this band, mean NMI 0.44.
 * With a guide of G themes the default band moves up by G: the guides set the coarse
 * structure (clusters that clearly match one merge into it), and the discovered themes
 * keep the budget an unguided run would have.
 */
export function candidateKs(
  n: number,
  opts: Pick<ResolvedClusterOptions, 'k' | 'kRange' | 'guide'>,
): number[] {
  if (typeof opts.k === 'number') return [opts.k];
  if (n < 3) return [1];
  const rule = Math.sqrt(n / 2);
  const shift = opts.guide?.length ?? 0;
  const [lo0, hi0] = opts.kRange ?? [
    Math.max(2, Math.round(rule)) + shift,
    Math.round(rule * 2) + shift,
  ];
  const hi = Math.min(hi0, n - 1);
  const lo = Math.max(2, Math.min(lo0, hi));
  const out: number[] = [];
  for (let k = lo; k <= hi; k++) out.push(k);
  return out;
}
