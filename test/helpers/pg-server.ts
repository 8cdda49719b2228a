/**
 * A real Postgres (PGlite 0.5 + pgvector) served over the wire protocol on
 * 127.0.0.1, for tests that talk to it with the `pg` client like to any server.
 * `SALON_LENS_PG_URL` points the tests at another Postgres with pgvector instead.
 *
 *   const pg = await startPgServer();   // { url, stop }
 *   const lens = await createLens(`${pg.url}?schema=t1`, { embedder });
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgServer {
  /** postgres:// URL without a schema parameter. */
  url: string;
  stop(): Promise<void>;
}

export async function startPgServer(): Promise<PgServer> {
  const external = process.env.SALON_LENS_PG_URL;
  if (external) return { url: external, stop: async () => {} };
  const db = await PGlite.create({ extensions: { vector } });
  // PGlite is one backend session: the socket server queues every client's
  // messages and, while one client is inside a transaction, serves only that one.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
