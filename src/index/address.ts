/**
 * Where a store lives: a folder, or a Postgres database named by URL. A string
 * that looks like a URL is never taken as a folder name (no folder called
 * `postgres:` appears by accident).
 *
 *   parseStoreAddress('.lens');                                  // { kind: 'folder', dir: '.lens' }
 *   parseStoreAddress('postgres://u@db/app?schema=lens');        // { kind: 'postgres', schema: 'lens', ... }
 */
import { SalonLensError } from '../errors.js';

export type StoreAddress =
  | { kind: 'folder'; dir: string }
  | {
      kind: 'postgres';
      /** Connection URL for the `pg` client, without the `schema` parameter. */
      connectionString: string;
      schema: string;
      /** The URL as shown to users: password removed. */
      display: string;
    };

export const DEFAULT_PG_SCHEMA = 'salon_lens';
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

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
  let url: URL;
  try {
    url = new URL(location);
  } catch (cause) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Store "${redact(location)}" is not a valid URL; expected postgres://user:password@host:port/database?schema=name.`,
      { details: { store: redact(location) }, cause },
    );
  }
  const schema = options.schema ?? url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `Store schema "${schema}" is not usable: expected lower-case letters, digits and "_" (max 63), starting with a letter.`,
      { details: { schema } },
    );
  }
  url.searchParams.delete('schema');
  const connectionString = url.toString();
  const shown = new URL(connectionString);
  if (shown.password) shown.password = '';
  shown.searchParams.set('schema', schema);
  return { kind: 'postgres', connectionString, schema, display: shown.toString() };
}

/** The location with any password removed, for messages. */
export function redact(location: string): string {
  return location.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1@');
}
