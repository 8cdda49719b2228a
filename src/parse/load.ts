/**
 * Read salon documents from files and folders.
 *
 *   const { salons, warnings } = await loadSalons(['examples/salons'], { exclude: ['salon-report'] });
 *
 * Folders are walked recursively for `.md` / `.txt`, following symbolic links
 * (each real folder once, so a link loop ends); files named explicitly are read
 * whatever their extension. salon-lens' own reports and the `exclude` folders (the
 * report output and the store) are never read as salons. Output order is stable:
 * by date, then id.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SalonLensError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { type ParseOptions, parseSalon } from './parse-salon.js';
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
  /** Folders never walked into (e.g. the report output folder and the store). */
  exclude?: readonly string[];
  /** Your own headings mapped to a section (see ParseOptions.headingAliases). */
  headingAliases?: ParseOptions['headingAliases'];
}

export interface LoadWarning {
  file: string;
  message: string;
}

export interface LoadResult {
  salons: Salon[];
  /** File-level warnings (collapsed duplicates). Per-line warnings live on each salon. */
  warnings: LoadWarning[];
  /**
   * Documents left out under `skipInvalid`, each with the error that made it invalid,
   * and (always) entries of a folder named like documents that are no regular file.
   */
  skipped: LoadWarning[];
}

/** Errors that make one document unusable without saying anything about the others. */
// INPUT_ERROR: a file that cannot be read (permissions, a folder named like a document).
const SKIPPABLE = new Set(['PARSE_ERROR', 'INPUT_TOO_LARGE', 'INPUT_ERROR']);

const DOCUMENT_EXT = /\.(?:md|txt|markdown)$/i;

/** First line of every Markdown report salon-lens writes (see report/render-markdown.ts). */
export const REPORT_MARKER = '<!-- salon-lens report: generated, not a salon document -->';
/** Reports written before the marker existed: a title, then "Built … with the `…` embedder". */
const OLD_REPORT = /^# [^\n]*\n\nBuilt [^\n]* with the `[^`\n]+` embedder \(\d+ dimensions\)/;

interface WalkContext {
  /** Real paths of folders walked so far: a symlink loop or a second link to a folder stops here. */
  seen: Set<string>;
  exclude: Set<string>;
  warnings: LoadWarning[];
  /** Entries named like documents that are no regular file (FIFOs, devices). */
  skipped: LoadWarning[];
}
export async function loadSalons(
  pathsOrDirs: readonly string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  if (pathsOrDirs.length === 0) {
    throw new SalonLensError('INPUT_ERROR', 'No input: give at least one salon file or folder.');
  }
  const warnings: LoadWarning[] = [];
  const exclude = new Set<string>();
  for (const dir of options.exclude ?? []) {
    exclude.add(await realpath(dir).catch(() => path.resolve(dir)));
  }
  const skipped: LoadWarning[] = [];
  const context: WalkContext = { seen: new Set(), exclude, warnings, skipped };
  const files: string[] = [];
  for (const input of pathsOrDirs) files.push(...(await listDocuments(input, context)));

  const byId = new Map<string, Salon>();
  const unique = [...new Set(files)];
  for (const [done, file] of unique.entries()) {
    options.onProgress?.({ stage: 'parse', done, total: unique.length });
    const salon = await readSalon(file, options, warnings, skipped);
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

/**
 * One document, or undefined when it is one of salon-lens' own reports (a warning)
 * or invalid and `skipInvalid` lets it be skipped.
 */
async function readSalon(
  file: string,
  options: LoadOptions,
  warnings: LoadWarning[],
  skipped: LoadWarning[],
): Promise<Salon | undefined> {
  try {
    const bytes = await readInput(file);
    if (isOwnReport(bytes)) {
      warnings.push({
        file,
        message: 'a report written by salon-lens, not a salon document; skipped',
      });
      return undefined;
    }
    const salon = parseSalon(bytes, {
      source: file,
      maxBytes: options.maxBytes,
      ...(options.headingAliases ? { headingAliases: options.headingAliases } : {}),
      folder: path.basename(path.dirname(path.resolve(file))),
    });
    if (salon.items.length === 0) {
      warnings.push({
        file,
        message: 'holds section headings but no items: the salon has nothing to search or cluster',
      });
    }
    return salon;
  } catch (error) {
    if (options.skipInvalid && error instanceof SalonLensError && SKIPPABLE.has(error.code)) {
      skipped.push({ file, message: error.message });
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

/** Whether these bytes open like a Markdown report salon-lens wrote (its marker, or the older heading). */
export function isOwnReport(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n');
  return head.startsWith(REPORT_MARKER) || OLD_REPORT.test(head);
}

/** The file's bytes, or one INPUT_ERROR line naming it (permissions, a folder, …). */
async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw inputError(file, cause);
  }
}

function inputError(file: string, cause: unknown): SalonLensError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied: give your user read access to it (chmod/chown) or leave it out'
      : code === 'ENOENT'
        ? 'no such file or folder'
        : code === 'ELOOP'
          ? 'a loop of symbolic links'
          : `cannot be read (${code ?? (cause as Error).message})`;
  return new SalonLensError('INPUT_ERROR', `${file}: ${why}`, {
    details: { path: file, code },
    cause,
  });
}

async function listDocuments(input: string, context: WalkContext): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch (cause) {
    throw inputError(input, cause);
  }
  if (info.isFile()) return [input];
  if (!info.isDirectory()) {
    throw new SalonLensError('INPUT_ERROR', `${input}: not a file or folder`, {
      details: { path: input },
    });
  }
  const found = await walk(input, context);
  if (found.length === 0) {
    throw new SalonLensError('INPUT_ERROR', `${input}: folder holds no .md or .txt documents`, {
      details: { path: input },
    });
  }
  return found;
}

type SpecialFile = Pick<import('node:fs').Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice'>;

function specialKind(entry: SpecialFile): string {
  if (entry.isFIFO()) return 'a named pipe (FIFO)';
  if (entry.isSocket()) return 'a socket';
  return entry.isCharacterDevice() ? 'a character device' : 'a device';
}

async function walk(dir: string, context: WalkContext): Promise<string[]> {
  const real = await realpath(dir).catch((cause) => {
    throw inputError(dir, cause);
  });
  if (context.exclude.has(real) || context.seen.has(real)) return [];
  context.seen.add(real);
  const entries = await readdir(dir, { withFileTypes: true }).catch((cause) => {
    throw inputError(dir, cause);
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    // Hidden folders (.git, .lens stores) and installed packages are never salons.
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    let special: SpecialFile = entry;
    let kind: 'dir' | 'file' | 'other' = entry.isDirectory()
      ? 'dir'
      : entry.isFile()
        ? 'file'
        : 'other';
    if (entry.isSymbolicLink()) {
      // Followed: a folder of links to documents is a folder of documents.
      const target = await stat(full).catch(() => undefined);
      if (!target) {
        context.warnings.push({
          file: full,
          message: 'a broken symbolic link (or a loop of links); skipped',
        });
        continue;
      }
      kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
      special = target;
    }
    if (kind === 'dir') out.push(...(await walk(full, context)));
    else if (DOCUMENT_EXT.test(entry.name) && !/^readme\./i.test(entry.name)) {
      if (kind === 'file') out.push(full);
      // A FIFO, device or socket named like a document: reading it could block
      // forever or never end (a link to /dev/zero), so it is not read, but said.
      else {
        const what = `${specialKind(special)}, not a regular file`;
        context.skipped.push({ file: full, message: `${full}: ${what}; not read` });
      }
    }
  }
  return out;
}
