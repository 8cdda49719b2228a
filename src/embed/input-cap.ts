/**
 * The size cap on text sent to a model: every text is cut to MAX_EMBED_CHARS
 * characters before any backend sees it.
 *
 *   const embedder = withInputCap(await createBackend(options));
 *
 * Why a cap: transformer cost grows with the square of the input length, so one
 * pasted 1 MB "query" or single-bullet document kept a core busy for minutes
 * (40 kB took 4.9 s, 114 kB 42 s) and, as one batch, could not be interrupted.
 * Models read a bounded window anyway (MiniLM-class models 256–512 tokens, about
 * 1,000–2,000 characters of English), and a salon item is ~200 characters, so
 * 2,000 characters loses nothing a model would have used. Callers that show text
 * to people report the cut (`index` and `parse` warn per item, `search` per query);
 * here it is silent, so every path into a model is bounded.
 */
import type { EmbedCallOptions, Embedder } from './types.js';

/** Characters of one text (item or query) that are embedded; the rest is ignored. */
export const MAX_EMBED_CHARS = 2000;

/** `text` cut to the cap, never inside a surrogate pair. */
export function capText(text: string): string {
  if (text.length <= MAX_EMBED_CHARS) return text;
  const end = /[\uD800-\uDBFF]/.test(text[MAX_EMBED_CHARS - 1] ?? '')
    ? MAX_EMBED_CHARS - 1
    : MAX_EMBED_CHARS;
  return text.slice(0, end);
}

/**
 * The same embedder, with every text capped before it reaches the backend. A proxy,
 * so what a backend adds beyond the interface (e.g. the bundled model's `runtime`)
 * stays visible, and class instances keep their own `this`.
 */
export function withInputCap<E extends Embedder>(embedder: E): E {
  const embed = (texts: readonly string[], call?: EmbedCallOptions) =>
    embedder.embed(
      texts.some((t) => t.length > MAX_EMBED_CHARS) ? texts.map(capText) : texts,
      call,
    );
  // The proxy's own target is a blank object: the embedder itself may be frozen,
  // and a proxy may not report another value for a frozen property of its target.
  return new Proxy({} as E, {
    get(_, prop) {
      if (prop === 'embed') return embed;
      const value = Reflect.get(embedder, prop, embedder);
      return typeof value === 'function' ? value.bind(embedder) : value;
    },
    has: (_, prop) => Reflect.has(embedder, prop),
  });
}
