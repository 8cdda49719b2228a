/**
 * The built package (dist/, made by `npm run build`, which `npm test` runs
 * first) must run the bundled model in worker threads from both the ESM and
 * the CJS build: the worker source resolves the model packages at run time,
 * which only a real built file can prove. Skips when dist/ is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixtures/embed-corpus.js';

const run = promisify(execFile);
const esm = path.join(REPO_ROOT, 'dist/index.js');
const cjs = path.join(REPO_ROOT, 'dist/index.cjs');
const built = existsSync(esm) && existsSync(cjs);
if (!built) console.warn('embed-dist: skipping, dist/ is not built (run `npm run build`)');

const body = `
  const embedder = await createEmbedder({ workers: 2, batchSize: 1 });
  const vectors = await embedder.embed(['open weights', 'who owns the data?', 'teachers']);
  await embedder.dispose();
  const norm = Math.hypot(...vectors[0]);
  console.log(JSON.stringify({ id: embedder.id, n: vectors.length, dim: vectors[0].length, norm }));
`;

async function check(code: string, args: string[]) {
  const { stdout } = await run(process.execPath, [...args, code], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
  expect(result).toMatchObject({ id: 'use-lite@512', n: 3, dim: 512 });
  expect(result.norm).toBeCloseTo(1, 5);
}

describe.skipIf(!built)('bundled embedder from the built package', () => {
  it('runs two worker threads from the ESM build', async () => {
    await check(`const { createEmbedder } = await import(${JSON.stringify(esm)});${body}`, [
      '--input-type=module',
      '--eval',
    ]);
  });

  it('runs two worker threads from the CJS build', async () => {
    await check(
      `(async () => { const { createEmbedder } = require(${JSON.stringify(cjs)});${body} })().catch((e) => { console.error(e); process.exit(1); });`,
      ['--eval'],
    );
  });
});
