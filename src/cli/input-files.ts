/**
 * Long inputs that do not belong on the command line: `search --query-file <file|->`
 * and `index --from-file <file|->` (a list of paths, e.g. from `find`). A shell glob
 * over thousands of documents, or a pasted page of text, makes an argv of tens of kB;
 * a file or stdin has no such limit.
 *
 *   const query = await readQueryFile('-');            // stdin
 *   const paths = await readPathList('paths.txt');     // one path a line, or NUL-separated
 */
import { readFile } from 'node:fs/promises';
import { SalonLensError } from '../errors.js';
import { decodeDocument } from '../parse/decode.js';

/** stdin's bytes, or the file's; `option` names the flag in errors. */
async function readInputBytes(file: string, option: string): Promise<Buffer> {
  try {
    if (file !== '-') return await readFile(file);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SalonLensError('INPUT_ERROR', `${option} ${file}: cannot be read (${code})`, {
      details: { option, file, code },
      cause: error,
    });
  }
}

/** Text, refused (one line naming the flag and file) when binary or not UTF-8. */
function decodeInput(bytes: Buffer, file: string, option: string): string {
  return decodeDocument(bytes, { file: `${option} ${file === '-' ? '- (stdin)' : file}` });
}

/** The query in a file or on stdin, without its final newline. */
export async function readQueryFile(file: string): Promise<string> {
  const bytes = await readInputBytes(file, '--query-file');
  const query = decodeInput(bytes, file, '--query-file').replace(/\r?\n$/, '');
  if (query.trim().length === 0) {
    throw new SalonLensError('INPUT_ERROR', `--query-file ${file}: the query is empty`, {
      details: { option: '--query-file', file },
    });
  }
  return query;
}

/**
 * Paths listed in a file or on stdin: NUL-separated (`find -print0`) when the list
 * holds a NUL, else one a line; blank lines are skipped, a path is kept as written
 * (spaces included).
 */
export async function readPathList(file: string): Promise<string[]> {
  const bytes = await readInputBytes(file, '--from-file');
  // NUL bytes separate paths here; anything else must be text like a document.
  const text = bytes.includes(0) ? bytes.toString('utf8') : decodeInput(bytes, file, '--from-file');
  const paths = text.split(bytes.includes(0) ? '\0' : /\r?\n/).filter((p) => p.trim().length > 0);
  if (paths.length === 0) {
    throw new SalonLensError('INPUT_ERROR', `--from-file ${file}: lists no paths`, {
      details: { option: '--from-file', file },
    });
  }
  return paths;
}
