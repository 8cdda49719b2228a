/**
 * Recurring questions at their true size: a generated archive (bench/lib/archive-corpus.ts)
 * plants one question, verbatim and near-verbatim, in 60 salons. With the bundled model it
 * must come out as ONE entry counting all 60 salons with its first and last date, and the
 * CLI must say so ("asked in 60 salons, … → …").
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeArchive, writeArchive } from '../bench/lib/archive-corpus.js';
import { SalonLens } from '../src/api/salon-lens.js';
import { createEmbedder, type Embedder } from '../src/embed/index.js';
import { type SimilarQuestionGroup, wordingKey } from '../src/index/index.js';
import { runCli } from './helpers/cli.js';
import { tempStoreDir } from './helpers/index-store.js';

// 120 salons of 4 items (2 questions each), the question planted in every second one.
const archive = makeArchive({ salons: 120, itemsPerSalon: 4, plantEvery: 2 });
const plantedDates = archive.salons
  .filter((s) => archive.plantedIn.includes(s.file.replace(/\.md$/, '')))
  .map((s) => s.date);

describe('a question asked in 60 salons', () => {
  let store: string;
  let embedder: Embedder;
  let groups: SimilarQuestionGroup[];

  beforeAll(async () => {
    const dir = await tempStoreDir('archive-');
    await writeArchive(archive, path.join(dir, 'salons'));
    store = path.join(dir, 'store');
    embedder = await createEmbedder();
    const lens = await SalonLens.create(store, { embedder });
    try {
      await lens.add([path.join(dir, 'salons')]);
      groups = await lens.similarQuestions();
    } finally {
      await lens.close();
    }
  }, 300_000);

  afterAll(async () => {
    await embedder?.dispose();
  });

  it('is one entry counting every salon, with first and last date, ranked first', () => {
    expect(archive.plantedIn).toHaveLength(60);
    const holding = groups.filter((g) =>
      g.questions.some((q) => wordingKey(q.item.text) === wordingKey(archive.planted)),
    );
    expect(holding).toHaveLength(1);
    const entry = holding[0] as SimilarQuestionGroup;
    expect(entry.salons).toHaveLength(60);
    expect(entry.firstDate).toBe(plantedDates[0]);
    expect(entry.lastDate).toBe(plantedDates.at(-1));
    // The variants (case, spacing, "the", a plural) are one wording asked in 60 salons.
    const planted = entry.wordings?.find((w) => wordingKey(w.text) === wordingKey(archive.planted));
    expect(planted?.salonCount).toBe(60);
    expect(planted?.itemIds).toHaveLength(60);
    // The size cap counts wordings, not repeats.
    expect(entry.wordings?.length ?? 0).toBeLessThanOrEqual(8);
    expect(groups[0]).toBe(entry);
    // Every other entry is smaller.
    for (const g of groups.slice(1)) expect(g.salons.length).toBeLessThan(60);
  });

  it('the CLI says "asked in 60 salons, first → last" with the wordings underneath', () => {
    const out = runCli(['similar', '--store', store]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      `Candidate 1: asked in 60 salons, ${plantedDates[0]} → ${plantedDates.at(-1)}`,
    );
    const lines = out.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Candidate 1:'));
    expect(lines[at + 1]).toMatch(/^ {2}\[1\] 60 salons .*: /);
    // --json keeps the shape ../shared/tools/eval.mjs reads: an array of groups with questions.
    const json = JSON.parse(runCli(['similar', '--store', store, '--json']).stdout);
    expect(Array.isArray(json)).toBe(true);
    expect(json[0].questions).toHaveLength(60);
    expect(json[0].wordings[0].salonCount).toBe(60);
  });
});
