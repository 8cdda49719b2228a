/**
 * CLI edge: exit codes, error printing and JSON output (progress: progress.ts,
 * tables: table.ts).
 * stdout carries results only (so `--json` can be piped); everything for
 * humans while work runs (progress, warnings) goes to stderr.
 */
import { isSalonLensError } from '../errors.js';
import { terminalSafeLines } from './terminal-text.js';

export const EXIT = { ok: 0, badInput: 1, usage: 2 } as const;

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
    info(`salon-lens: ${error.message}`);
    if (process.env.DEBUG && error.cause) info(String((error.cause as Error).stack ?? error.cause));
    return error.code === 'INVALID_OPTIONS' ? EXIT.usage : EXIT.badInput;
  }
  const message = error instanceof Error ? error.message : String(error);
  info(`salon-lens: unexpected error: ${message}`);
  if (process.env.DEBUG && error instanceof Error) info(error.stack ?? '');
  else info('(set DEBUG=1 for the stack trace, and please report it)');
  return EXIT.badInput;
}
