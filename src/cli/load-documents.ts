/**
 * Reading salon documents for `index` and `report`: warnings and skipped files on
 * stderr, and an invalid document's error that names the way out (`--skip-invalid`).
 */
import { isSalonLensError, SalonLensError } from '../errors.js';
import { loadSalons, type Salon } from '../parse/index.js';
import { info } from './io.js';
import type { ProgressEvent } from './progress.js';

export interface LoadFlags {
  maxBytes?: number;
  skipInvalid?: boolean;
}

export const SKIP_INVALID_HELP =
  'index the valid documents and list each invalid one (with its reason) on stderr';

export async function loadDocuments(
  paths: readonly string[],
  flags: LoadFlags,
  onProgress: (event: ProgressEvent) => void,
): Promise<{ salons: Salon[]; skipped: Array<{ file: string; message: string }> }> {
  let loaded: Awaited<ReturnType<typeof loadSalons>>;
  try {
    loaded = await loadSalons(paths, {
      maxBytes: flags.maxBytes,
      skipInvalid: flags.skipInvalid ?? false,
      onProgress,
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
  for (const w of loaded.warnings) info(`warning: ${w.file}: ${w.message}`);
  for (const s of loaded.skipped) info(`skipped: ${s.message}`);
  if (loaded.salons.length === 0 && loaded.skipped.length > 0) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `No valid salon documents in ${paths.join(', ')}: all ${loaded.skipped.length} were skipped.`,
      { details: { paths, skipped: loaded.skipped } },
    );
  }
  return { salons: loaded.salons, skipped: loaded.skipped };
}
