/**
 * The one high-level verb: salon documents in, theme report out.
 *
 *   const { report, added } = await analyze(['examples/salons'], { store: '.salon-lens', outDir: 'salon-report' });
 *
 * Builds or updates the store (unchanged salons are not embedded again), clusters,
 * and writes the report files.
 */
import type { AddSummary } from '../index/index.js';
import {
  assertNoWarnings,
  type ContentWarning,
  contentWarnings,
  loadSalons,
  type ParseOptions,
} from '../parse/index.js';
import type { CreateOptions, ReportOptions } from './options.js';
import { type ReportResult, SalonLens } from './salon-lens.js';

export interface AnalyzeOptions extends Omit<ReportOptions, 'onProgress' | 'signal'> {
  /** Store folder (created when missing). */
  store: string;
  embedder?: CreateOptions['embedder'];
  /** Skip invalid documents (listed in `added.skipped`) instead of failing. @default false */
  skipInvalid?: boolean;
  /** Your own headings mapped to a section, e.g. `{ 'Where we disagreed': 'disagreement' }`. */
  headingAliases?: ParseOptions['headingAliases'];
  /** Any warning is an error, thrown before anything is stored. @default false */
  strict?: boolean;
  onProgress?: (event: { stage: string; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface AnalyzeResult {
  added: AddSummary;
  report: ReportResult;
  /**
   * Content left out or worth a look: lines the parser skipped (unknown headings,
   * chatter, leaked instructions) and whole files (the tool's own reports, empty
   * salons, duplicates). The same list as `added.warnings`.
   */
  warnings: ContentWarning[];
}

export async function analyze(
  paths: readonly string[],
  options: AnalyzeOptions,
): Promise<AnalyzeResult> {
  const {
    store,
    embedder,
    skipInvalid,
    headingAliases,
    strict,
    onProgress,
    signal,
    ...reportOptions
  } = options;
  // Never read what this tool wrote: the store, the report folder (when they sit
  // inside a salons folder) or an earlier report moved elsewhere (see loadSalons).
  const exclude = [store, ...(reportOptions.outDir ? [reportOptions.outDir] : [])];
  const loaded = await loadSalons(paths, {
    exclude,
    skipInvalid,
    onProgress,
    ...(headingAliases ? { headingAliases } : {}),
  });
  const { salons, skipped } = loaded;
  const warnings = contentWarnings(salons, loaded.warnings);
  if (strict) assertNoWarnings(warnings);
  const lens = await SalonLens.openOrCreate(store, embedder ? { embedder } : {});
  try {
    const added = { ...(await lens.add(salons, { onProgress, signal })), skipped, warnings };
    const report = await lens.report({ ...reportOptions, onProgress, signal });
    return { added, report, warnings };
  } finally {
    await lens.close();
  }
}
