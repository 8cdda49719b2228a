/**
 * The built package (dist/, made by `npm run build`, which `npm test` runs
 * first) must run the bundled model from both the ESM and the CJS build, on
 * onnxruntime-node and on the tfjs fallback's worker threads: both resolve
 * packages at run time (the weights, the runtime, the worker source), which
 * only a real built file can prove. Skips when dist/ is absent.
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

const body = (runtime: string) => `
  const embedder = await createEmbedder({ runtime: '${runtime}', threads: 2, batchSize: 1 });
  const vectors = await embedder.embed(['open weights', 'who owns the data?', 'teachers']);
  await embedder.dispose();
  const norm = Math.hypot(...vectors[0]);
  console.log(JSON.stringify({ id: embedder.id, n: vectors.length, dim: vectors[0].length, norm, runtime: embedder.runtime }));
`;

async function check(code: string, args: string[], runtime: string) {
  const { stdout } = await run(process.execPath, [...args, code], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
  expect(result).toMatchObject({ id: 'use-lite@512', n: 3, dim: 512, runtime });
  expect(result.norm).toBeCloseTo(1, 5);
}

describe.skipIf(!built)('bundled embedder from the built package', () => {
  for (const [runtime, name] of [
    ['onnx', 'onnxruntime-node'],
    ['tfjs', 'tfjs-wasm'],
  ] as const) {
    it(`runs on ${name} from the ESM build`, async () => {
      await check(
        `const { createEmbedder } = await import(${JSON.stringify(esm)});${body(runtime)}`,
        ['--input-type=module', '--eval'],
        name,
      );
    });

    it(`runs on ${name} from the CJS build`, async () => {
      await check(
        `(async () => { const { createEmbedder } = require(${JSON.stringify(cjs)});${body(runtime)} })().catch((e) => { console.error(e); process.exit(1); });`,
        ['--eval'],
        name,
      );
    });
  }
});
