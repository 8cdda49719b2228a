/**
 * The built CLI against Postgres (PGlite + pgvector over the wire protocol, or
 * SALON_LENS_PG_URL): index, search, similar, themes, report and verify with
 * `--store postgres://…` answer exactly as the same commands on a folder store
 * built from the same salons. CLI runs are asynchronous: the server lives in this
 * process and must keep answering while they run.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';
import { describePg, type PgServer, withSchema } from './helpers/pg-server.js';
import { expectSameHits } from './helpers/same-hits.js';
import { examplesDir, repoRoot } from './helpers/shared-data.js';

let pg: PgServer;
let url: string;
let folder: string;
let work: string;

beforeAll(async () => {
  runCli(['--version']); // fails fast with a clear message when dist/ is missing
}, 240_000);

/** Run the same command on both stores; both must succeed. */
async function both(args: (store: string) => string[]): Promise<[string, string]> {
  const [a, b] = await Promise.all([runCliAsync(args(folder)), runCliAsync(args(url))]);
  expect(a.stderr.includes('Error') ? a.stderr : '').toBe('');
  expect(a.code).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  return [a.stdout, b.stdout];
}

describePg('CLI on Postgres', (server) => {
  beforeAll(async () => {
    pg = server();
    url = withSchema(pg.url, `cli_${pg.kind}_${process.pid}`);
    work = await tempStoreDir('pg-cli-');
    folder = path.join(work, 'store');
  });

  describe('CLI on a Postgres store', () => {
    it('index builds both stores the same way', async () => {
      const [a, b] = await both((store) => [
        'index',
        examplesDir,
        '--store',
        store,
        '--embedder',
        'hashing',
        '--json',
      ]);
      const { store: sa, ...fileSummary } = JSON.parse(a);
      const { store: sb, ...pgSummary } = JSON.parse(b);
      expect(sa).toBe(folder);
      expect(sb).toContain('postgres://');
      expect(pgSummary).toEqual(fileSummary);
      expect(fileSummary.added).toBeGreaterThanOrEqual(4);
    }, 120_000);

    it('search gives the same top-5 in every mode and with filters', async () => {
      // Each flag once, the two queries taken in turn: what is checked here is the CLI's
      // path to each store; store-contract compares every query in every mode in-process.
      const queries = ['who owns a model trained on artists work', 'privacy at work'];
      const flagSets = [[], ['--section', 'question'], ['--mode', 'hybrid'], ['--exact']];
      for (const [i, flags] of flagSets.entries()) {
        const query = queries[i % queries.length] as string;
        const [a, b] = await both((store) => [
          'search',
          query,
          '--store',
          store,
          '-k',
          '5',
          '--json',
          ...flags,
        ]);
        expectSameHits(JSON.parse(b), JSON.parse(a));
      }
    }, 240_000);

    it('similar and themes give the same groups and themes', async () => {
      const [a, b] = await both((store) => ['similar', '--store', store, '--json']);
      expect(JSON.parse(b)).toEqual(JSON.parse(a));
      const [ta, tb] = await both((store) => ['themes', '--store', store, '--json']);
      expect(JSON.parse(tb)).toEqual(JSON.parse(ta));
    }, 240_000);

    it('report writes the same themes and recurring questions', async () => {
      const out = (store: string) => path.join(work, store === url ? 'report-pg' : 'report-file');
      await both((store) => [
        'report',
        examplesDir,
        '--store',
        store,
        '--out',
        out(store),
        '--format',
        'json',
        '--quiet',
      ]);
      const read = async (store: string) => {
        const data = JSON.parse(await readFile(path.join(out(store), 'report.json'), 'utf8'));
        return { themes: data.themes, recurring: data.recurringQuestions };
      };
      const file = await read(folder);
      expect(file.themes).toBeDefined();
      expect(await read(url)).toEqual(file);
    }, 240_000);

    it('verify checks the schema; a dead server is exit 1 and never a folder', async () => {
      const ok = await runCliAsync(['verify', '--store', url, '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [] });
      const dead = await runCliAsync([
        'index',
        examplesDir,
        '--store',
        'postgres://nobody@127.0.0.1:1/none',
        '--embedder',
        'hashing',
      ]);
      expect(dead.code).toBe(1);
      expect(dead.stderr).toContain('Cannot connect to the Postgres store');
      expect(existsSync(path.join(repoRoot, 'postgres:'))).toBe(false);
    }, 120_000);
  });
});
