/**
 * What a Postgres store may touch in its schema: only the tables its own DDL creates,
 * and only where its marker (the `store` meta row) says a store lives there. Anything
 * else in the schema (a user's `items` table, a view, a function) makes create refuse
 * with SCHEMA_IN_USE naming it. A forced rebuild is built in a staging schema beside
 * the old store and swapped in by the transaction that commits its first write, so an
 * interrupted rebuild leaves the old store whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { SalonLensError } from '../../../errors.js';
import type { PgAddress } from './pg-errors.js';

const KIND_NAMES: Record<string, string> = {
  r: 'table',
  p: 'table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
  S: 'sequence',
  c: 'type',
};

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The tables a store's DDL creates, by name (so a table added to the DDL is covered). */
export function tablesOf(ddl: string): string[] {
  return [...ddl.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(?:"[^"]*"\.)?"?(\w+)"?/gi)].map(
    (m) => m[1] as string,
  );
}

/**
 * Objects in `schema` the store did not create: every relation and function when the
 * schema has no store marker, else those not named in `ours`. Indexes are left out
 * (they belong to a table, and go with it), and so is what an extension installed.
 */
export async function foreignObjects(
  client: pg.Client,
  schema: string,
  ours: readonly string[],
  marked: boolean,
): Promise<string[]> {
  const r = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
     UNION ALL
     SELECT p.proname, 'function' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
     ORDER BY 1`,
    [schema],
  );
  return r.rows
    .filter((row) => !(marked && (row.kind === 'r' || row.kind === 'p') && ours.includes(row.name)))
    .map((row) => `${KIND_NAMES[row.kind] ?? row.kind} ${schema}.${row.name}`);
}

export function schemaInUse(address: PgAddress, objects: readonly string[]): SalonLensError {
  const shown =
    objects.slice(0, 10).join(', ') +
    (objects.length > 10 ? `, and ${objects.length - 10} more` : '');
  return new SalonLensError(
    'SCHEMA_IN_USE',
    `Schema "${address.schema}" of ${address.display} holds objects salon-lens did not create (${shown}); ` +
      'nothing was changed. Give the store a schema of its own: add ?schema=<new name> to the URL.',
    { details: { store: address.display, schema: address.schema, objects: [...objects] } },
  );
}

/** Staging schemas of one store's rebuilds share a prefix derived from the store's schema. */
function stagingPrefix(schema: string): string {
  return `salon_lens_rebuild_${createHash('sha256').update(schema).digest('hex').slice(0, 8)}_`;
}

export function newStagingName(schema: string): string {
  return `${stagingPrefix(schema)}${randomBytes(4).toString('hex')}`;
}

/**
 * Drop staging schemas of this store left by rebuilds that died (kill -9, lost
 * connection). A live rebuild holds a session advisory lock on its staging name,
 * so its schema is skipped.
 */
export async function dropAbandonedStaging(client: pg.Client, schema: string): Promise<void> {
  const r = await client.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`,
    [stagingPrefix(schema)],
  );
  for (const { nspname } of r.rows) {
    const free = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS ok',
      [nspname],
    );
    if (!free.rows[0]?.ok) continue;
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(nspname)} CASCADE`);
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [nspname]);
  }
}

/** Held by the rebuilding session for as long as it lives (see dropAbandonedStaging). */
export async function claimStaging(client: pg.Client, staging: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [staging]);
}

/**
 * Inside the committing transaction: the old store's tables (only those the DDL
 * names; no CASCADE, so a user's view on them stops the swap) are dropped, the
 * staging tables move into the store's schema, and the staging schema goes.
 */
export async function swapStaging(
  client: pg.Client,
  staging: string,
  schema: string,
  ours: readonly string[],
): Promise<void> {
  const s = quoteIdent(schema);
  await client.query(`DROP TABLE IF EXISTS ${ours.map((t) => `${s}.${quoteIdent(t)}`).join(', ')}`);
  const moved = await client.query<{ tablename: string }>(
    'SELECT tablename FROM pg_tables WHERE schemaname = $1',
    [staging],
  );
  for (const { tablename } of moved.rows) {
    await client.query(
      `ALTER TABLE ${quoteIdent(staging)}.${quoteIdent(tablename)} SET SCHEMA ${s}`,
    );
  }
  await client.query(`DROP SCHEMA ${quoteIdent(staging)}`);
}
