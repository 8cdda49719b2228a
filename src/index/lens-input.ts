/**
 * What an `addSalons` call reads and what it changes: salons from paths or parsed
 * salons (checked, de-duplicated), and the plan against the stored salons (new,
 * changed, unchanged, replaced by another document).
 */
import { z } from 'zod';
import { parseOptions, SalonLensError } from '../errors.js';
import {
  compareSalons,
  contentWarnings,
  loadSalons,
  type Salon,
  SalonSchema,
  type Section,
  salonContentHash,
} from '../parse/index.js';
import type { AddSummary, SalonReplacement } from './lens-types.js';
import type { LensProgress } from './options.js';
import type { StoredSalon } from './storage/seam.js';

/** Salons from paths (progress counts documents) or validated parsed salons. */
export async function readSalonInput(
  input: readonly string[] | readonly Salon[],
  options: {
    maxBytes?: number;
    skipInvalid: boolean;
    headingAliases?: Record<string, Section>;
  },
  progress: (p: LensProgress) => void,
): Promise<Pick<AddSummary, 'skipped' | 'warnings'> & { salons: Salon[] }> {
  if (!Array.isArray(input)) {
    throw new SalonLensError(
      'INVALID_OPTIONS',
      'addSalons: expected an array of paths or of parsed salons',
    );
  }
  if (input.length === 0) return { salons: [], skipped: [], warnings: [] };
  if (input.every((x) => typeof x === 'string')) {
    const { maxBytes, skipInvalid, headingAliases } = options;
    const loaded = await loadSalons(input as string[], {
      maxBytes,
      skipInvalid,
      onProgress: progress,
      ...(headingAliases ? { headingAliases } : {}),
    });
    const warnings = contentWarnings(loaded.salons, loaded.warnings);
    return { salons: loaded.salons, skipped: loaded.skipped, warnings };
  }
  const salons = parseOptions(z.array(SalonSchema), input, 'addSalons salons');
  progress({ stage: 'parse', done: salons.length, total: salons.length });
  const seen = new Map<string, Salon>();
  for (const salon of salons) {
    const other = seen.get(salon.id);
    if (other && salonContentHash(other) !== salonContentHash(salon)) {
      throw new SalonLensError(
        'DUPLICATE_SALON',
        `Two different salons share the id "${salon.id}" (${other.source} and ${salon.source}).`,
        { details: { id: salon.id, sources: [other.source, salon.source] } },
      );
    }
    seen.set(salon.id, salon);
  }
  const sorted = [...seen.values()].sort(compareSalons);
  return { salons: sorted, skipped: [], warnings: contentWarnings(sorted) };
}

export interface AddPlan {
  /** Salons to store (new, or replacing a stored salon whose content changed). */
  changed: Array<{ salon: Salon; contentHash: string }>;
  /** Stored salon ids to remove (the same document stored under another id). */
  remove: string[];
  replaced: SalonReplacement[];
  counts: Pick<AddSummary, 'added' | 'updated' | 'unchanged'>;
}

/** What storing `salons` changes in a store holding `storedSalons`. */
export function planAdd(storedSalons: readonly StoredSalon[], salons: readonly Salon[]): AddPlan {
  const counts = { added: 0, updated: 0, unchanged: 0 };
  const stored = new Map(storedSalons.map((s) => [s.id, s]));
  const incoming = new Set(salons.map((s) => s.id));
  const changed: Array<{ salon: Salon; contentHash: string }> = [];
  const replaced: SalonReplacement[] = [];
  const remove: string[] = [];
  for (const salon of salons) {
    const contentHash = salonContentHash(salon);
    const before = stored.get(salon.id);
    if (before?.contentHash === contentHash) counts.unchanged++;
    else {
      if (before) counts.updated++;
      else counts.added++;
      changed.push({ salon, contentHash });
      if (before && (before.source !== salon.source || before.title !== salon.title)) {
        replaced.push(replacement(before, salon));
      }
    }
    // The same file stored under another id (its header was edited, or the id
    // scheme for headerless files changed): one document is one salon.
    for (const old of stored.values()) {
      if (old.source === salon.source && old.id !== salon.id && !incoming.has(old.id)) {
        remove.push(old.id);
        replaced.push(replacement(old, salon));
      }
    }
  }
  return { changed, remove, replaced, counts };
}

function replacement(before: StoredSalon, salon: Salon): SalonReplacement {
  return {
    id: salon.id,
    previousId: before.id,
    previous: { title: before.title, source: before.source },
    now: { title: salon.title, source: salon.source },
  };
}
