/**
 * CLI edge: exit codes, error printing and JSON output (progress: progress.ts,
 * tables: table.ts).
 * stdout carries results only (so `--json` can be piped); everything for
 * humans while work runs (progress, warnings) goes to stderr.
 */
import { isSalonLensError, type SalonLensError } from '../errors.js';
import { terminalSafeLines } from './terminal-text.js';

/** interrupted: 128 + SIGINT, what a shell reports for a Ctrl-C'd command. */
export const EXIT = { ok: 0, badInput: 1, usage: 2, interrupted: 130 } as const;

/** Thrown by command handlers for usage mistakes commander cannot see (bad flag values). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A line for humans on stderr; control characters from untrusted text are shown escaped. */
export function info(message: string): void {
  process.stderr.write(`${terminalSafeLines(message)}\n`);
}

/**
 * Map any failure to one line on stderr and an exit code. Library errors carry
 * codes; anything else is a bug, shown with its stack only under DEBUG.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) {
    info(`salon-lens: ${error.message}`);
    return EXIT.usage;
  }
  if (isSalonLensError(error)) {
    info(`salon-lens: ${optionMessage(error) ?? error.message}`);
    if (process.env.DEBUG && error.cause) info(String((error.cause as Error).stack ?? error.cause));
    if (error.code === 'ABORTED') return EXIT.interrupted;
    return error.code === 'INVALID_OPTIONS' ? EXIT.usage : EXIT.badInput;
  }
  const system = systemErrorMessage(error);
  if (system) {
    info(`salon-lens: ${system}`);
    if (process.env.DEBUG) info((error as Error).stack ?? '');
    return EXIT.badInput;
  }
  const message = error instanceof Error ? error.message : String(error);
  info(`salon-lens: unexpected error: ${message}`);
  if (process.env.DEBUG && error instanceof Error) info(error.stack ?? '');
  else info('(set DEBUG=1 for the stack trace, and please report it)');
  return EXIT.badInput;
}

/** Option names of the library → the flag the user typed. */
const FLAGS: Record<string, string> = {
  k: '--k',
  ef: '--ef',
  dateFrom: '--from',
  dateTo: '--to',
  salon: '--salon',
  excludeSalon: '--exclude-salon',
  section: '--section',
  mode: '--mode',
  seed: '--seed',
  minSize: '--min-size',
  maxBytes: '--max-bytes',
  title: '--title',
  formats: '--format',
  outDir: '--out',
};

/**
 * An INVALID_OPTIONS error re-worded with the user's flags (`--ef: Too big: …`)
 * instead of the library call that checked it (`openLens options.ef`); undefined
 * when an option has no flag (an API-only option: the library message stands).
 */
function optionMessage(error: SalonLensError): string | undefined {
  if (error.code !== 'INVALID_OPTIONS') return undefined;
  const issues = error.details.issues as
    | ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>
    | undefined;
  if (!issues || issues.length === 0) return undefined;
  const parts: string[] = [];
  for (const issue of issues) {
    const key = issue.path.find((p) => typeof p === 'string' && p in FLAGS) as string | undefined;
    if (!key) return undefined;
    parts.push(`${FLAGS[key]}: ${issue.message}`);
  }
  return `${parts.join('; ')} (run with --help for usage)`;
}

/** What to do about a file-system error, per errno code. */
const SYSTEM_FIXES: Record<string, string> = {
  EACCES: 'permission denied: give your user access to it (chmod/chown), or use another path',
  EPERM: 'operation not permitted: give your user access to it, or use another path',
  ENOSPC:
    'no space left on the device: nothing was changed (a store stays as it was until a save ' +
    'completes); free some space and run this again',
  EDQUOT: 'disk quota exceeded: nothing was changed; free some space and run this again',
  EROFS: 'the file system is read-only: choose a writable folder (e.g. --store <dir>)',
  EEXIST: 'exists and is not a folder: --store and --out need a folder (new or existing)',
  ENOTDIR:
    'a part of this path is a file, not a folder: --store and --out need a folder (new or existing)',
  EISDIR: 'is a folder where a file was expected',
  EMFILE: 'too many open files: raise the limit (ulimit -n) and run this again',
};

/** One line for an operating-system error (errno code + path), or undefined for anything else. */
function systemErrorMessage(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || typeof e.code !== 'string') return undefined;
  const fix = SYSTEM_FIXES[e.code];
  if (!fix) return undefined;
  const where = e.path ? `${e.path}: ` : '';
  return `${where}${fix} (${e.code}${e.syscall ? ` in ${e.syscall}` : ''})`;
}

/**
 * `salon-lens parse --json | head` closes the pipe early: that is the reader's
 * choice, not an error, so stop quietly instead of dying with an EPIPE trace.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}
