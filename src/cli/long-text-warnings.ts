/**
 * Warnings for text the model will only read in part (see embed/input-cap.ts):
 * the cut itself happens at the embedder, silently; the CLI says so once per item.
 */
import { MAX_EMBED_CHARS } from '../embed/index.js';
import type { Salon } from '../parse/index.js';
import { info } from './io.js';

export function warnLongItems(salons: readonly Salon[]): void {
  for (const salon of salons) {
    for (const item of salon.items) {
      if (item.text.length > MAX_EMBED_CHARS) {
        info(
          `warning: ${salon.source}:${item.line}: item is ${item.text.length} characters; only ` +
            `its first ${MAX_EMBED_CHARS} are embedded (the whole text is kept and shown)`,
        );
      }
    }
  }
}

export function warnLongQuery(query: string): void {
  if (query.length > MAX_EMBED_CHARS) {
    info(
      `warning: the query is ${query.length} characters; only its first ${MAX_EMBED_CHARS} are ` +
        'embedded (lexical matching uses all of it)',
    );
  }
}
