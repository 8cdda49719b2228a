/**
 * Locations of the repo and of the product owner's read-only data (`../shared`).
 * Tests that need shared data use `sharedDir(...)` and skip with a message when absent.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const examplesDir = path.join(repoRoot, 'examples/salons');
export const fixturesDir = path.join(repoRoot, 'test/fixtures');
export const cliPath = path.join(repoRoot, 'dist/cli.js');

/** Path under ../shared, or undefined (with a note on stderr) when it is not there. */
export function sharedPath(relative: string): string | undefined {
  const full = path.resolve(repoRoot, '../shared', relative);
  if (existsSync(full)) return full;
  process.stderr.write(`[skip] ../shared/${relative} not found; tests that need it are skipped\n`);
  return undefined;
}
