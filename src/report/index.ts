/**
 * Report stage: ReportData → Markdown, self-contained HTML and JSON reports.
 * This file is the stage's only door.
 *
 *   import { buildReportData, writeReport } from './report/index.js';
 *   const data = buildReportData({ salons, items, vectors, themes, recurringQuestions,
 *     embedder: { id: embedder.id, dim: embedder.dim }, builtAt: new Date().toISOString() });
 *   const paths = await writeReport(data, { outDir: 'out', formats: ['md', 'html', 'json'] });
 */

export {
  type BuildReportInput,
  BuildReportInputSchema,
  buildReportData,
} from './build-report-data.js';
export { type Point2d, projectTo2d } from './project-2d.js';
export { REPORT_CSP, renderHtml } from './render-html.js';
export { renderJson } from './render-json.js';
// Renderers (pure, sync)
export { renderMarkdown } from './render-markdown.js';
// Data
export {
  type MapPoint,
  MapPointSchema,
  REPORT_FORMAT_VERSION,
  type ReportData,
  ReportDataSchema,
  type ReportItem,
  ReportItemSchema,
  type ReportSalon,
  ReportSalonSchema,
} from './schema.js';

// Files (async)
export {
  REPORT_FORMATS,
  type ReportFormat,
  type ReportPaths,
  refuseForeignReports,
  type WriteReportOptions,
  WriteReportOptionsSchema,
  writeReport,
} from './write-report.js';
