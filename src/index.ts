/**
 * salon-lens public API. Everything an app needs, grouped by stage; nothing else
 * is exported (stage internals stay private).
 *
 *   import { SalonLens, analyze, parseSalon, createEmbedder } from 'salon-lens';
 *
 *   const lens = await SalonLens.openOrCreate('.salon-lens');
 *   await lens.add(['salons/']);
 *   console.log(lens.similarQuestions()[0]);
 *   await lens.report({ outDir: 'salon-report' });
 *   await lens.close();
 */

// The pipeline as one object, and as one verb
export { SalonLens, type ThemesOptions, type ReportResult } from './api/salon-lens.js';
export { analyze, type AnalyzeOptions, type AnalyzeResult } from './api/analyze.js';
export {
  OpenOptionsSchema,
  CreateOptionsSchema,
  ReportOptionsSchema,
  type OpenOptions,
  type CreateOptions,
  type ReportOptions,
} from './api/options.js';

// Parsing: takeaways documents → Salons
export {
  parseSalon,
  loadSalons,
  renderSalon,
  SECTIONS,
  SectionSchema,
  ItemSchema,
  SalonSchema,
  ParseWarningSchema,
  type ParseOptions,
  type LoadOptions,
  type LoadResult,
  type LoadWarning,
  type Section,
  type Item,
  type Salon,
  type ParseWarning,
} from './parse/index.js';

// Embedding: local CPU models
export {
  createEmbedder,
  withEmbeddingCache,
  openEmbeddingCache,
  createMemoryEmbeddingCache,
  EmbedderOptionsSchema,
  type Embedder,
  type EmbedderOptions,
  type EmbedderThresholds,
  type EmbedProgress,
  type EmbedCallOptions,
  type EmbeddingCache,
} from './embed/index.js';

// Store queries and their result shapes
export {
  SearchHitSchema,
  SimilarQuestionGroupSchema,
  SalonRefSchema,
  type SearchHit,
  type SimilarQuestionGroup,
  type SalonRef,
  type SearchOptions,
  type SimilarQuestionsOptions,
  type SimilarToOptions,
  type AddSalonsOptions,
  type AddSummary,
  type LensInfo,
  type LensProgress,
  type VerifyReport,
} from './index/index.js';

// Themes
export {
  ThemesResultSchema,
  ThemeSchema,
  ThemeItemRefSchema,
  type ThemesResult,
  type Theme,
  type ThemeItemRef,
  type ClusterOptions,
} from './cluster/index.js';

// Reports
export { ReportDataSchema, REPORT_FORMATS, type ReportData, type ReportFormat } from './report/index.js';

// Errors and version
export { VERSION } from './version.js';
export { SalonLensError, SalonParseError, isSalonLensError, ERROR_CODES, type ErrorCode } from './errors.js';
