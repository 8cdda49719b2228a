/**
 * CLI edge: exit codes, error printing, progress bars and JSON output.
 * stdout carries results only (so `--json` can be piped); everything for
 * humans while work runs (progress, warnings) goes to stderr.
 */
import cliProgress from 'cli-progress';
import { isSalonLensError } from '../errors.js';

export const EXIT = { ok: 0, badInput: 1, usage: 2 } as const;

/** Thrown by command handlers for usage mistakes commander cannot see (bad flag values). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
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

export interface ProgressEvent {
  done: number;
  total: number;
  stage?: string;
}

/**
 * A progress bar on stderr that is silent when stderr is not a terminal or when
 * `quiet` is set, so logs and CI output stay clean.
 */
export function createProgressBar(label: string, options: { quiet?: boolean } = {}) {
  const enabled = !options.quiet && process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(event: ProgressEvent): void {
      if (!enabled) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label.padEnd(10)} [{bar}] {value}/{total} {stage}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total, event.done, { stage: event.stage ?? '' });
      }
      bar.setTotal(event.total);
      bar.update(event.done, { stage: event.stage ?? '' });
    },
    stop(): void {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Plain fixed-width table for human output. Long cells are cut with an ellipsis. */
export function formatTable(header: string[], rows: string[][], maxWidth = 70): string {
  const cut = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const cells = [header, ...rows].map((r) => r.map(cut));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}
