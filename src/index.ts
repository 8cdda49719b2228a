/**
 * salon-lens public API.
 *
 *   import { parseSalon, loadSalons } from 'salon-lens';
 */

// Parsing
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

// Errors
export { SalonLensError, SalonParseError, isSalonLensError, ERROR_CODES, type ErrorCode } from './errors.js';
