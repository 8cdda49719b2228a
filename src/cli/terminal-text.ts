/**
 * Text from documents and stores is untrusted: an ESC, OSC or BEL sequence in an
 * item could retitle the terminal, hide lines or fake a prompt, and a bidi override
 * (U+202E) makes text read differently from what it is. Human output shows such
 * characters escaped (`\u001b`); `--json` output keeps the exact text.
 *
 *   process.stdout.write(`${terminalSafe(hit.item.text)}\n`);
 */
import { showControls } from '../util/control-chars.js';

/**
 * `text` with every control and bidi-control character shown as `\uXXXX` (see
 * util/control-chars.ts). Tab and newline are escaped too: one item or title is
 * one line of output.
 */
export function terminalSafe(text: string): string {
  return showControls(text);
}

/** For multi-line messages (an error, a warning list): keeps `\n`, escapes everything else. */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}
