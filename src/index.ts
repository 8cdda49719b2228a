/**
 * salon-lens public API. Everything an app needs, grouped by stage; nothing else
 * is exported (stage internals stay private).
 *
 *   import { SalonLens, analyze, parseSalon, createEmbedder } from 'salon-lens';
 *
 *   const lens = await SalonLens.openOrCreate('.salon-lens');
 *   await lens.add(['salons/']);
 *   console.log((await lens.similarQuestions())[0]);
 *   await lens.report({ outDir: 'salon-report' });
 *   await lens.close();
 */

export { type AnalyzeOptions, type AnalyzeResult, analyze } from './api/analyze.js';
export {
  type CreateOptions,
  CreateOptionsSchema,
  type OpenOptions,
  OpenOptionsSchema,
  type ReportOptions,
  ReportOptionsSchema,
} from './api/options.js';
// The pipeline as one object, and as one verb
export { type ReportResult, SalonLens, type ThemesOptions } from './api/salon-lens.js';
export {
  readVectorExport,
  VECTOR_EXPORT_FORMATS,
  type VectorExport,
  type VectorExportFormat,
} from './api/vector-export.js';
// Themes
export {
  type ClusterOptions,
  type GuideEntry,
  GuideSchema,
  type Theme,
  type ThemeItemRef,
  ThemeItemRefSchema,
  ThemeSchema,
  type ThemesResult,
  ThemesResultSchema,
} from './cluster/index.js';

// Embedding: local CPU models
export {
  createEmbedder,
  createMemoryEmbeddingCache,
  type EmbedCallOptions,
  type Embedder,
  type EmbedderOptions,
  EmbedderOptionsSchema,
  type EmbedderThresholds,
  type EmbeddingCache,
  type EmbedProgress,
  ONNX_INSTALL_HINT,
  openEmbeddingCache,
  runtimeLabel,
  runtimeName,
  withEmbeddingCache,
} from './embed/index.js';
export {
  ERROR_CODES,
  type ErrorCode,
  isSalonLensError,
  SalonLensError,
  SalonParseError,
} from './errors.js';
// Store queries and their result shapes
export {
  type AddSalonsOptions,
  type AddSummary,
  type LensInfo,
  type LensProgress,
  QUESTION_SCORINGS,
  type QuestionScoring,
  type SalonRef,
  SalonRefSchema,
  type SalonReplacement,
  SCORINGS,
  type Scoring,
  type SearchHit,
  SearchHitSchema,
  type SearchOptions,
  type SimilarQuestionGroup,
  SimilarQuestionGroupSchema,
  type SimilarQuestionsOptions,
  type SimilarToOptions,
  type StoredSalonInfo,
  type VectorSearchOptions,
  type VerifyReport,
} from './index/index.js';
// Parsing: takeaways documents → Salons
export {
  type ContentWarning,
  contentWarnings,
  type Item,
  ItemSchema,
  type LoadOptions,
  type LoadResult,
  type LoadWarning,
  loadSalons,
  type ParseOptions,
  type ParseWarning,
  ParseWarningSchema,
  parseSalon,
  renderSalon,
  type Salon,
  SalonSchema,
  SECTIONS,
  type Section,
  SectionSchema,
} from './parse/index.js';
// Reports
export {
  REPORT_FORMATS,
  type ReportData,
  ReportDataSchema,
  type ReportFormat,
} from './report/index.js';
// Errors and version
export { VERSION } from './version.js';
