/**
 * Index stage: the persistent lens store (items, vectors, HNSW graph) with
 * search, filters, similar questions and derived state.
 *
 *   import { createLens, openLens } from './index/index.js';
 *   const lens = await openLens('.lens', { embedder, readOnly: true });
 *   const hits = await lens.search('data ownership', { k: 5 });
 */

export { QUESTION_SCORINGS, type QuestionScoring, SCORINGS, type Scoring } from './csls/hubness.js';
export {
  type AddSummary,
  Lens,
  type LensInfo,
  type LensSnapshot,
  type RecallReport,
  type SalonReplacement,
  type StoredSalonInfo,
} from './lens.js';
export { createLens, lensExists, openLens, storedEmbedderId, verifyLens } from './lens-open.js';
export {
  type AddSalonsOptions,
  type CreateLensOptions,
  type ItemFilter,
  LENS_DEFAULTS,
  type LensProgress,
  type OpenLensOptions,
  type RecallCheckOptions,
  type RemoveSalonsOptions,
  SEARCH_MODES,
  type SearchMode,
  type SearchOptions,
  type SimilarQuestionsOptions,
  type SimilarToOptions,
  type VectorSearchOptions,
} from './options.js';
export { wordingKey } from './recurring/question-wordings.js';
export {
  reachLine,
  type Wording,
  wordingNumbers,
  wordingsOf,
} from './recurring/recurring-entry.js';
export {
  type SalonRef,
  SalonRefSchema,
  type SearchHit,
  SearchHitSchema,
  type SimilarQuestionGroup,
  SimilarQuestionGroupSchema,
} from './schema.js';
export { isPostgresUrl, parseStoreAddress, redact, type StoreAddress } from './storage/address.js';
export {
  type Manifest,
  ManifestSchema,
  manifestFiles,
  readManifest,
  rebuildPaths,
  STORE_FORMAT_VERSION,
} from './storage/file/manifest.js';
export type { VerifyReport } from './storage/seam.js';
