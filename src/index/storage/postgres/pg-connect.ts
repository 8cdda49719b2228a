/**
 * Connections to a Postgres store: connect and statement timeouts from the URL (a
 * server that accepts TCP and never answers fails with STORE_UNAVAILABLE instead of
 * hanging), TCP keepalive, and every query's failure mapped by pg-errors.ts.
 *
 *   const client = await connectStore(address);
 *   await waitForWriteLock(client, address);   // inside BEGIN … COMMIT
 */
import pg from 'pg';
import { type PgAddress, storeError } from './pg-errors.js';

/** The client gives up this long after the server's own statement timeout should have fired. */
const CLIENT_GRACE_MS = 5_000;
/** setTimeout's ceiling: "no client-side limit" for the lock wait. */
const NO_LIMIT_MS = 2 ** 31 - 1;

/** A connected client whose every query rejects with a mapped error (see pg-errors.ts). */
export async function connectStore(address: PgAddress): Promise<pg.Client> {
  const { connectMs, statementMs } = address.timeouts;
  const client = new pg.Client({
    connectionString: address.connectionString,
    connectionTimeoutMillis: connectMs,
    statement_timeout: statementMs,
    query_timeout: statementMs + CLIENT_GRACE_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // A dropped connection must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw storeError(cause, address, 'connect');
  }
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  // One statement at a time: the lens reads in parallel (e.g. a vector and a keyword
  // search), and node-postgres deprecates a query sent while another is executing
  // (pg 9 drops it). Every call site uses the promise form; a callback form is passed
  // through as is.
  let tail: Promise<unknown> = Promise.resolve();
  client.query = ((...args: unknown[]) => {
    if (typeof args[args.length - 1] === 'function') return query(...args);
    const result = tail.then(() => query(...args));
    tail = result.catch(() => undefined);
    return result.catch((error: unknown) => {
      throw storeError(error, address);
    });
  }) as typeof client.query;
  return client;
}

/**
 * The schema's write lock (a transaction-scoped advisory lock): a second writer waits
 * here for the first one's COMMIT, however long, so this one statement runs without
 * the statement timeout.
 */
export async function waitForWriteLock(client: pg.Client, address: PgAddress): Promise<void> {
  await client.query('SET LOCAL statement_timeout = 0');
  // query_timeout per query is read by node-postgres but missing from its types.
  const lock = {
    text: 'SELECT pg_advisory_xact_lock(hashtext($1))',
    values: [`salon-lens:${address.schema}`],
    query_timeout: NO_LIMIT_MS,
  } as pg.QueryConfig;
  await client.query(lock);
  await client.query(`SET LOCAL statement_timeout = ${address.timeouts.statementMs}`);
}
