/**
 * Text from documents and stores is untrusted: an ESC, OSC or BEL sequence in an
 * item could retitle the terminal, hide lines or fake a prompt, and a bidi override
 * (U+202E) makes text read differently from what it is. Human output shows such
 * characters escaped (`\u001b`); `--json` output keeps the exact text.
 *
 *   process.stdout.write(`${terminalSafe(hit.item.text)}\n`);
 */

/**
 * C0 controls (U+0000–U+001F), DEL and C1 controls (U+007F–U+009F), the bidi
 * embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069), plus the line
 * and paragraph separators (U+2028/2029) that some terminals treat as newlines.
 * Tab and newline are escaped too: one item or title is one line of output.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control and bidi-control character shown as `\uXXXX`. */
export function terminalSafe(text: string): string {
  return text.replace(
    UNSAFE,
    (ch) => `\\u${(ch.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}

/** For multi-line messages (an error, a warning list): keeps `\n`, escapes everything else. */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}
