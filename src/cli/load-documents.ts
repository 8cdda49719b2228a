/**
 * Reading salon documents for `index` and `report`: warnings and skipped files on
 * stderr, and an invalid document's error that names the way out (`--skip-invalid`).
 */
import { isSalonLensError, SalonLensError } from '../errors.js';
import {
  assertNoWarnings,
  type ContentWarning,
  contentWarnings,
  loadSalons,
  type ParseOptions,
  type Salon,
} from '../parse/index.js';
import { printWarnings } from './content-warnings.js';
import { info } from './io.js';
import type { ProgressEvent } from './progress.js';

export interface LoadFlags {
  maxBytes?: number;
  skipInvalid?: boolean;
  /** Folders never walked into (the store, the report folder). */
  exclude?: readonly string[];
  /** From the config file: the user's own headings mapped to a section. */
  headingAliases?: ParseOptions['headingAliases'];
  /** Any warning is an error (exit 1, nothing stored). */
  strict?: boolean;
}

export const STRICT_HELP =
  'treat any warning about the documents as an error: exit 1, nothing stored';

export const SKIP_INVALID_HELP =
  'index the valid documents and list each invalid one (with its reason) on stderr';

export async function loadDocuments(
  paths: readonly string[],
  flags: LoadFlags,
  onProgress: (event: ProgressEvent) => void,
): Promise<{
  salons: Salon[];
  skipped: Array<{ file: string; message: string }>;
  warnings: ContentWarning[];
}> {
  let loaded: Awaited<ReturnType<typeof loadSalons>>;
  try {
    loaded = await loadSalons(paths, {
      maxBytes: flags.maxBytes,
      skipInvalid: flags.skipInvalid ?? false,
      exclude: flags.exclude,
      onProgress,
      ...(flags.headingAliases ? { headingAliases: flags.headingAliases } : {}),
    });
  } catch (error) {
    if (isSalonLensError(error, 'PARSE_ERROR') || isSalonLensError(error, 'INPUT_TOO_LARGE')) {
      throw new SalonLensError(
        error.code,
        `${error.message.replace(/\.$/, '')}. Nothing was indexed: add --skip-invalid to ` +
          'index the other documents and list each invalid one.',
        { details: error.details, cause: error },
      );
    }
    throw error;
  }
  const warnings = contentWarnings(loaded.salons, loaded.warnings);
  printWarnings(warnings);
  for (const s of loaded.skipped) info(`skipped: ${s.message}`);
  if (flags.strict) assertNoWarnings(warnings);
  if (loaded.salons.length === 0 && loaded.skipped.length > 0) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `No valid salon documents in ${paths.join(', ')}: all ${loaded.skipped.length} were skipped.`,
      { details: { paths, skipped: loaded.skipped } },
    );
  }
  return { salons: loaded.salons, skipped: loaded.skipped, warnings };
}
