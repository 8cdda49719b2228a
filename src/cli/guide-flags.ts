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
import { SalonLensError } from '../errors.js';

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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SalonLensError(
      'INVALID_OPTIONS',
      `${where}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      { details: { option: '--guide-file', file }, cause: error },
    );
  }
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

function checked(entries: unknown[], where: string): GuideEntry[] {
  const result = GuideSchema.safeParse(entries);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue?.path.length ? ` (entry ${Number(issue.path[0]) + 1})` : '';
  throw invalid(where, `${issue?.message ?? 'theme names'}${at}`.replace(/^expected /, ''));
}
