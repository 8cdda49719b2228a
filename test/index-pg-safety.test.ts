/**
 * A Postgres store on a shared database, through the built CLI and the library:
 * it never drops what it did not create (a user's table and view in its schema, a
 * view on its tables), refuses schema names its message forbids, survives an
 * interrupted `index --force`, never prints a password, and turns a lost connection,
 * a server that never answers, a statement timeout and missing privileges into one
 * line with a stable code and the fix, never "unexpected error". Roles and
 * privileges only exist on the real server (SALON_LENS_TEST_PG_URL).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { SalonLensError } from '../src/errors.js';
import { createLens, parseStoreAddress, redact, verifyLens } from '../src/index/index.js';
import { tablesOf } from '../src/index/storage/postgres/pg-schema.js';
import type { Salon } from '../src/parse/index.js';
import { runCliAsync } from './helpers/cli.js';
import { crashChild, listFaultPoints, runChild, writeSalonsFile } from './helpers/index-crash.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { exampleSalons, storeFingerprint, tempStoreDir } from './helpers/index-store.js';
import {
  asRole,
  describePg,
  type PgServer,
  runSql,
  startPgServer,
  withSchema,
} from './helpers/pg-server.js';
import { cliPath, examplesDir, repoRoot } from './helpers/shared-data.js';

let salons: Salon[];
let firstFile: string;
let embedder: Embedder;
let schemas = 0;

beforeAll(async () => {
  salons = await exampleSalons();
  embedder = await hashingEmbedder(64);
  firstFile = (await readdir(examplesDir)).filter((f) => f.endsWith('.md')).sort()[0] as string;
}, 60_000);

function newSchema(kind: string): string {
  return `safety_${kind}_${process.pid}_${++schemas}`;
}

async function errorOf(promise: Promise<unknown>): Promise<SalonLensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SalonLensError);
  return error as SalonLensError;
}

/** One clear line on stderr, exit 1, never the "please report it" fallback. */
function expectOneLineError(r: { code: number; stderr: string }, ...parts: string[]): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).not.toContain('unexpected error');
  // Progress lines (`salon-lens index: parse 5/5 …`), the documents' own parse
  // warnings (the examples hold chatter) and test seams aside.
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter(
      (l) =>
        !/^salon-lens \w+: /.test(l) &&
        !l.startsWith('warning: ') &&
        !l.startsWith('[fault-point]'),
    );
  expect(lines, r.stderr).toHaveLength(1);
  for (const part of parts) expect(r.stderr).toContain(part);
}

/** Items stored in `schema`, counted in SQL (no embedder needed). */
async function itemCount(url: string, schema: string): Promise<number> {
  return (await runSql(url, `SELECT count(*)::int AS n FROM ${schema}.items`)).rows[0].n;
}

/** The built CLI, blocked at its first write step (SALON_LENS_FAULT_POINTS=1). */
function pausedCli(args: string[]) {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, SALON_LENS_FAULT_POINTS: '1' },
  });
  let stderr = '';
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const paused = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('PAUSED')) resolve();
    });
    void exited.then(() => reject(new Error(`the CLI exited before pausing: ${stderr}`)));
  });
  return { process: child, paused, exited, stderr: () => stderr };
}

const indexArgs = (store: string, ...more: string[]) => [
  'index',
  examplesDir,
  '--store',
  store,
  '--embedder',
  'hashing',
  ...more,
];

