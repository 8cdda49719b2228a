/**
 * Control characters from untrusted text, shown instead of obeyed: an ESC, OSC or
 * BEL sequence in an item could retitle a terminal, hide lines, fake a prompt or
 * hide a link (OSC 8), and a bidi override (U+202E) makes text read differently
 * from what it is. Terminal output (cli/terminal-text.ts) and the Markdown and
 * HTML reports (read with `cat` as often as in a browser) show them as `\u001b`.
 *
 *   showControls('a\u001b]0;pwned\u0007b')   // 'a\\u001b]0;pwned\\u0007b'
 *   showControls(page, { keepLayout: true }) // newlines and tabs stay
 */

/**
 * C0 controls (U+0000–U+001F), DEL and C1 controls (U+007F–U+009F), the bidi
 * embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069), plus the line
 * and paragraph separators (U+2028/2029) that some terminals treat as newlines.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, but tab and newline (a file's own layout) pass; a lone CR could overprint a line. */
const CONTROLS_BUT_LAYOUT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control and bidi-control character shown as `\uXXXX`. */
export function showControls(text: string, options: { keepLayout?: boolean } = {}): string {
  return text.replace(
    options.keepLayout ? CONTROLS_BUT_LAYOUT : CONTROLS,
    (ch) => `\\u${(ch.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}
