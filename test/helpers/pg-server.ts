/**
 * Postgres servers for the tests, spoken to with the `pg` client like any server:
 * - `pglite`: PGlite 0.5 + pgvector served over the wire protocol on 127.0.0.1, in
 *   this process (`SALON_LENS_PG_URL` points it at another Postgres instead);
 * - `server`: a real PostgreSQL server named by `SALON_LENS_TEST_PG_URL` (CI starts
 *   one with `.ci/pg-server.sh start`). MVCC, lock waits, roles and privileges only
 *   show there. Without the variable its test variants are skipped, with a note.
 *
 *   describePg('crashes', (server) => {
 *     it('…', async () => { const lens = await createLens(`${server().url}?schema=t1`, …) });
 *   });
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';

export interface PgServer {
  /** postgres:// URL without a schema parameter. */
  url: string;
  kind: PgKind;
  stop(): Promise<void>;
}

export type PgKind = 'pglite' | 'server';

/** The real server's URL, when the run has one. */
export const REAL_PG_URL = process.env.SALON_LENS_TEST_PG_URL?.trim() || undefined;

const SKIP_NOTE =
  'skipped: no real PostgreSQL server (start one with `eval "$(.ci/pg-server.sh start)"`, which sets SALON_LENS_TEST_PG_URL)';

export async function startPgServer(kind: PgKind = 'pglite'): Promise<PgServer> {
  if (kind === 'server') {
    if (!REAL_PG_URL) throw new Error(`SALON_LENS_TEST_PG_URL is not set: ${SKIP_NOTE}`);
    return { url: REAL_PG_URL, kind, stop: async () => {} };
  }
  const external = process.env.SALON_LENS_PG_URL;
  if (external) return { url: external, kind, stop: async () => {} };
  const db = await PGlite.create({ extensions: { vector } });
  // PGlite is one backend session: the socket server queues every client's
  // messages and, while one client is inside a transaction, serves only that one.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres`,
    kind,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** `url` with `schema=name` added. */
export function withSchema(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
}

/**
 * `fn`'s tests once per server: on PGlite always, on the real server when
 * SALON_LENS_TEST_PG_URL is set (otherwise one skipped block that says how to run it).
 * `only: 'server'` is for what PGlite cannot show (roles, privileges).
 */
export function describePg(
  name: string,
  fn: (server: () => PgServer, kind: PgKind) => void,
  options: { only?: PgKind } = {},
): void {
  const kinds: PgKind[] = options.only ? [options.only] : ['pglite', 'server'];
  for (const kind of kinds) {
    const label = kind === 'pglite' ? 'PGlite' : 'PostgreSQL server';
    const skip = kind === 'server' && !REAL_PG_URL;
    describe.skipIf(skip)(`${name} [${label}${skip ? `: ${SKIP_NOTE}` : ''}]`, () => {
      let pg: PgServer | undefined;
      beforeAll(async () => {
        pg = await startPgServer(kind);
      }, 240_000);
      afterAll(async () => {
        await pg?.stop();
      });
      fn(() => {
        if (!pg) throw new Error('the Postgres server has not started');
        return pg;
      }, kind);
    });
  }
}

/** Run SQL on the server as its URL's user (test setup: schemas, roles, locks). */
export async function runSql(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** `url` logging in as `role` instead (the test server trusts local logins). */
export function asRole(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = '';
  return u.toString();
}