describe('schema names and URLs', () => {
  it('refuses every schema name its message forbids, and says so', () => {
    for (const schema of [
      '_under',
      'public',
      'pg_lens',
      'information_schema',
      'Bad-Name',
      '9lives',
    ]) {
      let error: unknown;
      try {
        parseStoreAddress(`postgres://u@127.0.0.1/db?schema=${schema}`);
      } catch (e) {
        error = e;
      }
      expect(error, schema).toBeInstanceOf(SalonLensError);
      expect((error as SalonLensError).code).toBe('INPUT_ERROR');
      expect((error as SalonLensError).message).toContain(
        'starting with a letter, not "pg_…", "public"',
      );
    }
    expect(parseStoreAddress('postgres://u@h/db?schema=lens_2').kind).toBe('postgres');
  });

  it('knows its own tables from its DDL, IF NOT EXISTS and quoting included', () => {
    expect(
      tablesOf('CREATE TABLE "s".meta (k text); CREATE TABLE IF NOT EXISTS "s".stats (v int);'),
    ).toEqual(['meta', 'stats']);
  });

  it('never shows a password, whatever shape of URL carries it', () => {
    const shapes = [
      'postgres://u:SECRETpw@h:5432/db',
      'postgresql://u:SEC%2FRETpw@h/db?schema=s',
      'postgres://u@h/db?password=SECRETpw&schema=s',
      'postgres://u@h/db?sslpassword=SECRETpw',
      'postgres://u:SEC@RETpw@h/db',
    ];
    for (const url of shapes) {
      const address = parseStoreAddress(url);
      expect(address.kind === 'postgres' ? address.display : '').not.toMatch(/SEC/);
      expect(redact(url)).not.toMatch(/SEC/);
    }
    for (const bad of [
      'postgres://u:SEC/RETpw@h/db',
      'postgres:u:SECRETpw@h/db',
      'postgres://u:SE?CRETpw@h/db',
      'postgres://u:SECRETpw@h1:5432,h2:5432/db',
    ]) {
      let error: unknown;
      try {
        parseStoreAddress(bad);
      } catch (e) {
        error = e;
      }
      expect((error as SalonLensError).code, bad).toBe('INPUT_ERROR');
      expect((error as SalonLensError).message).not.toMatch(/SEC/);
      expect(JSON.stringify((error as SalonLensError).details)).not.toMatch(/SEC/);
      expect(redact(bad)).not.toMatch(/SEC/);
    }
  });
});

describe('a server that accepts TCP but never answers', () => {
  let silent: net.Server;
  let port: number;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.push(socket); // accept, read, never answer
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up after connect_timeout with STORE_UNAVAILABLE, in every command', async () => {
    const store = `postgres://u:SECRETpw@127.0.0.1:${port}/db?connect_timeout=1`;
    const started = Date.now();
    const runs = await Promise.all([
      runCliAsync(['search', 'privacy', '--store', store], { killAfterMs: 30_000 }),
      runCliAsync(['verify', '--store', store], { killAfterMs: 30_000 }),
      runCliAsync(indexArgs(store), { killAfterMs: 30_000 }),
    ]);
    expect(Date.now() - started).toBeLessThan(25_000);
    for (const r of runs) {
      expectOneLineError(r, 'did not answer within 1 s', 'connect_timeout');
      expect(r.stderr + r.stdout).not.toContain('SECRET');
    }
  }, 60_000);

  it('has a default connect timeout', async () => {
    const error = await errorOf(
      createLens(`postgres://u@127.0.0.1:${port}/db`, { embedder }).catch((e) => {
        throw e;
      }),
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.details.reason).toBe('no-answer');
  }, 30_000);
});

