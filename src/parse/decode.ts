/**
 * Turn raw file bytes into document text, refusing what is not a text document.
 *
 *   const text = decodeDocument(await readFile(p), { file: p, maxBytes: 16 << 20 });
 */
import { SalonLensError, SalonParseError } from '../errors.js';

/** Default size limit for one document; a takeaways file is a few kB. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export interface DecodeOptions {
  file: string;
  maxBytes?: number;
}

export function decodeDocument(input: string | Uint8Array, options: DecodeOptions): string {
  const { file, maxBytes = DEFAULT_MAX_BYTES } = options;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes) {
    throw new SalonLensError(
      'INPUT_TOO_LARGE',
      `${file}: document is ${size} bytes, over the limit of ${maxBytes} bytes. ` +
        'Split it, or raise the limit with the maxBytes option (CLI: --max-bytes <n>).',
      { details: { file, size, maxBytes } },
    );
  }
  // NUL bytes mean binary content whatever the encoding; check them before
  // decoding so an image is reported as binary, not as bad UTF-8.
  if (typeof input !== 'string') rejectNulBytes(input, file);
  const text = typeof input === 'string' ? input : decodeUtf8(input, file);
  rejectBinary(text, file);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    const line = lineOfFirstInvalidByte(bytes);
    const error = new SalonParseError(file, line, 'UTF-8 text', 'an invalid UTF-8 byte sequence');
    (error as { cause?: unknown }).cause = cause;
    throw error;
  }
}

/** Decode progressively larger prefixes is quadratic; instead find the bad byte by hand. */
function lineOfFirstInvalidByte(bytes: Uint8Array): number {
  let line = 1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b === 0x0a) line++;
    const width =
      b < 0x80
        ? 1
        : b >= 0xc2 && b <= 0xdf
          ? 2
          : b >= 0xe0 && b <= 0xef
            ? 3
            : b >= 0xf0 && b <= 0xf4
              ? 4
              : 0;
    if (width === 0 || i + width > bytes.length) return line;
    for (let k = 1; k < width; k++) {
      if (((bytes[i + k] as number) & 0xc0) !== 0x80) return line;
    }
    i += width;
  }
  return line;
}

/**
 * NUL bytes never occur in text documents; a high share of other control
 * characters means an image, archive or similar was passed by mistake.
 */
function rejectBinary(text: string, file: string): void {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    throw new SalonParseError(
      file,
      lineAt(text, nul),
      'a text document',
      'binary content (NUL bytes)',
    );
  }
  const sample = text.slice(0, 8192);
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  if (sample.length > 0 && control / sample.length > 0.1) {
    throw new SalonParseError(file, 1, 'a text document', 'binary content (control characters)');
  }
}

function rejectNulBytes(bytes: Uint8Array, file: string): void {
  const nul = bytes.indexOf(0);
  if (nul === -1) return;
  let line = 1;
  for (let i = 0; i < nul; i++) if (bytes[i] === 0x0a) line++;
  throw new SalonParseError(file, line, 'a text document', 'binary content (NUL bytes)');
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}
