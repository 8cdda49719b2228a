/**
 * The neighbourhood statistics of a Postgres store (PGlite + pgvector over the
 * wire protocol, or SALON_LENS_PG_URL): saved in the write's transaction, so a
 * lens opened later (as a new process would) searches without rebuilding them;
 * updated incrementally they equal a from-scratch build; an aborted write leaves
 * the saved statistics as they were; writers queue before touching them, so two
 * at once never both rebuild.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/index.js';
import { statisticsRebuilds } from '../src/index/csls/lens-statistics.js';
import { createLens, openLens, verifyLens } from '../src/index/index.js';
import type { Salon } from '../src/parse/index.js';
import { addAbortedAt, cslsView } from './helpers/csls-view.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { editSalon, exampleSalons, tempStoreDir } from './helpers/index-store.js';
import { type PgServer, startPgServer } from './helpers/pg-server.js';

let salons: Salon[];
let embedder: Embedder;
let server: PgServer;
let schemas = 0;

beforeAll(async () => {
  salons = await exampleSalons();
  embedder = await hashingEmbedder(64);
  server = await startPgServer();
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

function newSchema(): { url: string; schema: string } {
  const schema = `pgstats_${process.pid}_${++schemas}`;
  return { url: `${server.url}${server.url.includes('?') ? '&' : '?'}schema=${schema}`, schema };
}

/** The saved statistics rows and header, as the server holds them. */
async function savedRows(schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const blocks = await client.query(
      `SELECT block, ids, encode(labels, 'hex') AS l, encode(scores, 'hex') AS s
       FROM "${schema}".statistics ORDER BY block`,
    );
    const header = await client.query(`SELECT value FROM "${schema}".state ORDER BY key`);
    return JSON.stringify([blocks.rows, header.rows]);
  } finally {
    await client.end();
  }
}

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

describe('Postgres neighbourhood statistics', () => {
  it('are saved with the items: a lens opened later searches without rebuilding them', async () => {
    const { url, schema } = newSchema();
    const writer = await createLens(url, { embedder });
    await writer.addSalons(salons.slice(0, 3));
    await writer.close();
    expect(await savedRows(schema)).toContain('"block":0');

    const builds = statisticsRebuilds.count;
    const reader = await openLens(url, { embedder, readOnly: true });
    const hits = await reader.search('who owns the training data?', { k: 3, mode: 'vector' });
    expect(hits[0]?.scoring).toBe('csls');
    expect(statisticsRebuilds.count).toBe(builds);
    await reader.close();
  });

  it('equal a from-scratch build after adds, a change and a removal', async () => {
    const { url } = newSchema();
    const lens = await createLens(url, { embedder });
    for (const salon of salons) await lens.addSalons([salon]);
    const changed = editSalon(salons[1] as Salon, (items) => items.slice(1));
    await lens.addSalons([changed]);
    await lens.removeSalons([(salons[3] as Salon).id]);
    await lens.close();
    const final = [salons[0], changed, salons[2], salons[4]] as Salon[];

    const builds = statisticsRebuilds.count;
    const reopened = await openLens(url, { embedder });
    const incremental = await cslsView(reopened);
    expect(statisticsRebuilds.count).toBe(builds);
    const scratch = await createLens(await tempStoreDir('pgstats-'), { embedder });
    await scratch.addSalons(final);
    expect(incremental).toEqual(await cslsView(scratch));
    await Promise.all([reopened.close(), scratch.close()]);
  });

  it('an aborted write leaves the saved statistics unchanged', async () => {
    const { url, schema } = newSchema();
    const lens = await createLens(url, { embedder });
    await lens.addSalons(salons.slice(0, 3));
    const before = await savedRows(schema);
    // Aborted once the statistics are computed, before they are saved.
    await addAbortedAt(lens, salons.slice(3), 'statistics');
    expect(await savedRows(schema)).toBe(before);
    // The lens goes on from the saved statistics.
    await lens.addSalons(salons.slice(3));
    const scratch = await createLens(await tempStoreDir('pgstats-'), { embedder });
    await scratch.addSalons(salons);
    expect(await cslsView(lens)).toEqual(await cslsView(scratch));
    await Promise.all([lens.close(), scratch.close()]);
  });

  it('two writers at once rebuild missing statistics once, under the write lock', async () => {
    const { url, schema } = newSchema();
    const seed = await createLens(url, { embedder });
    await seed.addSalons(salons.slice(0, 3));
    await seed.close();
    // As a store written by a version that did not save them.
    await sql(`DELETE FROM "${schema}".statistics; DELETE FROM "${schema}".state`);

    const builds = statisticsRebuilds.count;
    const a = await openLens(url, { embedder });
    const b = await openLens(url, { embedder });
    await Promise.all([a.addSalons([salons[3] as Salon]), b.addSalons([salons[4] as Salon])]);
    expect(statisticsRebuilds.count - builds).toBe(1);

    const scratch = await createLens(await tempStoreDir('pgstats-'), { embedder });
    await scratch.addSalons(salons);
    const c = await openLens(url, { embedder, readOnly: true });
    expect(await cslsView(c)).toEqual(await cslsView(scratch));
    expect(statisticsRebuilds.count - builds).toBe(1);
    await Promise.all([a.close(), b.close(), c.close(), scratch.close()]);
  });

  it('verify reports that vector queries plan a scan of the HNSW index', async () => {
    const { url, schema } = newSchema();
    const lens = await createLens(url, { embedder });
    expect((await verifyLens(url)).indexScan).toBeUndefined();
    await lens.addSalons(salons);
    await lens.close();
    expect(await verifyLens(url)).toMatchObject({ ok: true, indexScan: true });
    await sql(`DROP INDEX "${schema}".items_embedding_hnsw`);
    const report = await verifyLens(url);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.problem)).toContain(
      'has no HNSW cosine index on embedding',
    );
  });
});
