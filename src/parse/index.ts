/**
 * Parse stage: takeaways documents → Salons with typed, validated items.
 *
 *   import { parseSalon, loadSalons } from './parse/index.js';
 */

export { assertNoWarnings, type ContentWarning, contentWarnings } from './content-warnings.js';
export { DEFAULT_MAX_BYTES } from './decode.js';
export { isRealDate } from './header.js';
export { isInstruction } from './instructions.js';
export {
  compareSalons,
  isOwnReport,
  type LoadOptions,
  type LoadResult,
  type LoadWarning,
  loadSalons,
  REPORT_MARKER,
  salonContentHash,
} from './load.js';
export { type ParseOptions, parseSalon } from './parse-salon.js';
export { renderSalon } from './render.js';
export {
  type Item,
  ItemSchema,
  type ParseWarning,
  ParseWarningSchema,
  type Salon,
  SalonSchema,
  SECTIONS,
  type Section,
  SectionSchema,
} from './schema.js';
