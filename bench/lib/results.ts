/**
 * Where bench results go: `bench/results/<name>.json`, written through a temp file and
 * a rename so a killed bench never leaves half a JSON file (the `*.tmp.json` name is
 * git-ignored).
 *
 *   await writeResults('ann', { machine, params, rows });
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

/** Writes the JSON and returns its path relative to the repo. */
export async function writeResults(name: string, payload: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const tmp = path.join(RESULTS_DIR, `${name}.${process.pid}.tmp.json`);
  await writeFile(tmp, `${JSON.stringify(payload, null, 2)}\n`);
  await rename(tmp, file);
  return path.relative(REPO_ROOT, file);
}
