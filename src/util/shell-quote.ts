/**
 * Quote words for a POSIX shell, so a suggested command can be pasted as is: a path
 * holding `$(...)`, `;`, spaces or quotes stays one literal argument.
 *
 *   shellCommand(['salon-lens', 'index', 'my salons', '--store', "it's;rm -rf ~"])
 *   // → salon-lens index 'my salons' --store 'it'\''s;rm -rf ~'
 *
 * Words made only of characters no shell treats specially are left bare, so the
 * common case reads naturally. (`shell-quote` on npm escapes with backslashes,
 * which is harder to read in an error message; this is the whole rule.)
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A whole command line; `<placeholders>` for the user to fill in are kept unquoted. */
export function shellCommand(words: readonly string[]): string {
  return words.map((w) => (/^<[^<>]+>$/.test(w) ? w : shellQuote(w))).join(' ');
}
