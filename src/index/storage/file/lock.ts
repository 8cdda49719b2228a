/**
 * The single-writer lock of a lens store: a `lock` file created with O_EXCL,
 * holding a random token for this acquisition plus the owner's pid, host and PID
 * namespace. Readers never take it.
 *
 *   const lock = await acquireWriteLock(dir);   // throws STORE_LOCKED when held
 *   try { ...; await lock.assertHeld(); <switch the manifest> } finally { await lock.release(); }
 *
 * Who may take a lock over (staleness), decided only from facts another machine
 * or container cannot get wrong:
 * - Heartbeat: the holder touches the lock file every HEARTBEAT_MS while it is
 *   open. A lock whose mtime is older than STALE_AFTER_MS belongs to a process that
 *   is gone or hung, whichever host or container it ran in: it is taken over.
 * - Fast path: a lock from this host AND this PID namespace (Linux: the inode of
 *   /proc/self/ns/pid) whose pid no longer exists is taken over at once. A pid
 *   from another namespace (a container sharing the volume) means nothing here:
 *   only the heartbeat counts for it.
 * A writer re-checks its token right before it switches the manifest
 * (`assertHeld`), so a writer whose lock was deleted or taken over fails with
 * STORE_LOCKED instead of committing over someone else's save; `release` removes
 * the lock only while it still holds this acquisition's token.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, utimesSync } from 'node:fs';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SalonLensError } from '../../../errors.js';
import { shellCommand } from '../../../util/shell-quote.js';
import { faultPoint } from '../fault-points.js';

export const LOCK_FILE = 'lock';
const GARBLED_LOCK_GRACE_MS = 5_000;
/** How often a holder refreshes its lock's mtime. */
export const HEARTBEAT_MS = 5_000;
/** A lock not refreshed for this long is abandoned (twelve missed heartbeats). */
export const STALE_AFTER_MS = 60_000;
let heartbeatMs = HEARTBEAT_MS;

/**
 * @internal Tests only: the heartbeat interval of locks acquired from now on (a
 * test of a short write needs beats milliseconds apart). Returns the previous one.
 */
export function setHeartbeatInterval(ms: number): number {
  const previous = heartbeatMs;
  heartbeatMs = ms;
  return previous;
}

const LockInfoSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  createdAt: z.string(),
  /** Random per acquisition: tells this holder from any later one with the same pid. */
  token: z.string().optional(),
  /** PID namespace of the holder (Linux), e.g. `pid:[4026531836]`. */
  pidns: z.string().optional(),
});
type LockInfo = z.infer<typeof LockInfoSchema>;

