/**
 * Named points in the store's write path where a crash test may stop the process:
 * after each step that changes the folder (temp file created, written, fsynced,
 * renamed, folder fsynced, leftover removed, lock taken). A TEST SEAM, inert unless
 * the environment variable `SALON_LENS_FAULT_POINTS` is set:
 *
 *   SALON_LENS_FAULT_POINTS=trace  each point prints `[fault-point] <n> <label>` on stderr
 *   SALON_LENS_FAULT_POINTS=7      the 7th point prints `... PAUSED` and blocks the whole
 *                                  process until a byte (or EOF) arrives on stdin, so the
 *                                  parent can SIGKILL it exactly there, or let it go on
 *
 *   faultPoint(`${name}: renamed`);
 *
 * Why an environment variable rather than an option: the crash tests kill a separate
 * process (a real CLI run or a bundled child), and options do not cross that boundary.
 * The variable is read once, here, and nowhere else in the library.
 */
import { readSync } from 'node:fs';

const SPEC = process.env.SALON_LENS_FAULT_POINTS;
const TRACE = SPEC === 'trace';
const PAUSE_AT = SPEC !== undefined && /^\d+$/.test(SPEC) ? Number(SPEC) : undefined;
let count = 0;

export function faultPoint(label: string): void {
  if (SPEC === undefined) return;
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
