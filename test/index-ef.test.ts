/**
 * The default ef follows the store's size (recall@10 at ef 128 fell from 0.9997 at
 * 100k to 0.9695 at 1M in the ANN bench); an ef the caller gives is kept as given.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createLens, LENS_DEFAULTS, openLens } from '../src/index/index.js';
import {
  EF_SCALE_FROM,
  effectiveEf,
  FILTERED_EF_GROWTH,
  filteredEf,
} from '../src/index/options.js';
import { hashingEmbedder } from './helpers/index-embedders.js';
import { exampleSalons, tempStoreDir } from './helpers/index-store.js';

describe('effectiveEf', () => {
  it('keeps the stored ef up to 100k items, then grows with log10(n), in steps of 16', () => {
    expect(effectiveEf(128, 10)).toBe(128);
    expect(effectiveEf(128, EF_SCALE_FROM)).toBe(128);
    // 384 at 1M: the first swept ef with recall@10 ≥ 0.98 on the hard bench data there.
    expect(effectiveEf(128, 1_000_000)).toBe(384);
    expect(effectiveEf(128, 200_000)).toBe(208);
    expect(effectiveEf(128, 300_000)).toBe(256);
    expect(effectiveEf(32, 10_000_000)).toBe(160);
    const grows = [2e5, 5e5, 1e6, 2e6].map((n) => effectiveEf(128, n));
    expect([...grows].sort((a, b) => a - b)).toEqual(grows);
    for (const ef of grows) expect(ef % 16).toBe(0);
  });

  it('a filtered graph search divides the ef by the share of items passing, capped', () => {
    expect(filteredEf(128, 100_000, 100_000)).toBe(128);
    expect(filteredEf(128, 50_000, 100_000)).toBe(256);
    // 39% of the items (a question filter): 128 / 0.39 = 328.2, to a multiple of 16.
    expect(filteredEf(128, 39_000, 100_000)).toBe(336);
    expect(filteredEf(128, 15_000, 100_000)).toBe(848);
    // Leaving out one salon of a thousand (similarTo, CSLS statistics) changes nothing.
    expect(filteredEf(128, 99_900, 100_000)).toBe(128);
    expect(filteredEf(128, 100, 100_000)).toBe(128 * FILTERED_EF_GROWTH);
    const shares = [0.9, 0.5, 0.2, 0.1, 0.05].map((f) => filteredEf(100, f * 1e6, 1e6));
    expect([...shares].sort((a, b) => a - b)).toEqual(shares);
    for (const ef of shares) expect(ef).toBeGreaterThanOrEqual(100);
  });

  it('past 100k items the filter factor grows with the store (1 / share, to the size scale)', () => {
    // 1M: both section filters reach the cap, 8 × 384 (the share alone gave 992 for
    // questions, recall@10 0.907 on the hard bench data).
    expect(filteredEf(384, 390_000, 1_000_000)).toBe(384 * FILTERED_EF_GROWTH);
    expect(filteredEf(384, 150_000, 1_000_000)).toBe(384 * FILTERED_EF_GROWTH);
    // 200k: between the 100k rule (× 2.56) and the cap: 2.56 ^ 1.60 = 4.5.
    expect(filteredEf(208, 78_000, 200_000)).toBe(944);
    // Leaving out one salon still changes nothing, at any size.
    expect(filteredEf(384, 999_900, 1_000_000)).toBe(384);
    expect(filteredEf(208, 199_900, 200_000)).toBe(208);
    const sizes = [1e5, 2e5, 5e5, 1e6].map((n) => filteredEf(256, 0.39 * n, n));
    expect([...sizes].sort((a, b) => a - b)).toEqual(sizes);
  });

  it('a small store searches with the stored ef; openLens({ ef }) and setEf override it', async () => {
    const embedder = await hashingEmbedder(64);
    const dir = await tempStoreDir('ef-');
    try {
      const lens = await createLens(dir, { embedder, hnsw: { ef: 40 } });
      await lens.addSalons(await exampleSalons());
      expect(lens.manifest.hnsw.ef).toBe(40);
      lens.setEf(12);
      expect(lens.manifest.hnsw.ef).toBe(12);
      await lens.close();
      const reader = await openLens(dir, { embedder, readOnly: true, ef: 300 });
      expect(reader.manifest.hnsw.ef).toBe(300);
      await reader.close();
      expect(LENS_DEFAULTS.hnsw.ef).toBe(128);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
