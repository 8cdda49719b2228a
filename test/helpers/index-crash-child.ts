/**
 * Child process for the crash and concurrency tests: opens a store as the writer
 * and runs one write, so the parent can SIGKILL it at a chosen point. It runs as a
 * bundle (see index-crash.ts), so paths come in the JSON argument, not from
 * import.meta.
 *
 *   node child.mjs '{"store":"/tmp/s","action":"add","salonsFile":"/tmp/salons.json","pauseAt":"save:2"}'
 *
 * Ways to stop it:
 * - `pauseAt: "<stage>:<done>"`: block at that progress event and print PAUSED
 *   (every 'save' event fires right after a file became durable);
 * - the env var SALON_LENS_FAULT_POINTS (see src/index/storage/fault-points.ts): block after
 *   the n-th write step, printing `[fault-point] n label PAUSED` on stderr;
 * - a timer in the parent, started when READY is printed.
 *
 * Action 'cycle' is the writer of the reader-beside-writer test: it alternately adds
 * the salons of `salonsFile` and removes `ids`, printing `SAVED <generation>` after each save, and waits for a
 * line on stdin before the next round.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createEmbedder } from '../../src/embed/index.js';
import { createLens, openLens } from '../../src/index/index.js';
import type { Salon } from '../../src/parse/index.js';
// Type only (erased from the bundle): the harness and the child share one config shape.
import type { ChildConfig } from './index-crash.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

function pauseForever(): void {
  process.stdout.write('PAUSED\n');
  // Block the whole process (no event loop turn) until the parent kills it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
}

const salons: Salon[] = config.salonsFile
  ? JSON.parse(await readFile(config.salonsFile, 'utf8'))
  : [];
const embedder = await createEmbedder({ backend: 'hashing', dim: config.dim ?? 64 });
const lens =
  config.action === 'force'
    ? await createLens(config.store, { embedder, force: true })
    : await openLens(config.store, { embedder });
const onProgress = (p: { stage: string; done: number }) => {
  if (`${p.stage}:${p.done}` === config.pauseAt) pauseForever();
};
process.stdout.write('READY\n');
if (config.action === 'add' || config.action === 'force') {
  await lens.addSalons(salons, { onProgress });
} else if (config.action === 'remove') {
  await lens.removeSalons(config.ids ?? [], { onProgress });
} else if (config.action === 'state') {
  await lens.writeState('marker', config.value ?? 'after');
} else {
  const input = createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  for (let round = 0; round < (config.rounds ?? 1); round++) {
    if (round % 2 === 0) await lens.addSalons(salons);
    else await lens.removeSalons(config.ids ?? []);
    process.stdout.write(`SAVED ${lens.manifest.generation}\n`);
    await lines.next();
  }
  // An open stdin would keep the process alive after DONE.
  input.close();
  process.stdin.destroy();
}
await lens.close();
process.stdout.write('DONE\n');