describePg('Postgres on a shared database', (server, kind) => {
  let pg: PgServer;
  let script: string;

  beforeAll(async () => {
    pg = server();
    script = await crashChild();
  }, 120_000);

  it('refuses a schema holding the user’s own table and view, and leaves them intact', async () => {
    const schema = newSchema(kind);
    await runSql(
      pg.url,
      `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.items (id int);
       INSERT INTO ${schema}.items VALUES (1), (2);
       CREATE VIEW ${schema}.items_view AS SELECT * FROM ${schema}.items`,
    );
    for (const force of [[], ['--force']]) {
      const r = await runCliAsync(indexArgs(withSchema(pg.url, schema), ...force));
      expectOneLineError(r, `table ${schema}.items`, `view ${schema}.items_view`, '?schema=');
    }
    const rows = await runSql(pg.url, `SELECT count(*)::int AS n FROM ${schema}.items_view`);
    expect(rows.rows[0].n).toBe(2);
  }, 60_000);

  it('a forced rebuild drops nothing of the user’s: a view in the schema or on its tables', async () => {
    const schema = newSchema(kind);
    const other = newSchema(kind);
    const url = withSchema(pg.url, schema);
    const lens = await createLens(url, { embedder });
    await lens.addSalons(salons.slice(0, 2));
    await lens.close();
    const before = await storeFingerprint(url, embedder);
    // A view inside the store's schema: refused before anything is built.
    await runSql(pg.url, `CREATE VIEW ${schema}.mine AS SELECT id FROM ${schema}.items`);
    const inside = await errorOf(createLens(url, { embedder, force: true }));
    expect(inside.code).toBe('SCHEMA_IN_USE');
    expect(inside.message).toContain(`view ${schema}.mine`);
    // A view elsewhere on the store's tables: the swap at commit stops (no CASCADE).
    await runSql(
      pg.url,
      `DROP VIEW ${schema}.mine; CREATE SCHEMA ${other};
       CREATE VIEW ${other}.theirs AS SELECT id FROM ${schema}.items`,
    );
    const again = await createLens(url, { embedder, force: true });
    const outside = await errorOf(again.addSalons(salons));
    await again.close();
    expect(outside.code).toBe('SCHEMA_IN_USE');
    expect(outside.message).toContain(`${other}.theirs`);
    expect(await storeFingerprint(url, embedder)).toBe(before);
    const view = await runSql(pg.url, `SELECT count(*)::int AS n FROM ${other}.theirs`);
    expect(view.rows[0].n).toBeGreaterThan(0);
  }, 60_000);

  it('index --force killed at any step before its commit leaves the old store whole', async () => {
    const seed = async () => {
      const url = withSchema(pg.url, newSchema(kind));
      const lens = await createLens(url, { embedder });
      await lens.addSalons(salons.slice(0, 2));
      await lens.close();
      return url;
    };
    const salonsFile = await writeSalonsFile(salons);
    const traced = await seed();
    const before = await storeFingerprint(traced, embedder);
    const points = await listFaultPoints(script, {
      store: traced,
      action: 'force',
      salonsFile,
      dim: 64,
    });
    expect(points).toContain('pg: before commit');
    for (const [i] of points.entries()) {
      const url = await seed();
      const result = await runChild(
        script,
        { store: url, action: 'force', salonsFile, dim: 64 },
        {
          faultPoint: i + 1,
        },
      );
      expect(result.outcome).toBe('killed');
      expect(await storeFingerprint(url, embedder)).toBe(before);
      expect((await verifyLens(url)).ok).toBe(true);
    }
    // A killed rebuild leaves its staging schema; the next rebuild clears it.
    const url = await seed();
    const address = parseStoreAddress(url);
    const prefix = `salon_lens_rebuild_${createHash('sha256')
      .update(address.kind === 'postgres' ? address.schema : '')
      .digest('hex')
      .slice(0, 8)}_`;
    const leftovers = async () =>
      (
        await runSql(
          pg.url,
          'SELECT count(*)::int AS n FROM pg_namespace WHERE starts_with(nspname, $1)',
          [prefix],
        )
      ).rows[0].n;
    await runChild(script, { store: url, action: 'force', salonsFile, dim: 64 }, { faultPoint: 1 });
    expect(await leftovers()).toBe(1);
    await runChild(script, { store: url, action: 'force', salonsFile, dim: 64 });
    expect(await leftovers()).toBe(0);
  }, 240_000);

  it('CLI index --force killed after embedding, before its commit, keeps the old store', async () => {
    const schema = newSchema(kind);
    const url = withSchema(pg.url, schema);
    const first = await runCliAsync(indexArgs(url));
    expect(first.code, first.stderr).toBe(0);
    const before = await itemCount(pg.url, schema);
    expect(before).toBeGreaterThan(0);
    // Blocked at its first write step (the embedding is done), then killed.
    const child = pausedCli(indexArgs(url, '--force'));
    await child.paused;
    child.process.kill('SIGKILL');
    await child.exited;
    expect(await itemCount(pg.url, schema)).toBe(before);
    expect((await verifyLens(url)).ok).toBe(true);
  }, 120_000);

  it('a lost connection during index is one line: STORE_UNAVAILABLE, nothing changed', async () => {
    const own = kind === 'pglite' ? await startPgServer('pglite') : pg;
    const victim = `victim_${process.pid}_${++schemas}`;
    const schema = newSchema(kind);
    const base = withSchema(own.url, schema);
    const first = await runCliAsync([
      'index',
      path.join(examplesDir, firstFile),
      '--store',
      base,
      '--embedder',
      'hashing',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const before = await itemCount(own.url, schema);
    // All example salons (the others new): the run pauses inside its write transaction.
    const child = pausedCli(indexArgs(`${base}&application_name=${victim}`));
    await child.paused;
    if (kind === 'pglite') await own.stop();
    else
      await runSql(
        pg.url,
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [victim],
      );
    child.process.stdin.write('\n');
    const code = await child.exited;
    expectOneLineError(
      { code, stderr: child.stderr() },
      'Lost the connection',
      'Nothing was changed',
    );
    if (kind === 'server') expect(await itemCount(own.url, schema)).toBe(before);
  }, 120_000);

  it('never prints a password: every command, every output, every URL shape', async () => {
    if (kind === 'server') return; // one server is enough: the text is the CLI's
    const secret = 'SECRETpw42';
    const schema = newSchema(kind);
    const u = new URL(withSchema(pg.url, schema));
    u.password = secret;
    const inUser = u.toString();
    const inParam = `${withSchema(pg.url, schema)}&password=${secret}`;
    const out = await tempStoreDir('redact-');
    // One CLI at a time: PGlite's socket server interleaves concurrent clients' statements.
    const commands = [
      indexArgs(inUser, '--json'),
      indexArgs(inParam, '--json'),
      ['search', 'privacy', '--store', inUser, '--embedder', 'hashing', '--json'],
      ['themes', '--store', inParam, '--embedder', 'hashing'],
      ['verify', '--store', inUser],
      ['verify', '--store', inParam, '--json'],
      ['report', examplesDir, '--store', inUser, '--embedder', 'hashing', '--out', out],
    ];
    const runs = [];
    for (const args of commands) runs.push(await runCliAsync(args));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const port = new URL(pg.url).port;
    const bad = [
      `postgres://postgres:SEC/RET${secret}@127.0.0.1:${port}/postgres`,
      `postgres:postgres:${secret}@127.0.0.1:${port}/postgres`,
      `postgres://postgres:${secret}@127.0.0.1:1/postgres`,
      `postgres://postgres@127.0.0.1:1/postgres?password=${secret}`,
      `${withSchema(pg.url, 'no_store_here')}&password=${secret}`,
    ];
    const failed = [];
    for (const store of bad) {
      failed.push(await runCliAsync(['search', 'x', '--store', store], { killAfterMs: 30_000 }));
      failed.push(
        await runCliAsync(['verify', '--store', store, '--json'], { killAfterMs: 30_000 }),
      );
    }
    for (const r of failed) {
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain('unexpected error');
    }
    runs.push(...failed);
    for (const r of runs) expect(r.stdout + r.stderr).not.toContain(secret);
    for (const file of await readdir(out)) {
      expect(await readFile(path.join(out, file), 'utf8'), file).not.toContain(secret);
    }
  }, 240_000);
});

describePg(
  'roles and privileges',
  (server) => {
    let pg: PgServer;
    let url: string;
    let schema: string;
    const tag = process.pid;
    const reader = `lens_reader_${tag}`;
    const noCreate = `lens_nocreate_${tag}`;
    const owner = `lens_owner_${tag}`;
    const database = `lens_noext_${tag}`;

    beforeAll(async () => {
      pg = server();
      schema = newSchema('roles');
      url = withSchema(pg.url, schema);
      const built = await runCliAsync(indexArgs(url));
      expect(built.code, built.stderr).toBe(0);
      await runSql(
        pg.url,
        `DROP ROLE IF EXISTS ${reader}; DROP ROLE IF EXISTS ${noCreate}; DROP ROLE IF EXISTS ${owner};
         CREATE ROLE ${reader} LOGIN; CREATE ROLE ${noCreate} LOGIN; CREATE ROLE ${owner} LOGIN;
         GRANT USAGE ON SCHEMA ${schema} TO ${reader};
         GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${reader};`,
      );
      await runSql(pg.url, `DROP DATABASE IF EXISTS ${database}`);
      await runSql(pg.url, `CREATE DATABASE ${database} OWNER ${owner}`);
    }, 120_000);

    afterAll(async () => {
      if (!pg) return;
      await runSql(pg.url, `DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
      await runSql(
        pg.url,
        `DROP OWNED BY ${reader}, ${noCreate}, ${owner}; DROP ROLE ${reader}; DROP ROLE ${noCreate}; DROP ROLE ${owner}`,
      ).catch(() => undefined);
    });

    it('a SELECT-only role searches and runs themes (ids not saved, said once)', async () => {
      const store = asRole(url, reader);
      const search = await runCliAsync([
        'search',
        'privacy',
        '--store',
        store,
        '--embedder',
        'hashing',
      ]);
      expect(search.code, search.stderr).toBe(0);
      expect(search.stdout).toContain('privacy');
      const themes = await runCliAsync(['themes', '--store', store, '--embedder', 'hashing']);
      expect(themes.code, themes.stderr).toBe(0);
      expect(themes.stderr.match(/theme ids were not saved/g)).toHaveLength(1);
      const remove = await runCliAsync(['remove', (salons[0] as Salon).id, '--store', store]);
      expectOneLineError(remove, `Role "${reader}" may not`, 'GRANT');
      const write = await runCliAsync(indexArgs(store, '--force'));
      expectOneLineError(write, `"${reader}"`);
    }, 120_000);

    it('a role without CREATE is told which statement an administrator runs', async () => {
      const r = await runCliAsync(indexArgs(asRole(withSchema(pg.url, `${schema}_b`), noCreate)));
      expectOneLineError(r, 'CREATE SCHEMA', `AUTHORIZATION "${noCreate}"`);
    }, 60_000);

    it('no privilege for CREATE EXTENSION: ask an administrator, naming the database', async () => {
      const u = new URL(asRole(pg.url, owner));
      u.pathname = `/${database}`;
      const r = await runCliAsync(indexArgs(withSchema(u.toString(), 'lens')));
      expectOneLineError(
        r,
        `ask an administrator to run CREATE EXTENSION vector in database "${database}"`.replace(
          'ask',
          'Ask',
        ),
      );
    }, 60_000);

    it('a statement that waits past statement_timeout is STORE_UNAVAILABLE with the fix', async () => {
      const { Client } = (await import('pg')).default;
      const holder = new Client({ connectionString: pg.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE ${schema}.items IN ACCESS EXCLUSIVE MODE`);
        const r = await runCliAsync(
          ['search', 'privacy', '--store', `${url}&statement_timeout=300`, '--embedder', 'hashing'],
          { killAfterMs: 30_000 },
        );
        expectOneLineError(r, 'statement timeout (300 ms)', '?statement_timeout=');
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
    }, 60_000);
  },
  { only: 'server' },
);
