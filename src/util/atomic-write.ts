/**
 * Crash-safe file writes: write a temp file beside the target, fsync it, rename
 * it into place, then fsync the folder so the rename itself survives a power cut.
 * A reader therefore sees either the old file or the complete new one, never a
 * half-written file under the final name.
 *
 *   await writeFileAtomic('store/manifest.json', JSON.stringify(manifest));
 *
 *   // for files written by a native library that only takes a path:
 *   const tmp = tempPathFor('store/hnsw.000002.bin');
 *   await index.writeIndex(tmp);
 *   await commitTempFile(tmp, 'store/hnsw.000002.bin');
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Steps of an atomic write, in order, each reported right after it completed (the
 * store's crash tests stop the process at each one).
 */
export type AtomicWriteStep =
  | 'temp-created'
  | 'temp-written'
  | 'temp-fsynced'
  | 'renamed'
  | 'dir-fsynced';

export interface AtomicWriteOptions {
  onStep?: (step: AtomicWriteStep) => void;
  /**
   * false: never replace an existing `file` (EEXIST instead). The temp file is
   * hard-linked into place, which fails if the name exists, so a writer that lost
   * its lock while paused cannot put its file over one another writer committed.
   */
  replace?: boolean;
}

/** Suffix every temp file carries, so a cleaner can recognise (and remove) leftovers. */
export const TEMP_MARKER = '.tmp-';

/**
 * A temp name next to `file`. The pid plus a random suffix keeps concurrent
 * writers (or a retry after a crash) from ever colliding on the same temp file.
 */
export function tempPathFor(file: string): string {
  return `${file}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function isTempPath(file: string): boolean {
  return /\.tmp-\d+-[0-9a-f]+$/.test(file);
}

/** Flush a file's data to disk. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flush a folder's entries (new names, renames). Some platforms cannot open a
 * folder for fsync (Windows); the rename is still atomic there, only less durable.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/** fsync `tmp`, rename it to `file` and fsync the folder; removes `tmp` if anything fails. */
export async function commitTempFile(
  tmp: string,
  file: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  try {
    await fsyncFile(tmp);
    options.onStep?.('temp-fsynced');
    if (options.replace === false) await linkNoReplace(tmp, file);
    else await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  options.onStep?.('renamed');
  await fsyncDir(path.dirname(file));
  options.onStep?.('dir-fsynced');
}

/** Put `tmp` in place as `file` unless `file` exists (EEXIST), then drop the temp name. */
async function linkNoReplace(tmp: string, file: string): Promise<void> {
  try {
    await link(tmp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || !NO_HARD_LINKS.has(code ?? '')) throw error;
    // A file system without hard links (FAT, some network shares): check, then rename.
    // Not atomic, but still never over a file that is already there when we look.
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (exists)
      throw Object.assign(new Error(`EEXIST: file already exists, ${file}`), {
        code: 'EEXIST',
        path: file,
      });
    await rename(tmp, file);
    return;
  }
  await unlink(tmp);
}

/** Errors of link(2) that mean "this file system has no hard links". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Write `data` to `file` atomically (temp + fsync + rename + folder fsync). */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    const handle = await open(tmp, 'wx');
    try {
      options.onStep?.('temp-created');
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    // A failed write (ENOSPC, EIO) carries no path: name the file being written.
    const e = error as NodeJS.ErrnoException;
    if (e.code && !e.path) e.path = file;
    throw error;
  }
  options.onStep?.('temp-written');
  await commitTempFile(tmp, file, options);
}
