/**
 * Where a store lives: a folder, or a Postgres database named by URL. A string
 * that looks like a URL is never taken as a folder name (no folder called
 * `postgres:` appears by accident).
 *
 *   parseStoreAddress('.lens');                                  // { kind: 'folder', dir: '.lens' }
 *   parseStoreAddress('postgres://u@db/app?schema=lens');        // { kind: 'postgres', schema: 'lens', ... }
 */
import { SalonLensError } from '../../errors.js';

export type StoreAddress =
  | { kind: 'folder'; dir: string }
  | {
      kind: 'postgres';
      /** Connection URL for the `pg` client, without the `schema` parameter. */
      connectionString: string;
      schema: string;
      /** The URL as shown to users: password removed. */
      display: string;
      /** From `connect_timeout` (seconds, as libpq) and `statement_timeout` (ms) in the URL. */
      timeouts: PgTimeouts;
    };

export interface PgTimeouts {
  /** Give up a connection attempt (TCP and login) after this long. */
  connectMs: number;
  /** The server cancels a statement running longer; the client gives up a little later. */
  statementMs: number;
}

/**
 * A hung server or a half-open path must not make a command wait forever; a write's
 * single statement (one insert batch, one index query) takes seconds at 100k items.
 */
export const DEFAULT_PG_TIMEOUTS: PgTimeouts = { connectMs: 10_000, statementMs: 300_000 };

export const DEFAULT_PG_SCHEMA = 'salon_lens';
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;
/** Starts with a letter (so never `_…`), and not `pg_…` (reserved by Postgres). */
const SCHEMA_NAME = /^(?!pg_)[a-z][a-z0-9_]{0,62}$/;
/** Shared by every role and application by default: a store there would sit among their tables. */
const FORBIDDEN_SCHEMAS = new Set(['public', 'information_schema']);
/** URL parameters that carry a secret (libpq's and node-postgres's names). */
const SECRET_PARAMS = ['password', 'sslpassword'];

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:/i.test(location);
}

export function parseStoreAddress(
  location: string,
  options: { schema?: string } = {},
): StoreAddress {
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  // One-letter schemes are Windows drive letters (C:\lens), i.e. folders.
  if (scheme === undefined || scheme.length === 1) {
    if (options.schema !== undefined) {
      throw new SalonLensError(
        'INVALID_OPTIONS',
        `The schema option is for postgres:// stores; "${location}" is a folder.`,
        { details: { store: location, schema: options.schema } },
      );
    }
    return { kind: 'folder', dir: location };
  }
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Store "${location}" looks like a ${scheme}: URL; a store is a folder or a postgres:// URL.`,
      { details: { store: location } },
    );
  }
  const invalid = (cause?: unknown) =>
    new SalonLensError(
      'INPUT_ERROR',
      `Store "${redact(location)}" is not a valid URL; expected postgres://user@host:port/database?schema=name ` +
        '(keep the password out of the URL: PGPASSWORD or a ~/.pgpass file).',
      { details: { store: redact(location) }, ...(cause ? { cause } : {}) },
    );
  // `postgres:user:pw@host` parses as a URL with no host at all: refuse it rather than
  // connect to a default host and print the text back.
  if (!/^[a-z]+:\/\//i.test(location)) throw invalid();
  let url: URL;
  try {
    url = new URL(location);
  } catch (cause) {
    throw invalid(cause);
  }
  const schema = options.schema ?? url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema) || FORBIDDEN_SCHEMAS.has(schema)) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Store schema "${schema}" is not usable: expected lower-case letters, digits and "_" (max 63), ` +
        'starting with a letter, not "pg_…", "public" or "information_schema" (a schema of its own keeps the store apart from other tables).',
      { details: { schema } },
    );
  }
  const timeouts = {
    connectMs: timeoutParam(url, 'connect_timeout', 1000) ?? DEFAULT_PG_TIMEOUTS.connectMs,
    statementMs: timeoutParam(url, 'statement_timeout', 1) ?? DEFAULT_PG_TIMEOUTS.statementMs,
  };
  for (const name of ['schema', 'connect_timeout', 'statement_timeout'])
    url.searchParams.delete(name);
  const connectionString = url.toString();
  const shown = new URL(connectionString);
  if (shown.password) shown.password = '';
  for (const name of SECRET_PARAMS) shown.searchParams.delete(name);
  shown.searchParams.set('schema', schema);
  return { kind: 'postgres', connectionString, schema, display: shown.toString(), timeouts };
}

/** A positive whole-number URL parameter, times `unit` ms; undefined when absent. */
function timeoutParam(url: URL, name: string, unit: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) === 0) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Store URL parameter ${name}=${raw} is not usable: expected a whole number above 0 (${unit === 1 ? 'milliseconds' : 'seconds'}).`,
      { details: { parameter: name, value: raw } },
    );
  }
  return Number(raw) * unit;
}

/**
 * The location with any password removed, for messages: the userinfo's password up
 * to the last `@` (a raw `/`, `@` or `?` in it included), and `password=` parameters.
 * Folders are returned as given.
 */
export function redact(location: string): string {
  if (!isPostgresUrl(location)) return location;
  return location
    .replace(/^(postgres(?:ql)?:(?:\/\/)?[^:@/?#]*):[\s\S]*@/i, '$1@')
    .replace(new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#]*`, 'gi'), '$1***');
}
