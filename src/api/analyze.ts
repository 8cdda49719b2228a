/**
 * The one high-level verb: salon documents in, theme report out.
 *
 *   const { report, added } = await analyze(['examples/salons'], { store: '.salon-lens', outDir: 'salon-report' });
 *
 * Builds or updates the store (unchanged salons are not embedded again), clusters,
 * and writes the report files.
 */
import type { AddSummary } from '../index/index.js';
import type { CreateOptions, ReportOptions } from './options.js';
import { type ReportResult, SalonLens } from './salon-lens.js';

export interface AnalyzeOptions extends Omit<ReportOptions, 'onProgress' | 'signal'> {
  /** Store folder (created when missing). */
  store: string;
  embedder?: CreateOptions['embedder'];
  /** Skip invalid documents (listed in `added.skipped`) instead of failing. @default false */
  skipInvalid?: boolean;
  onProgress?: (event: { stage: string; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface AnalyzeResult {
  added: AddSummary;
  report: ReportResult;
}

export async function analyze(
  paths: readonly string[],
  options: AnalyzeOptions,
): Promise<AnalyzeResult> {
  const { store, embedder, skipInvalid, onProgress, signal, ...reportOptions } = options;
  const lens = await SalonLens.openOrCreate(store, embedder ? { embedder } : {});
  try {
    const added = await lens.add(paths, { onProgress, signal, skipInvalid });
    const report = await lens.report({ ...reportOptions, onProgress, signal });
    return { added, report };
  } finally {
    await lens.close();
  }
}
