/**
 * Statements asked for in the same turn of the event loop, sent to the server as
 * one simple-protocol message (one round trip): the lens asks for a search's vector
 * hits and keyword hits at once, and on a shared, loaded machine every round trip is
 * a wait for the server process to be scheduled. The statements of one message run
 * in one implicit transaction, so they read one snapshot; if one fails, every caller
 * of the message gets the error. Parameters are written into the text
 * (pg-queries.ts inlineParams): the simple protocol takes none.
 *
 *   const pipeline = new Pipeline(client);
 *   const [hits, keywords] = await Promise.all([pipeline.run(a, 1), pipeline.run(b, 1)]);
 */
import type pg from 'pg';

interface Pending {
  texts: string[];
  counts: number[];
  done: Promise<pg.QueryResult[]>;
}

export class Pipeline {
  #pending: Pending | undefined;

  constructor(private readonly client: pg.Client) {}

  /** Results of `text`, which holds `count` statements (`;`-separated, none empty). */
  async run<R extends pg.QueryResultRow>(
    text: string,
    count: number,
  ): Promise<pg.QueryResult<R>[]> {
    if (!this.#pending) {
      const pending: Pending = {
        texts: [],
        counts: [],
        done: new Promise((resolve, reject) => {
          // setImmediate, not a microtask: callers reach here after awaits of their own.
          setImmediate(() => {
            this.#pending = undefined;
            this.#send(pending.texts).then(resolve, reject);
          });
        }),
      };
      this.#pending = pending;
    }
    const pending = this.#pending;
    const at = pending.counts.reduce((a, b) => a + b, 0);
    pending.texts.push(text);
    pending.counts.push(count);
    const results = await pending.done;
    return results.slice(at, at + count) as pg.QueryResult<R>[];
  }

  async #send(texts: readonly string[]): Promise<pg.QueryResult[]> {
    const result = (await this.client.query(texts.join(';\n'))) as unknown as
      | pg.QueryResult
      | pg.QueryResult[];
    return Array.isArray(result) ? result : [result];
  }
}
