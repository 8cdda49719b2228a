/**
 * Child process for the crash tests: opens a store as the writer and runs one
 * write, pausing forever at a chosen progress event so the parent can SIGKILL it
 * exactly there (every 'save' event fires right after a file became durable).
 *
 *   node --import tsx test/helpers/index-crash-child.ts <store> add save:2
 *   node --import tsx test/helpers/index-crash-child.ts <store> state none   (prints READY first)
 */
import { openLens } from '../../src/index/index.js';
import { hashingEmbedder } from './index-embedders.js';
import { exampleSalons } from './index-store.js';

const [dir, action, pauseAt] = process.argv.slice(2) as [string, 'add' | 'state', string];

function pauseForever(): void {
  process.stdout.write('PAUSED\n');
  // Block the whole process (no event loop turn) until the parent kills it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
}

const embedder = await hashingEmbedder(64);
const lens = await openLens(dir, { embedder });
const onProgress = (p: { stage: string; done: number }) => {
  if (`${p.stage}:${p.done}` === pauseAt) pauseForever();
};
process.stdout.write('READY\n');
if (action === 'add') {
  await lens.addSalons(await exampleSalons(), { onProgress });
} else {
  await lens.writeState('marker', 'after');
}
await lens.close();
process.stdout.write('DONE\n');
