/**
 * Postgres failures as SalonLensErrors with stable codes and a message that says
 * what to do: a lost connection or a timeout (STORE_UNAVAILABLE, nothing changed),
 * a missing privilege (STORE_PERMISSION_DENIED, naming the GRANT or the statement an
 * administrator runs), objects the store did not create in its way (SCHEMA_IN_USE).
 * Anything else is passed through unchanged.
 *
 *   try { await client.query(sql) } catch (e) { throw storeError(e, address) }
 */
import { userInfo } from 'node:os';
import { SalonLensError } from '../../../errors.js';
import type { StoreAddress } from '../address.js';

export type PgAddress = Extract<StoreAddress, { kind: 'postgres' }>;

/** Node socket errors that mean "no server at the other end (any more)". */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** node-postgres's own messages for a connection that died or never answered. */
const LOST = /Connection terminated|not queryable|Connection ended|terminating connection/i;
const NO_ANSWER = /Query read timeout|timeout expired|connection timeout/i;

interface PgLikeError {
  code?: string;
  message?: string;
  detail?: string;
}

/** The database the URL names (as `pg` resolves it: path, PGDATABASE, then the user). */
export function databaseOf(address: PgAddress): string {
  const url = new URL(address.connectionString);
  return (
    decodeURIComponent(url.pathname.slice(1)) ||
    process.env.PGDATABASE ||
    roleOf(address) ||
    'postgres'
  );
}

/** The role the URL logs in as. */
export function roleOf(address: PgAddress): string {
  const url = new URL(address.connectionString);
  return decodeURIComponent(url.username) || process.env.PGUSER || userInfo().username;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const NOTHING_CHANGED =
  'Nothing was changed: the server rolls back a write that did not commit. Run the command again once the server answers.';

/**
 * `error` as the SalonLensError it stands for, or `error` itself. `stage` says whether
 * the connection was being opened (a refused connection is not a lost one).
 */
export function storeError(
  error: unknown,
  address: PgAddress,
  stage: 'connect' | 'query' = 'query',
): unknown {
  if (error instanceof SalonLensError || !(error instanceof Error)) return error;
  const e = error as PgLikeError;
  const code = e.code ?? '';
  const message = e.message ?? '';
  const store = address.display;
  const details = { store, ...(code ? { sqlstate: code } : {}) };
  const unavailable = (reason: string, text: string) =>
    new SalonLensError('STORE_UNAVAILABLE', text, {
      details: { ...details, reason },
      cause: error,
    });

  if (NO_ANSWER.test(message)) {
    const limit =
      stage === 'connect'
        ? `${address.timeouts.connectMs / 1000} s to connect (URL parameter connect_timeout, seconds)`
        : `${address.timeouts.statementMs} ms per statement (URL parameter statement_timeout, milliseconds)`;
    return unavailable(
      'no-answer',
      `The Postgres server of ${store} did not answer within ${limit}. ${NOTHING_CHANGED}`,
    );
  }
  if (code === '57014' && /statement timeout/i.test(message)) {
    return unavailable(
      'statement-timeout',
      `A statement on ${store} ran past the statement timeout (${address.timeouts.statementMs} ms). ` +
        `${NOTHING_CHANGED} If the server is only slow, raise the limit with ?statement_timeout=<ms> in the URL.`,
    );
  }
  if (stage === 'connect' || code === '28P01' || code === '28000' || code === '3D000') {
    if (
      SOCKET_CODES.has(code) ||
      code.startsWith('08') ||
      code.startsWith('28') ||
      code === '3D000' ||
      code.startsWith('57P')
    ) {
      return unavailable(
        'connect',
        `Cannot connect to the Postgres store ${store}: ${message}. ` +
          'Check the URL (or the PGHOST/PGPORT/PGUSER/PGPASSWORD variables) and that the server is running.',
      );
    }
  }
  if (
    SOCKET_CODES.has(code) ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    LOST.test(message)
  ) {
    return unavailable(
      'connection-lost',
      `Lost the connection to the Postgres store ${store} (${message}). ${NOTHING_CHANGED}`,
    );
  }
  if (code === '42501') {
    return new SalonLensError(
      'STORE_PERMISSION_DENIED',
      `Role ${quoted(roleOf(address))} may not do this on the Postgres store ${store}: ${message}. ` +
        `Ask an administrator to grant it (for a reader: GRANT USAGE ON SCHEMA ${quoted(address.schema)} and SELECT ON ALL TABLES IN SCHEMA ${quoted(address.schema)}; ` +
        'for a writer also INSERT, UPDATE, DELETE), or use the role that created the store.',
      { details: { ...details, reason: 'privilege' }, cause: error },
    );
  }
  if (code === '2BP01') {
    return new SalonLensError(
      'SCHEMA_IN_USE',
      `Other objects depend on the store's tables in schema "${address.schema}" of ${store}` +
        `${e.detail ? ` (${e.detail.replace(/\s+/g, ' ')})` : ''}; nothing was dropped. ` +
        'Drop or move them first, or use another schema (?schema=name).',
      { details: { ...details, reason: 'dependents' }, cause: error },
    );
  }
  return error;
}

/** CREATE EXTENSION vector failed: missing privilege, or pgvector not installed on the server. */
export function extensionError(error: unknown, address: PgAddress): SalonLensError {
  if (error instanceof SalonLensError && error.code === 'STORE_UNAVAILABLE') return error;
  // Queries reject with mapped errors already (pg-connect.ts): look at the server's own.
  const e = (error instanceof SalonLensError ? error.cause : error) as PgLikeError;
  const database = databaseOf(address);
  if (e.code === '42501') {
    return new SalonLensError(
      'STORE_PERMISSION_DENIED',
      `Role ${quoted(roleOf(address))} may not create the pgvector extension in database ${quoted(database)} of ${address.display} (${e.message}). ` +
        `Ask an administrator to run CREATE EXTENSION vector in database ${quoted(database)}, then run this again.`,
      {
        details: { store: address.display, sqlstate: e.code, reason: 'create-extension' },
        cause: error,
      },
    );
  }
  return new SalonLensError(
    'STORE_UNAVAILABLE',
    `The Postgres server at ${address.display} has no pgvector extension (CREATE EXTENSION vector failed: ${e.message}). ` +
      'Install pgvector 0.8 or later on the server.',
    { details: { store: address.display, sqlstate: e.code, reason: 'no-pgvector' }, cause: error },
  );
}

/** A create step refused for want of CREATE: say which GRANT (or schema) makes it work. */
export function createPrivilegeError(error: unknown, address: PgAddress): unknown {
  if (!(error instanceof SalonLensError) || error.code !== 'STORE_PERMISSION_DENIED') return error;
  const role = quoted(roleOf(address));
  const schema = quoted(address.schema);
  return new SalonLensError(
    'STORE_PERMISSION_DENIED',
    `Role ${role} may not create the store in schema ${schema} of ${address.display} (${(error.cause as Error | undefined)?.message ?? error.message}). ` +
      `Ask an administrator to run CREATE SCHEMA ${schema} AUTHORIZATION ${role} in database ${quoted(databaseOf(address))} ` +
      `(a forced rebuild also needs GRANT CREATE ON DATABASE ${quoted(databaseOf(address))} TO ${role}), or use a role that may.`,
    { details: { ...error.details, reason: 'create' }, cause: error.cause ?? error },
  );
}
