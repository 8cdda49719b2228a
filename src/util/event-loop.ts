/**
 * Long CPU-bound loops of awaits that never wait for I/O (k-NN searches answered
 * from memory resolve as microtasks) keep timers from running: the write lock's
 * heartbeat starved for 84 s in the statistics stage of a 60,000-item add, and
 * another writer took a live writer's lock over. Such loops call a pacer, which
 * gives the event loop a turn (timers, I/O) once per `everyMs`.
 *
 *   const pace = pacer();
 *   for (const x of work) { step(x); await pace(); }
 */
const YIELD_EVERY_MS = 50;

export function pacer(everyMs = YIELD_EVERY_MS): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
