/**
 * Read salon documents from files and folders.
 *
 *   const { salons, warnings } = await loadSalons(['examples/salons']);
 *
 * Folders are walked recursively for `.md` / `.txt`; files named explicitly are
 * read whatever their extension. Output order is stable: by date, then id.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SalonLensError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { parseSalon } from './parse-salon.js';
import type { Salon } from './schema.js';

export interface LoadOptions {
  /** Per-document size limit in bytes (default 16 MiB). */
  maxBytes?: number;
  /**
   * Skip documents that fail to read or parse (listed in `skipped`) instead of
   * failing the whole load on the first one. @default false
   */
  skipInvalid?: boolean;
  /** Called after each document is read: `{ stage: 'parse', done, total }` in documents. */
  onProgress?: (event: { stage: 'parse'; done: number; total: number }) => void;
}

export interface LoadWarning {
  file: string;
  message: string;
}

export interface LoadResult {
  salons: Salon[];
  /** File-level warnings (collapsed duplicates). Per-line warnings live on each salon. */
  warnings: LoadWarning[];
  /** Documents left out under `skipInvalid`, each with the error that made it invalid. */
  skipped: LoadWarning[];
}

/** Errors that make one document unusable without saying anything about the others. */
const SKIPPABLE = new Set(['PARSE_ERROR', 'INPUT_TOO_LARGE']);

const DOCUMENT_EXT = /\.(?:md|txt|markdown)$/i;

export async function loadSalons(
  pathsOrDirs: readonly string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  if (pathsOrDirs.length === 0) {
    throw new SalonLensError('INPUT_ERROR', 'No input: give at least one salon file or folder.');
  }
  const files: string[] = [];
  for (const input of pathsOrDirs) files.push(...(await listDocuments(input)));

  const byId = new Map<string, Salon>();
  const warnings: LoadWarning[] = [];
  const skipped: LoadWarning[] = [];
  const unique = [...new Set(files)];
  for (const [done, file] of unique.entries()) {
    options.onProgress?.({ stage: 'parse', done, total: unique.length });
    const salon = await readSalon(file, options, skipped);
    if (!salon) continue;
    const seen = byId.get(salon.id);
    if (!seen) {
      byId.set(salon.id, salon);
    } else if (salonContentHash(seen) === salonContentHash(salon)) {
      warnings.push({
        file,
        message: `same salon as ${seen.source} (id ${salon.id}, identical content); ignored`,
      });
    } else {
      throw new SalonLensError(
        'DUPLICATE_SALON',
        `Two different documents claim salon id "${salon.id}": ${seen.source} and ${file}. ` +
          'Rename one recording header (or file) so each salon has its own date and title.',
        { details: { id: salon.id, files: [seen.source, file] } },
      );
    }
  }
  options.onProgress?.({ stage: 'parse', done: unique.length, total: unique.length });
  const salons = [...byId.values()].sort(compareSalons);
  return { salons, warnings, skipped };
}

/** One document, or undefined when it is invalid and `skipInvalid` lets it be skipped. */
async function readSalon(
  file: string,
  options: LoadOptions,
  skipped: LoadWarning[],
): Promise<Salon | undefined> {
  try {
    return parseSalon(await readFile(file), { source: file, maxBytes: options.maxBytes });
  } catch (error) {
    if (!options.skipInvalid) throw error;
    if (error instanceof SalonLensError && SKIPPABLE.has(error.code)) {
      skipped.push({ file, message: error.message });
      return undefined;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EISDIR' || code === 'ENOENT' || code === 'EPERM') {
      skipped.push({ file, message: `${file}: cannot be read (${code})` });
      return undefined;
    }
    throw error;
  }
}

/** Hash of what a salon means (identity + items), independent of line endings or layout. */
export function salonContentHash(salon: Pick<Salon, 'id' | 'date' | 'title' | 'items'>): string {
  const canonical = {
    id: salon.id,
    date: salon.date ?? null,
    title: salon.title,
    items: salon.items.map((item) => [item.section, item.text]),
  };
  return sha256(JSON.stringify(canonical));
}

export function compareSalons(
  a: Pick<Salon, 'id' | 'date'>,
  b: Pick<Salon, 'id' | 'date'>,
): number {
  const byDate = (a.date ?? '').localeCompare(b.date ?? '');
  return byDate !== 0 ? byDate : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

async function listDocuments(input: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch (cause) {
    throw new SalonLensError('INPUT_ERROR', `${input}: no such file or folder`, {
      details: { path: input },
      cause,
    });
  }
  if (info.isFile()) return [input];
  if (!info.isDirectory()) {
    throw new SalonLensError('INPUT_ERROR', `${input}: not a file or folder`, {
      details: { path: input },
    });
  }
  const found = await walk(input);
  if (found.length === 0) {
    throw new SalonLensError('INPUT_ERROR', `${input}: folder holds no .md or .txt documents`, {
      details: { path: input },
    });
  }
  return found;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    // Hidden folders (.git, .lens stores) and installed packages are never salons.
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && DOCUMENT_EXT.test(entry.name) && !/^readme\./i.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}
