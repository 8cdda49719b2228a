/**
 * Shared helpers for the index tests: temp store folders, loading the example
 * salons, and a compact fingerprint of what a store holds (for before/after
 * comparisons in crash tests).
 *
 *   const dir = await tempStoreDir();
 *   const fingerprint = await storeFingerprint(dir, embedder);
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Embedder } from '../../src/embed/index.js';
import { openLens } from '../../src/index/index.js';
import { loadSalons, type Salon } from '../../src/parse/index.js';
import { examplesDir } from './shared-data.js';

export function tempStoreDir(prefix = 'lens-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `salon-lens-${prefix}`));
}

export async function exampleSalons(): Promise<Salon[]> {
  return (await loadSalons([examplesDir])).salons;
}

/** Copy of a salon with its items edited by `edit` (ids renumbered like the parser does). */
export function editSalon(salon: Salon, edit: (texts: Salon['items']) => Salon['items']): Salon {
  const items = edit(salon.items).map((item, i, all) => {
    const ordinal = all.slice(0, i + 1).filter((x) => x.section === item.section).length;
    return { ...item, ordinal, id: `${salon.id}#${item.section[0]}${ordinal}` };
  });
  return { ...salon, items };
}

/**
 * What a store holds, as plain data: salons with hashes, items in order, vectors
 * (first dims), state, and what two searches (through the HNSW graph) answer.
 */
export async function storeFingerprint(dir: string, embedder: Embedder): Promise<string> {
  const lens = await openLens(dir, { embedder, readOnly: true });
  try {
    const snap = await lens.snapshot();
    const answers = async (query: string, options: { section?: 'question' }) =>
      (await lens.search(query, { k: 5, ...options })).map(
        (h) => `${h.item.id} ${h.score.toFixed(5)}`,
      );
    return JSON.stringify({
      salons: lens.salons().map((s) => [s.id, s.contentHash, s.itemCount]),
      items: snap.items.map((i) => [i.id, i.text]),
      vectors: snap.vectors.map((v) => Array.from(v.slice(0, 4), (x) => x.toFixed(5))),
      state: (await lens.readState('marker')) ?? null,
      search: await answers('who owns the models and the data', {}),
      questions: await answers('privacy at work', { section: 'question' }),
    });
  } finally {
    await lens.close();
  }
}
