/**
 * One error type for the whole library. Every failure carries a stable `code`
 * (tests and the CLI switch on it, never on the message), structured `details`,
 * and the original `cause` when there is one.
 *
 *   try { await openLens(dir) } catch (e) { if (isSalonLensError(e, 'STORE_LOCKED')) ... }
 */
import type { z } from 'zod';

export const ERROR_CODES = [
  'PARSE_ERROR', // a salon document is not in the takeaways format
  'INPUT_ERROR', // a path, file or directory given by the user cannot be used
  'DUPLICATE_SALON', // two different files claim the same salon id
  'INVALID_OPTIONS', // an options object failed validation
  'MODEL_NOT_AVAILABLE', // embedding weights could not be found or loaded
  'BACKEND_NOT_INSTALLED', // an optional package an embedder needs is not installed
  'EMBED_FAILED', // the embedding backend failed on input
  'STORE_NOT_FOUND',
  'STORE_EXISTS',
  'STORE_CORRUPT', // checksum mismatch, truncated file, unreadable manifest
  'STORE_LOCKED', // another writer holds the lock
  'STORE_UNAVAILABLE', // the database server cannot be reached, refused the login, lost the connection, timed out, or lacks pgvector
  'EMBEDDER_MISMATCH', // store built with another embedder
  'STORE_READ_ONLY', // a write was asked of a lens opened with readOnly
  'STORE_WRITE_FAILED', // a save could not be verified on disk before its commit; the store is unchanged
  'STORE_CLOSED', // the lens was used after close()
  'ITEM_NOT_FOUND', // an item id that the store does not hold
  'ABORTED', // an AbortSignal fired
  'INPUT_TOO_LARGE', // a document is over the configured size limit
  'STORE_PERMISSION_DENIED', // the database role lacks a privilege the command needs (the message names it)
  'SCHEMA_IN_USE', // a Postgres schema holds objects salon-lens did not create; nothing is dropped
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class SalonLensError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SalonLensError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A document that is not a salon takeaways file. `file:line` is always in the message. */
export class SalonParseError extends SalonLensError {
  readonly file: string;
  readonly line: number;
  readonly expected: string;

  constructor(file: string, line: number, expected: string, found?: string) {
    const where = `${file}:${line}`;
    super('PARSE_ERROR', `${where}: expected ${expected}${found ? `, found ${found}` : ''}`, {
      details: { file, line, expected, found },
    });
    this.name = 'SalonParseError';
    this.file = file;
    this.line = line;
    this.expected = expected;
  }
}

export function isSalonLensError(error: unknown, code?: ErrorCode): error is SalonLensError {
  return error instanceof SalonLensError && (code === undefined || error.code === code);
}

/**
 * Validate an options object at a public boundary. One error names every bad
 * option (path, what was expected, what was received).
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `${what}.${issue.path.join('.')}` : what;
    if (issue.code === 'unrecognized_keys') {
      // In the caller's terms: which option names exist, not zod's wording.
      const known = issue.path.length === 0 ? optionNames(schema) : [];
      const names = issue.keys.map((k) => `"${k}"`).join(', ');
      return (
        `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${names}` +
        (known.length > 0 ? ` (known: ${known.join(', ')})` : '')
      );
    }
    return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  throw new SalonLensError('INVALID_OPTIONS', problems.join('; '), {
    details: { issues: result.error.issues },
  });
}

/** The option names of an object schema (also behind refinements), for messages. */
function optionNames(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new SalonLensError('ABORTED', `${what} was aborted`, { cause: signal.reason });
  }
}
