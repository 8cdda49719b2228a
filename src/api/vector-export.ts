/**
 * Stored vectors out to a file another tool (or another store) can read, and back:
 *
 * - `jsonl`: one line per item, `{"id","salonId","section","vector":[…]}`, after a
 *   first line `{"embedder","dim","count"}`;
 * - `float32`: `<file>` holds the vectors as little-endian float32 rows (count × dim),
 *   `<file>.json` holds `{ embedder, dim, count, ids }` (row i is ids[i]); numpy reads
 *   it with `np.fromfile(file, '<f4').reshape(count, dim)`.
 *
 *   await lens.exportVectors('vectors.jsonl');
 *   const { embedder, vectors } = await readVectorExport('vectors.jsonl');
 *   await other.add(salons, { vectorOf: (item) => vectors.get(item.id) });
 *
 * Each file is written atomically (a reader never sees half of one).
 */
import { readFile } from 'node:fs/promises';
import { SalonLensError } from '../errors.js';
import type { Item } from '../parse/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const VECTOR_EXPORT_FORMATS = ['jsonl', 'float32'] as const;
export type VectorExportFormat = (typeof VECTOR_EXPORT_FORMATS)[number];

export interface VectorExport {
  embedder: string;
  dim: number;
  /** Item id → vector, in the store's order. */
  vectors: Map<string, Float32Array>;
}

interface Rows {
  embedder: string;
  dim: number;
  items: readonly Item[];
  vectors: readonly Float32Array[];
}

/** The format a file name implies: `.jsonl` is JSONL, anything else float32. */
export function formatOf(file: string): VectorExportFormat {
  return file.toLowerCase().endsWith('.jsonl') ? 'jsonl' : 'float32';
}

export async function writeVectorExport(
  file: string,
  rows: Rows,
  format: VectorExportFormat = formatOf(file),
): Promise<{ files: string[]; count: number }> {
  const { embedder, dim, items, vectors } = rows;
  const count = items.length;
  if (format === 'jsonl') {
    const lines = [JSON.stringify({ embedder, dim, count })];
    items.forEach((item, i) => {
      const vector = Array.from(vectors[i] as Float32Array);
      lines.push(
        JSON.stringify({ id: item.id, salonId: item.salonId, section: item.section, vector }),
      );
    });
    await writeFileAtomic(file, `${lines.join('\n')}\n`);
    return { files: [file], count };
  }
  const data = new Float32Array(count * dim);
  vectors.forEach((v, i) => {
    data.set(v, i * dim);
  });
  const bytes = new Uint8Array(data.buffer);
  // Float32Array uses the platform's byte order; the format promises little-endian.
  if (new Uint8Array(Float32Array.of(1).buffer)[3] !== 0x3f) swapBytes(bytes);
  await writeFileAtomic(file, bytes);
  const ids = items.map((item) => item.id);
  await writeFileAtomic(`${file}.json`, `${JSON.stringify({ embedder, dim, count, ids })}\n`);
  return { files: [file, `${file}.json`], count };
}

export async function readVectorExport(
  file: string,
  format: VectorExportFormat = formatOf(file),
): Promise<VectorExport> {
  if (format === 'jsonl') {
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
    const head = parseLine(lines[0], file, 1) as { embedder: string; dim: number };
    const vectors = new Map<string, Float32Array>();
    lines.slice(1).forEach((line, i) => {
      const row = parseLine(line, file, i + 2) as { id: string; vector: number[] };
      vectors.set(row.id, Float32Array.from(row.vector));
    });
    return { embedder: head.embedder, dim: head.dim, vectors };
  }
  const meta = parseLine(await readFile(`${file}.json`, 'utf8'), `${file}.json`, 1) as {
    embedder: string;
    dim: number;
    ids: string[];
  };
  const bytes = new Uint8Array(await readFile(file));
  if (bytes.length !== meta.ids.length * meta.dim * 4) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `${file}: expected ${meta.ids.length} × ${meta.dim} float32 values (from ${file}.json), found ${bytes.length} bytes`,
      { details: { file } },
    );
  }
  if (new Uint8Array(Float32Array.of(1).buffer)[3] !== 0x3f) swapBytes(bytes);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const vectors = new Map<string, Float32Array>();
  meta.ids.forEach((id, i) => {
    vectors.set(id, data.slice(i * meta.dim, (i + 1) * meta.dim));
  });
  return { embedder: meta.embedder, dim: meta.dim, vectors };
}

function parseLine(line: string | undefined, file: string, lineNo: number): unknown {
  try {
    return JSON.parse(line ?? '');
  } catch (error) {
    throw new SalonLensError(
      'INPUT_ERROR',
      `${file}:${lineNo}: expected a line of a salon-lens vector export (JSON)`,
      { details: { file, line: lineNo }, cause: error },
    );
  }
}

function swapBytes(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4) {
    const [a, b, c, d] = [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]] as number[];
    bytes[i] = d as number;
    bytes[i + 1] = c as number;
    bytes[i + 2] = b as number;
    bytes[i + 3] = a as number;
  }
}
