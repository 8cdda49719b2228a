/**
 * The single-writer lock of a lens store: a `lock` file created with O_EXCL
 * holding the owner's pid and host. Readers never take it.
 *
 *   const lock = await acquireWriteLock(dir);   // throws STORE_LOCKED when held
 *   try { ... } finally { await lock.release(); }
 */
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SalonLensError } from '../errors.js';
import { faultPoint } from './fault-points.js';

export const LOCK_FILE = 'lock';
const GARBLED_LOCK_GRACE_MS = 5_000;

const LockInfoSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  createdAt: z.string(),
});
type LockInfo = z.infer<typeof LockInfoSchema>;

export interface WriteLock {
  readonly file: string;
  release(): Promise<void>;
}

export async function acquireWriteLock(dir: string): Promise<WriteLock> {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockInfo = {
    pid: process.pid,
    host: hostname(),
    createdAt: new Date().toISOString(),
  };
  const body = `${JSON.stringify(mine)}\n`;
  // Two rounds: the second one runs only after a stale lock was removed.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, body, { flag: 'wx' });
      faultPoint('lock: created');
      return {
        file,
        release: async () => {
          // Only remove the lock if it is still ours (never someone else's takeover).
          const current = await readLock(file);
          if (current && current.pid === mine.pid && current.host === mine.host) {
            await unlink(file).catch(() => undefined);
            faultPoint('lock: released');
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(file);
    if (holder === undefined) continue; // removed between our attempt and the read: try again
    if (!isStale(holder)) break;
    // Stale-lock takeover: the holder is a process on THIS host that no longer
    // exists (it crashed or was killed mid-save), so nobody can be writing. A lock
    // from another host is never taken over: we cannot tell whether its pid lives.
    // The re-read just before unlinking narrows (but cannot close) the window in
    // which two processes take over the same stale lock at once.
    const again = await readLock(file);
    if (again && again.pid === holder.pid && again.createdAt === holder.createdAt) {
      await unlink(file).catch(() => undefined);
      faultPoint('lock: stale lock removed');
    }
  }
  const holder = await readLock(file);
  // pid 0: a lock file still being filled in by a writer that just took it.
  const who =
    holder && holder.pid > 0
      ? `process ${holder.pid} on ${holder.host} since ${holder.createdAt}`
      : 'another process';
  throw new SalonLensError(
    'STORE_LOCKED',
    `Store ${dir} is locked by ${who}: only one writer at a time. Wait for it to finish and ` +
      'run this again (reading still works meanwhile: salon-lens search, similar, themes and ' +
      `verify), or, if that process is gone from another machine, delete ${file}.`,
    { details: { dir, file, holder } },
  );
}

/** Reads the lock file; undefined when it is absent. A garbled lock counts as held by nobody we can check. */
async function readLock(file: string): Promise<LockInfo | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return LockInfoSchema.parse(JSON.parse(text));
  } catch {
    // A writer killed between creating and filling the lock leaves it empty or
    // partial. A live writer may also be caught in that instant, so a garbled
    // lock counts as stale (pid -1) only once it is older than a few seconds.
    const age = await stat(file).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    const abandoned = age > GARBLED_LOCK_GRACE_MS;
    return { pid: abandoned ? -1 : 0, host: hostname(), createdAt: 'unknown' };
  }
}

function isStale(holder: LockInfo): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === -1) return true; // garbled and old
  if (holder.pid === 0) return false; // garbled but fresh: a writer is filling it in
  try {
    process.kill(holder.pid, 0); // signal 0: existence check only
    return false;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
