/**
 * Cluster stage: cross-salon themes from item vectors. The only door into src/cluster/.
 *
 *   import { clusterThemes } from './cluster/index.js';
 *   const { result, state } = clusterThemes(
 *     { salons, items, vectors, embedderId: embedder.id, thresholds: embedder.thresholds },
 *     { k: 'auto' },
 *     previousState, // optional: keeps ids of themes that still exist
 *   );
 */
export { type ClusterThemesOutput, clusterThemes } from './cluster-themes.js';
/** Guided themes: the user's own theme names (see guided.ts). */
export { type GuideEntry, GuideSchema, guideId, guideText } from './guided.js';
/** Agreement with reference labels, for evaluation (bench/quality.ts). */
export { adjustedRandIndex, normalizedMutualInfo } from './metrics.js';
export {
  type ClusterOptions,
  ClusterOptionsSchema,
  type ClusterProgress,
  type ThemeInput,
  type ThemeState,
  ThemeStateSchema,
} from './options.js';
export {
  type Theme,
  type ThemeItemRef,
  ThemeItemRefSchema,
  ThemeSchema,
  type ThemesResult,
  ThemesResultSchema,
} from './schema.js';
