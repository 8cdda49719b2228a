/**
 * Warnings the store commands print on stderr: text the model reads only in part
 * (the cut itself happens silently at the embedder, see embed/input-cap.ts), and
 * stored salons an update replaced with another document's.
 */
import { MAX_EMBED_CHARS } from '../embed/index.js';
import type { AddSummary } from '../index/index.js';
import type { Salon } from '../parse/index.js';
import { info } from './io.js';

export function warnReplaced(summary: Pick<AddSummary, 'replaced'>): void {
  for (const r of summary.replaced ?? []) {
    const was = `"${r.previous.title}" from ${r.previous.source}`;
    const now = `"${r.now.title}" from ${r.now.source}`;
    info(
      r.id === r.previousId
        ? `warning: salon ${r.id} was ${was} and is now ${now}; if these are two different ` +
            'salons, give one its own header (date and title) and index both again'
        : `warning: ${r.now.source} was stored as salon ${r.previousId} and is now ${r.id}; ` +
            `the old entry (${was}) was replaced`,
    );
  }
}

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
