/**
 * Creating and opening a Postgres store, and the look-ups that need no open store
 * (does one exist, which embedder built it).
 *
 *   const store = await openPgStore(parseStoreAddress('postgres://u@db/app?schema=lens'), { embedder });
 */
import type pg from 'pg';
import type { Embedder } from '../../../embed/index.js';
import { parseOptions, SalonLensError } from '../../../errors.js';
import {
  type CreateLensOptions,
  CreateLensOptionsSchema,
  type OpenLensOptions,
  OpenLensOptionsSchema,
} from '../../options.js';
import { embedderMismatch } from '../seam.js';
import { connectStore as connect, waitForWriteLock } from './pg-connect.js';
import { createPrivilegeError, extensionError } from './pg-errors.js';
import {
  claimStaging,
  dropAbandonedStaging,
  foreignObjects,
  newStagingName,
  schemaInUse,
} from './pg-schema.js';
import {
  checkFormat,
  type Meta,
  notFound,
  PG_STORE_FORMAT,
  PG_STORE_VERSION,
  type PgAddress,
  quoteIdent,
  readMeta,
  STORE_TABLES,
  schemaSql,
  usePath,
} from './pg-sql.js';
import { PgStore } from './pg-store.js';

/**
 * Create an empty store in the URL's schema (created if missing). An existing store
 * is STORE_EXISTS unless `force`, which builds the new store in a staging schema and
 * replaces the old one's tables only when its first write commits (see pg-schema.ts).
 * A schema holding anything salon-lens did not create is refused (SCHEMA_IN_USE).
 */
export async function createPgStore(
  address: PgAddress,
  options: CreateLensOptions,
): Promise<PgStore> {
  const o = parseOptions(CreateLensOptionsSchema, options, 'createLens options');
  const client = await connect(address);
  const ddl = (sql: string) =>
    client.query(sql).catch((error: unknown) => {
      throw createPrivilegeError(error, address);
    });
  try {
    const installed = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`);
    if (installed.rowCount === 0) {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector').catch((cause: unknown) => {
        throw extensionError(cause, address);
      });
    }
    await client.query('BEGIN');
    try {
      await waitForWriteLock(client, address);
      // CREATE SCHEMA IF NOT EXISTS asks for CREATE on the database even when the schema exists.
      const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
        address.schema,
      ]);
      if (schemaExists.rowCount === 0) await ddl(`CREATE SCHEMA ${quoteIdent(address.schema)}`);
      const previous = await readMeta(client, address.schema);
      const marked = previous?.format === PG_STORE_FORMAT;
      if (marked && !o.force) {
        throw new SalonLensError(
          'STORE_EXISTS',
          `A lens store already exists in schema "${address.schema}" of ${address.display}. Open it instead, or pass force to replace it.`,
          { details: { dir: address.display } },
        );
      }
      const foreign = await foreignObjects(client, address.schema, STORE_TABLES, marked);
      if (foreign.length > 0) throw schemaInUse(address, foreign);
      let staging: string | undefined;
      if (marked) {
        await dropAbandonedStaging(client, address.schema);
        staging = newStagingName(address.schema);
        await claimStaging(client, staging);
        await ddl(`CREATE SCHEMA ${quoteIdent(staging)}`);
      }
      const home = staging ?? address.schema;
      await usePath(client, home);
      await ddl(schemaSql(home, o.embedder.dim, o.hnsw));
      const meta: Meta = {
        format: PG_STORE_FORMAT,
        version: PG_STORE_VERSION,
        embedder: { id: o.embedder.id, dim: o.embedder.dim },
        metric: 'cosine',
        hnsw: { ...o.hnsw },
        generation: 1,
        updatedAt: new Date().toISOString(),
      };
      await client.query(
        `INSERT INTO ${quoteIdent(home)}.meta (key, value) VALUES ('store', $1::jsonb)`,
        [JSON.stringify(meta)],
      );
      await client.query('COMMIT');
      return await PgStore._open(address, client, meta, false, undefined, staging);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** The store's meta row: STORE_NOT_FOUND without one, STORE_CORRUPT for another format. */
async function readStoreMeta(client: pg.Client, address: PgAddress): Promise<Meta> {
  const meta = await readMeta(client, address.schema);
  if (!meta) throw notFound(address);
  checkFormat(address, meta);
  return meta;
}

export async function openPgStore(address: PgAddress, options: OpenLensOptions): Promise<PgStore> {
  const o = parseOptions(OpenLensOptionsSchema, options, 'openLens options');
  const client = await connect(address);
  try {
    const meta = await readStoreMeta(client, address);
    const mismatch = embedderMismatch(address.display, meta.embedder, o.embedder);
    if (mismatch) throw mismatch;
    await usePath(client, address.schema);
    return await PgStore._open(address, client, meta, o.readOnly, o.ef);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** The embedder a Postgres store was built with (to open it with the same one). */
export async function readPgEmbedder(address: PgAddress): Promise<Embedder['id']> {
  const client = await connect(address);
  try {
    return (await readStoreMeta(client, address)).embedder.id;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function pgStoreExists(address: PgAddress): Promise<boolean> {
  const client = await connect(address);
  try {
    return (await readMeta(client, address.schema)) !== undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
