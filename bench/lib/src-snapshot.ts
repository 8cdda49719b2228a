/**
 * A frozen copy of `src/` for one bench run. Workers load salon-lens from it, so an
 * engineer editing `src/` during an hour-long run cannot mix code versions between
 * repeats (or crash one on a half-saved file). The copy sits in the OS temp dir with
 * a `node_modules` symlink back to the repo's, and is named by a hash of the sources,
 * which the results record next to the git commit.
 *
 *   const snap = await snapshotSource(); // { lensModule, fingerprint, commit, dirtyFiles }
 *   await import(pathToFileURL(snap.lensModule).href);
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './results.js';

export interface SourceSnapshot {
  /** Absolute path of the snapshot's `src/index/index.ts`. */
  lensModule: string;
  /** First 12 hex digits of sha256 over every file's path and bytes under src/. */
  fingerprint: string;
  commit: string;
  /** Files under src/ that differ from the commit (uncommitted work measured too). */
  dirtyFiles: number;
}

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  for (const file of entries) {
    hash.update(path.relative(dir, file));
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 12);
}

async function git(args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', args, { cwd: REPO_ROOT });
    return stdout.trim();
  } catch {
    return 'unknown';
  }
}

export async function snapshotSource(): Promise<SourceSnapshot> {
  const src = path.join(REPO_ROOT, 'src');
  const fingerprint = await hashTree(src);
  const root = path.join(os.tmpdir(), 'salon-lens-bench', `src-${fingerprint}`);
  if (!existsSync(path.join(root, 'src'))) {
    const tmp = `${root}.${process.pid}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await cp(src, path.join(tmp, 'src'), { recursive: true });
    // Package imports in the copy resolve through this link to the repo's installs.
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
    await rm(root, { recursive: true, force: true });
    await rename(tmp, root);
  }
  // A file edited while being copied would make the copy differ from its name: check.
  if ((await hashTree(path.join(root, 'src'))) !== fingerprint) {
    await rm(root, { recursive: true, force: true });
    return snapshotSource();
  }
  const status = await git(['status', '--porcelain', '--', 'src']);
  return {
    lensModule: path.join(root, 'src/index/index.ts'),
    fingerprint,
    commit: await git(['rev-parse', 'HEAD']),
    dirtyFiles: status === 'unknown' || status === '' ? 0 : status.split('\n').length,
  };
}