export interface WriteLock {
  readonly file: string;
  /** Throws STORE_LOCKED unless the lock file still holds this acquisition's token. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

const PID_NAMESPACE = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined; // not Linux: only the heartbeat decides
  }
})();

export async function acquireWriteLock(dir: string): Promise<WriteLock> {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockInfo = {
    pid: process.pid,
    host: hostname(),
    createdAt: new Date().toISOString(),
    token: randomBytes(16).toString('hex'),
    ...(PID_NAMESPACE ? { pidns: PID_NAMESPACE } : {}),
  };
  const body = `${JSON.stringify(mine)}\n`;
  // Two rounds: the second one runs only after a stale lock was removed.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, body, { flag: 'wx' });
      faultPoint('lock: created');
      return heldLock(dir, file, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(file);
    if (holder === undefined) continue; // removed between our attempt and the read: try again
    if (!isStale(holder)) break;
    // The re-read just before unlinking narrows (but cannot close) the window in
    // which two processes take over the same stale lock at once.
    const again = await readLock(file);
    if (again && JSON.stringify(again.info) === JSON.stringify(holder.info)) {
      await unlink(file).catch(() => undefined);
      faultPoint('lock: stale lock removed');
    }
  }
  const holder = await readLock(file);
  throw lockedError(dir, file, holder?.info, 'held');
}

function heldLock(dir: string, file: string, mine: LockInfo): WriteLock {
  let lost = false;
  const owned = async () => (await readLock(file))?.info.token === mine.token;
  // The heartbeat never keeps the process alive, and stops once the lock is gone
  // (a read that fails for another reason is simply tried again next time). Each
  // beat is synchronous (a lock file is a few hundred bytes): a busy write gives
  // the event loop few turns, and an async read and touch needed several of them.
  const timer = setInterval(() => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
      text = '';
    }
    if (tokenOf(text) === mine.token) {
      const now = new Date();
      try {
        utimesSync(file, now, now);
      } catch {}
    } else {
      lost = true;
      clearInterval(timer);
    }
  }, heartbeatMs);
  timer.unref();
  return {
    file,
    assertHeld: async () => {
      if (!lost && (await owned())) return;
      lost = true;
      const holder = await readLock(file);
      throw lockedError(dir, file, holder?.info, 'lost');
    },
    release: async () => {
      clearInterval(timer);
      // Only remove the lock if it is still this acquisition's (never a takeover's).
      if (await owned().catch(() => false)) {
        await unlink(file).catch(() => undefined);
        faultPoint('lock: released');
      }
    },
  };
}

/** 'held': another writer has the lock; 'lost': this writer's lock was deleted or taken over. */
function lockedError(
  dir: string,
  file: string,
  holder: LockInfo | undefined,
  kind: 'held' | 'lost',
): SalonLensError {
  // pid 0: a lock file still being filled in by a writer that just took it.
  const who =
    holder && holder.pid > 0
      ? `process ${holder.pid} on ${holder.host} since ${holder.createdAt}`
      : holder
        ? 'another process'
        : 'nobody (the lock file was deleted)';
  return new SalonLensError(
    'STORE_LOCKED',
    kind === 'lost'
      ? `Store ${dir} is no longer locked by this writer: it is now held by ${who}, so this ` +
          'save was abandoned and nothing was written over the other writer. Open the store ' +
          'again and repeat the change.'
      : `Store ${dir} is locked by ${who}: only one writer at a time. Wait for it to finish and ` +
          'run this again (reading still works meanwhile: salon-lens search, similar, themes and ' +
          `verify). A lock its holder stops refreshing is taken over after ` +
          `${STALE_AFTER_MS / 1000} s; if you are sure no writer is running: ${shellCommand(['rm', file])}`,
    { details: { dir, file, holder } },
  );
}

/** The token in a lock file's text (undefined if garbled or absent). */
function tokenOf(text: string): string | undefined {
  try {
    return LockInfoSchema.parse(JSON.parse(text)).token;
  } catch {
    return undefined;
  }
}

/** The lock file's content and age in ms; undefined when it is absent. */
async function readLock(file: string): Promise<{ info: LockInfo; age: number } | undefined> {
  let text: string;
  let age: number;
  try {
    text = await readFile(file, 'utf8');
    age = Date.now() - (await stat(file)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return { info: LockInfoSchema.parse(JSON.parse(text)), age };
  } catch {
    // A writer killed between creating and filling the lock leaves it empty or
    // partial. A live writer may also be caught in that instant, so a garbled
    // lock counts as stale (pid -1) only once it is older than a few seconds.
    const abandoned = age > GARBLED_LOCK_GRACE_MS;
    return { info: { pid: abandoned ? -1 : 0, host: hostname(), createdAt: 'unknown' }, age };
  }
}

function isStale({ info, age }: { info: LockInfo; age: number }): boolean {
  if (age > STALE_AFTER_MS) return true; // no heartbeat for a minute: the holder is gone
  if (info.pid === -1) return true; // garbled and old
  if (info.pid === 0) return false; // garbled but fresh: a writer is filling it in
  // A pid is only meaningful in the namespace it came from.
  if (info.host !== hostname() || !PID_NAMESPACE || info.pidns !== PID_NAMESPACE) return false;
  try {
    process.kill(info.pid, 0); // signal 0: existence check only
    return false;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
