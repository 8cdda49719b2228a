/**
 * `--guide "centralization,copyright,privacy"` and `--guide-file themes.json|themes.txt`:
 * the user's own theme names for `salon-lens themes` (see src/cluster/guided.ts).
 *
 * A .txt file holds one theme per line, optionally `name: description or keywords`;
 * blank lines and lines starting with `#` are skipped. A .json file holds an array of
 * names or of `{ "name", "description"?, "keywords"? }` objects.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type GuideEntry, GuideSchema } from '../cluster/index.js';
import { isSalonLensError, SalonLensError } from '../errors.js';
import { decodeDocument } from '../parse/decode.js';

export interface GuideFlags {
  guide?: string;
  guideFile?: string;
  /** From the config file's "guide"; used when neither flag is given. */
  configGuide?: GuideEntry[];
}

export function addGuideFlags(command: Command): Command {
  return command
    .option('--guide <names>', 'comma-separated theme names to look for first')
    .option('--guide-file <file>', 'theme names from a .txt (name[: description]) or .json file');
}

/** The guide the flags (else the config file) give; empty for none. Read before opening the store: a bad guide fails fast. */
export async function guideFromFlags(flags: GuideFlags): Promise<GuideEntry[]> {
  const given = [
    ...(flags.guide !== undefined ? guideFromList(flags.guide) : []),
    ...(flags.guideFile !== undefined ? await guideFromFile(flags.guideFile) : []),
  ];
  return flags.guide !== undefined || flags.guideFile !== undefined
    ? given
    : (flags.configGuide ?? []);
}

function invalid(where: string, expected: string): SalonLensError {
  return new SalonLensError('INVALID_OPTIONS', `${where}: expected ${expected}`, {
    details: { option: where },
  });
}

/** `--guide` value: comma-separated names. */
export function guideFromList(value: string): GuideEntry[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return checked(
    names.map((name) => ({ name })),
    '--guide',
  );
}

/** `--guide-file` contents, by extension (.json, else lines of text). */
export async function guideFromFile(file: string): Promise<GuideEntry[]> {
  const where = `--guide-file ${file}`;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new SalonLensError(
      'INVALID_OPTIONS',
      `${where}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      { details: { option: '--guide-file', file }, cause: error },
    );
  }
  const text = guideText(bytes, file, where);
  if (path.extname(file).toLowerCase() === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw invalid(where, `JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(parsed))
      throw invalid(where, 'a JSON array of names or { "name", "description", "keywords" }');
    return checked(
      parsed.map((entry) => (typeof entry === 'string' ? { name: entry } : entry)),
      where,
    );
  }
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const colon = line.indexOf(':');
      if (colon < 0) return { name: line };
      const description = line.slice(colon + 1).trim();
      return description
        ? { name: line.slice(0, colon).trim(), description }
        : { name: line.slice(0, colon).trim() };
    });
  return checked(entries, where);
}

/** Theme names are short: a guide file of more than this is not one. */
const MAX_GUIDE_BYTES = 1 << 20;

/**
 * The file as text, refused as salon documents are when it is binary (NUL bytes,
 * invalid UTF-8, mostly control characters): read as lines, random bytes became
 * dozens of "guided" themes with garbage names.
 */
function guideText(bytes: Buffer, file: string, where: string): string {
  try {
    return decodeDocument(bytes, { file, maxBytes: MAX_GUIDE_BYTES });
  } catch (error) {
    if (!isSalonLensError(error)) throw error;
    const found = error.details.found ?? `over ${MAX_GUIDE_BYTES} bytes`;
    const line = error.details.line === undefined ? '' : ` (line ${error.details.line})`;
    throw invalid(where, `a text file of theme names, found ${found}${line}`);
  }
}

function checked(entries: unknown[], where: string): GuideEntry[] {
  const result = GuideSchema.safeParse(entries);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue?.path.length ? ` (entry ${Number(issue.path[0]) + 1})` : '';
  throw invalid(where, `${issue?.message ?? 'theme names'}${at}`.replace(/^expected /, ''));
}
