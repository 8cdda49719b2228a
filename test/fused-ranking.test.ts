/**
 * What the default (fused) search reads and how deep it looks: candidates read by
 * row number (the file store) exactly as by item id (any store), the depth, and the
 * dot product under every exact score and re-score. That a shorter default search is
 * the head of a longer one is checked on the shared corpus (index-corpus.test.ts),
 * where the old depth broke it.
 */
import { describe, expect, it } from 'vitest';
import { StoredNeighbourhoods } from '../src/index/csls/neighbourhoods.js';
import { createLens } from '../src/index/index.js';
import { candidateReader, refTable } from '../src/index/search/candidate-reader.js';
import { FUSED_MIN_DEPTH, fusedDepth } from '../src/index/search/fused-search.js';
import { openFileStore } from '../src/index/storage/file/file-open.js';
import { dot, dotAt, type ScoredItem } from '../src/index/storage/seam.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { exampleSalons, tempStoreDir } from './helpers/index-store.js';

describe('candidate reader', () => {
  it('reads radii, rows and cosines by row number exactly as by item id', async () => {
    const embedder = await hashingEmbedder(64);
    const dir = await tempStoreDir('reader-');
    const lens = await createLens(dir, { embedder });
    await lens.addSalons(await exampleSalons());
    await lens.close();
    const store = await openFileStore(dir, { embedder, readOnly: true });
    try {
      const stats = await StoredNeighbourhoods.load(store);
      if (!stats) throw new Error('expected saved statistics');
      const refs = store.rowRefs();
      const byRef = candidateReader(store, stats, refTable(refs, stats));
      const byId = candidateReader(store, stats, undefined);
      const [first] = await store.rows();
      const q = first?.vector.slice() as Float32Array;
      const hits = await store.exactSearch({ vector: q, k: 12 });
      expect(hits.every((h) => Number.isInteger(h.ref))).toBe(true);
      const noRefs: ScoredItem[] = hits.map(({ item, score }) => ({ item, score }));
      expect(hits.map((h) => byRef.radius(h))).toEqual(noRefs.map((h) => byId.radius(h)));
      expect(hits.some((h) => byRef.radius(h) > 0)).toBe(true);
      // A hit with a row number is read from the table, not by id.
      const blank = candidateReader(store, stats, { refs, radius: new Float64Array(refs.size) });
      expect(hits.every((h) => blank.radius(h) === 0)).toBe(true);
      expect(await byRef.scores(q, hits)).toEqual(await byId.scores(q, noRefs));
      const viaRefs = new Float32Array(q.length);
      const viaIds = new Float32Array(q.length);
      await byRef.addRows(viaRefs, hits.slice(0, 3), 0.25);
      await byId.addRows(viaIds, noRefs.slice(0, 3), 0.25);
      expect(viaRefs).toEqual(viaIds);
      expect(dot(viaRefs, viaRefs)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});

describe('fused search depth', () => {
  it('re-ranks max(k, FUSED_MIN_DEPTH) vector hits (the head-of-a-longer-list property is checked on the corpus)', () => {
    expect(FUSED_MIN_DEPTH).toBe(10);
    expect([1, 5, 10, 11, 25].map(fusedDepth)).toEqual([10, 10, 10, 11, 25]);
  });
});

describe('dotAt', () => {
  const naive = (a: Float32Array, b: Float32Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
    return s;
  };
  const seeded = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));

  it('equals the plain sum for every length (a tail after the groups of four)', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 9, 64, 511, 512, 513]) {
      const a = seeded(n, 1);
      const b = seeded(n, 2);
      expect(dot(a, b)).toBeCloseTo(naive(a, b), 12);
    }
  });

  it('reads the row starting at an offset of a packed matrix', () => {
    const dim = 6;
    const rows = seeded(dim * 3, 3);
    const q = seeded(dim, 4);
    for (let r = 0; r < 3; r++) {
      expect(dotAt(q, rows, r * dim)).toBeCloseTo(
        naive(q, rows.subarray(r * dim, (r + 1) * dim)),
        12,
      );
    }
  });
});
