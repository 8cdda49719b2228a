/**
 * Two questions with their shared content words taken out, for the contrastive
 * view of recurring questions (contrastive.ts).
 *
 * The bundled model scores "Can an artist copyright a distinctive visual style?"
 * and "Can a teacher copyright a distinctive teaching method?" above true
 * paraphrases: shared words pull sentence vectors together. What the two questions
 * do *not* share ("artist visual style" against "teacher teaching method") says
 * whether they ask the same thing. Words are compared as the lexical index
 * tokenizes them (lower case, stopwords out, plural "s" dropped), and removed
 * whole, so the rest keeps its order and function words.
 *
 *   withoutSharedWords('Can an artist copyright a style?', 'Can a teacher copyright a method?')
 *   // ['Can an artist a style?', 'Can a teacher a method?']
 */
import { tokenize } from '../search/bm25.js';

/** Both texts without the content words they share, or undefined when they share none. */
export function withoutSharedWords(a: string, b: string): [string, string] | undefined {
  const inB = new Set(tokenize(b));
  const shared = new Set(tokenize(a).filter((token) => inB.has(token)));
  if (shared.size === 0) return undefined;
  return [removeWords(a, shared), removeWords(b, shared)];
}

function removeWords(text: string, shared: ReadonlySet<string>): string {
  return text
    .split(/\s+/)
    .filter((word) => {
      const tokens = tokenize(word);
      return tokens.length === 0 || !tokens.every((token) => shared.has(token));
    })
    .join(' ');
}
