/**
 * The store's vectors are read from its files on demand (VectorRows), not held in
 * memory: rows must come back bit for bit from a base file plus appended segments,
 * with rows changed since the last save (new, replaced, removed) taking precedence,
 * in batched scans (neighbouring rows in one read) as in single reads, and the same
 * when a small store's saved rows are held in memory (RESIDENT_BYTES).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../src/index/storage/file/manifest.js';
import { VectorRows } from '../src/index/storage/file/vector-rows.js';
import { dot } from '../src/index/storage/seam.js';
import { tempStoreDir } from './helpers/index-store.js';

const DIM = 4;
const rowOf = (label: number) => Float32Array.from({ length: DIM }, (_, d) => label * 10 + d + 0.5);

async function vectorsFile(dir: string, name: string, from: number, to: number) {
  const rows = new Float32Array((to - from) * DIM);
  for (let l = from; l < to; l++) rows.set(rowOf(l), (l - from) * DIM);
  await writeFile(path.join(dir, name), new Uint8Array(rows.buffer));
  return { name, sha256: '', bytes: rows.byteLength };
}

describe('VectorRows', () => {
  it.each([
    ['read from the files', 0],
    ['held in memory', 1 << 20],
  ])(
    'reads rows from a base file and segments, with unsaved changes on top (%s)',
    async (_, residentBytes) => {
      const dir = await tempStoreDir('rows-');
      // Base: labels 0..999 (more than one scan read), segment: 1000..1099.
      const base = await vectorsFile(dir, 'vectors.000001.f32', 0, 1000);
      const segment = await vectorsFile(dir, 'vectors.000002.f32', 1000, 1100);
      const manifest = {
        embedder: { id: 'x', dim: DIM },
        files: { vectors: base },
        delta: [{ vectors: segment, firstLabel: 1000, labelCount: 100 }],
      } as unknown as Manifest;
      const rows = VectorRows.open(dir, manifest, { residentBytes });
      try {
        // Unsaved: a replaced row, a removed row, two new rows past the files.
        rows.set(7, Float32Array.of(1, 2, 3, 4));
        rows.clear(1050);
        rows.reserve(1102);
        rows.set(1100, Float32Array.of(5, 6, 7, 8));
        rows.set(1101, Float32Array.of(9, 9, 9, 9));
        const expected = (l: number) =>
          l === 7
            ? [1, 2, 3, 4]
            : l === 1050
              ? [0, 0, 0, 0]
              : l === 1100
                ? [5, 6, 7, 8]
                : l === 1101
                  ? [9, 9, 9, 9]
                  : [...rowOf(l)];
        // Sparse, dense, across the file boundary and into memory.
        const labels = [0, 1, 2, 5, 7, 9, 20, 400, 511, 512, 513, 998, 999, 1000, 1001, 1050, 1099];
        const wanted = Int32Array.from([...labels, 1100, 1101]);
        const seen: number[] = [];
        rows.scan(wanted, (label, row) => {
          seen.push(label);
          expect([...row]).toEqual(expected(label));
        });
        expect(seen).toEqual([...wanted]);
        for (const l of wanted) expect([...rows.row(l)]).toEqual(expected(l));
        // A dot product in place equals one over a copy of the row, to the last bit.
        const q = Float32Array.of(0.1, -0.2, 0.3, 0.7);
        for (const l of wanted) expect(rows.dot(l, q)).toBe(dot(q, Float32Array.from(expected(l))));
        // What a save writes: every row in order, changes included.
        const bytes = rows.bytes(0, 1102);
        const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        for (const l of [0, 7, 999, 1000, 1050, 1101]) {
          expect([...all.subarray(l * DIM, (l + 1) * DIM)]).toEqual(expected(l));
        }
        // An append writes the new rows only: straight from memory.
        expect([...new Float32Array(rows.bytes(1100, 1102).slice().buffer)]).toEqual([
          5, 6, 7, 8, 9, 9, 9, 9,
        ]);
      } finally {
        rows.close();
      }
      // Closed: the files are no longer read.
      expect(() => rows.row(3)).toThrow();
    },
  );
});
