/**
 * Parse stage: takeaways documents → Salons with typed, validated items.
 *
 *   import { parseSalon, loadSalons } from './parse/index.js';
 */
export { parseSalon, type ParseOptions } from './parse-salon.js';
export {
  loadSalons,
  salonContentHash,
  compareSalons,
  type LoadOptions,
  type LoadResult,
  type LoadWarning,
} from './load.js';
export { renderSalon } from './render.js';
export { DEFAULT_MAX_BYTES } from './decode.js';
export { isInstruction } from './instructions.js';
export {
  SECTIONS,
  SectionSchema,
  ItemSchema,
  SalonSchema,
  ParseWarningSchema,
  type Section,
  type Item,
  type Salon,
  type ParseWarning,
} from './schema.js';
