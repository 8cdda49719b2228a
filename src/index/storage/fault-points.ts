/**
 * Named points in the store's write path where a crash test may stop the process:
 * after each step that changes the folder (temp file created, written, fsynced,
 * renamed, folder fsynced, leftover removed, lock taken), and one read step (`verify:
 * manifest read`, where a verify can be held while a writer commits). A TEST SEAM, inert unless
 * the environment variable `SALON_LENS_FAULT_POINTS` is set:
 *
 *   SALON_LENS_FAULT_POINTS=trace  each point prints `[fault-point] <n> <label>` on stderr
 *   SALON_LENS_FAULT_POINTS=7      the 7th point prints `... PAUSED` and blocks the whole
 *                                  process until a byte (or EOF) arrives on stdin, so the
 *                                  parent can SIGKILL it exactly there, or let it go on
 *   SALON_LENS_FAULT_POINTS=short-write:hnsw.
 *                                  every point whose label starts with `hnsw.` and that
 *                                  names the file it just put in place (the rename of a
 *                                  data file) cuts that file to half its size: a write that
 *                                  reported success but left a short file (what hnswlib's
 *                                  writeIndex did on a full disk)
 *
 *   faultPoint(`${name}: renamed`);
 *
 * Why an environment variable rather than an option: the crash tests kill a separate
 * process (a real CLI run or a bundled child), and options do not cross that boundary.
 * The variable is read once, here, and nowhere else in the library.
 */
import { readSync, statSync, truncateSync } from 'node:fs';

const SPEC = process.env.SALON_LENS_FAULT_POINTS;
const TRACE = SPEC === 'trace';
const PAUSE_AT = SPEC !== undefined && /^\d+$/.test(SPEC) ? Number(SPEC) : undefined;
const SHORT_WRITE = SPEC?.startsWith('short-write:')
  ? SPEC.slice('short-write:'.length)
  : undefined;
let count = 0;

/** `written`: the file the step just wrote, for the short-write mode. */
export function faultPoint(label: string, written?: { file: string }): void {
  if (SPEC === undefined) return;
  if (SHORT_WRITE !== undefined && written && label.startsWith(SHORT_WRITE)) {
    truncateSync(written.file, Math.floor(statSync(written.file).size / 2));
    process.stderr.write(`[fault-point] short write: ${label}\n`);
  }
  count++;
  if (TRACE) process.stderr.write(`[fault-point] ${count} ${label}\n`);
  if (count !== PAUSE_AT) return;
  process.stderr.write(`[fault-point] ${count} ${label} PAUSED\n`);
  // Block synchronously (no event-loop turn, so no other write can slip in) until the
  // parent writes a byte, closes stdin, or kills us.
  const byte = Buffer.alloc(1);
  for (;;) {
    try {
      readSync(0, byte, 0, 1, null);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      // A non-blocking pipe has nothing yet: sleep a little instead of spinning.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
