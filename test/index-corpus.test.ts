/**
 * The lens store on the labelled corpus (../shared/corpus) with the real bundled
 * model: cross-salon paraphrase retrieval floors, similar-question groups, ANN
 * vs exact. Skips cleanly when the corpus is absent.
 *
 * Figures measured with USE-lite when these floors were set (80 queries = both
 * directions of the 40 pairs, questions of other salons only):
 *   vector, CSLS (default)  recall@1 0.39, recall@5 0.75, MRR 0.53
 *   vector, cosine          recall@1 0.35, recall@5 0.65, MRR 0.49
 *   lexical                 recall@1 0.14, recall@5 0.43, MRR 0.26
 *   hybrid (cosine)         recall@1 0.30, recall@5 0.54, MRR 0.41
 * The default mode is 'fused' (fused-search.ts): the same recall@5 as CSLS vector search
 * as eval.mjs measures it (0.762 against 0.750), and free-text nDCG@10 0.524 against 0.443.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureSearch, readQuerySets } from '../bench/lib/search-quality.js';
import { createEmbedder, type Embedder } from '../src/embed/index.js';
import { createLens, type Lens, type Scoring, type SearchMode } from '../src/index/index.js';
import { loadSalons, type Salon } from '../src/parse/index.js';
import { tempStoreDir } from './helpers/index-store.js';
import { sharedPath } from './helpers/shared-data.js';

const corpusDir = sharedPath('corpus');

interface Side {
  salon: string;
  text: string;
}

describe.skipIf(!corpusDir)('lens store on the shared corpus (bundled USE-lite)', () => {
  let embedder: Embedder;
  let lens: Lens;
  let salons: Salon[];
  let pairs: Array<{ a: Side; b: Side }>;
  let negatives: Array<{ a: Side; b: Side }>;
  const salonIdOf = new Map<string, string>();

  /** Item id of a pair side (file name + exact text → parsed item). */
  const itemId = (side: Side): string => {
    const salon = salons.find((s) => s.id === salonIdOf.get(side.salon));
    const item = salon?.items.find((i) => i.text === side.text);
    if (!item) throw new Error(`pair text not found as an item: ${side.salon}: ${side.text}`);
    return item.id;
  };

  beforeAll(async () => {
    const dir = corpusDir as string;
    salons = (await loadSalons([dir])).salons;
    for (const s of salons) salonIdOf.set(path.basename(s.source), s.id);
    ({ pairs, negatives } = JSON.parse(
      await readFile(path.join(dir, 'similar-questions.json'), 'utf8'),
    ));
    embedder = await createEmbedder();
    lens = await createLens(await tempStoreDir('corpus-'), { embedder });
    await lens.addSalons(salons);
  });

  afterAll(async () => {
    await lens?.close();
    await embedder?.dispose();
  });

  async function retrieval(mode: SearchMode, scoring: Scoring = 'csls') {
    let r1 = 0;
    let r5 = 0;
    let mrr = 0;
    let n = 0;
    for (const { a, b } of pairs) {
      for (const [query, partner] of [
        [a, b],
        [b, a],
      ] as const) {
        const hits = await lens.search(query.text, {
          k: 20,
          mode,
          scoring,
          section: 'question',
          excludeSalon: salonIdOf.get(query.salon),
        });
        const rank = hits.findIndex((h) => h.item.id === itemId(partner));
        n++;
        if (rank === 0) r1++;
        if (rank >= 0 && rank < 5) r5++;
        if (rank >= 0) mrr += 1 / (rank + 1);
      }
    }
    return { recall1: r1 / n, recall5: r5 / n, mrr: mrr / n, queries: n };
  }

  it('holds the whole corpus', () => {
    expect(lens.manifest.itemCount).toBe(390);
    expect(lens.manifest.embedder.id).toBe(embedder.id);
  });

  it("finds the paraphrase partner among other salons' questions (regression floors)", async () => {
    const vector = await retrieval('vector');
    const cosine = await retrieval('vector', 'cosine');
    process.stderr.write(
      `[corpus] vector csls ${JSON.stringify(vector)} cosine ${JSON.stringify(cosine)}\n`,
    );
    expect(vector.queries).toBe(80);
    // CSLS (default): the floor 0.72; measured 0.75.
    expect(vector.recall5).toBeGreaterThanOrEqual(0.72);
    expect(vector.recall1).toBeGreaterThanOrEqual(0.35);
    expect(vector.mrr).toBeGreaterThanOrEqual(0.5);
    // Plain cosine stays available (measured 0.65) and CSLS beats it.
    expect(cosine.recall5).toBeGreaterThanOrEqual(0.6);
    expect(vector.recall5).toBeGreaterThan(cosine.recall5);
  });

  it('the default search serves both kinds of query: free-text nDCG@10 >= 0.50, look-up recall@5 >= 0.75', async (ctx) => {
    const sets = await readQuerySets(corpusDir as string);
    if (!sets) return ctx.skip();
    // As ../shared/tools/eval.mjs asks the CLI: defaults only, k 10 for a query; for a
    // look-up, k 25 over questions, other salons' first 5.
    const { ndcg10: ndcg, recall5 } = await measureSearch(lens, sets, salonIdOf);
    process.stderr.write(
      `[corpus] default search: nDCG@10 ${ndcg.toFixed(3)}, recall@5 ${recall5.toFixed(3)}\n`,
    );
    expect((await lens.search(sets.queries[0]?.query ?? 'x', { k: 3 }))[0]?.scoring).toBe('fused');
    // Measured 0.524 and 0.762 (CSLS vector search, the default before: 0.443 and 0.750).
    expect(ndcg).toBeGreaterThanOrEqual(0.5);
    expect(recall5).toBeGreaterThanOrEqual(0.75);
  });

  it('a shorter default search is the head of a longer one, up to k = 10 (one re-ranked list)', async (ctx) => {
    const sets = await readQuerySets(corpusDir as string);
    if (!sets) return ctx.skip();
    const ids = (hits: Array<{ item: { id: string } }>) => hits.map((h) => h.item.id);
    for (const { query } of sets.queries) {
      const ten = ids(await lens.search(query, { k: 10 }));
      expect(ids(await lens.search(query, { k: 5 }))).toEqual(ten.slice(0, 5));
    }
  });

  it('hybrid (RRF) does not beat vectors on look-ups, so it is not the default', async () => {
    const vector = await retrieval('vector', 'cosine');
    const hybrid = await retrieval('hybrid', 'cosine');
    const lexical = await retrieval('lexical');
    process.stderr.write(
      `[corpus] hybrid ${JSON.stringify(hybrid)} lexical ${JSON.stringify(lexical)}\n`,
    );
    expect(hybrid.recall5).toBeLessThanOrEqual(vector.recall5);
    expect(lexical.recall5).toBeLessThan(vector.recall5);
    // Lexical still finds something: it is a real ranking, not noise.
    expect(lexical.recall5).toBeGreaterThan(0.2);
  });

  it('recurring-question groups at the default settings: complete linkage, widest then strongest first', async () => {
    const groups = await lens.similarQuestions();
    const cslsOnly = await lens.similarQuestions({ scoring: 'csls' });
    const single = await lens.similarQuestions({ linkage: 'single', scoring: 'cosine' });
    /** How many of `list`'s question pairs share a group. */
    const together = (grouping: typeof groups, list: typeof pairs): number => {
      const groupOf = new Map<string, number>();
      grouping.forEach((g, i) => {
        for (const q of g.questions) groupOf.set(q.item.id, i);
      });
      return list.filter((p) => {
        const ga = groupOf.get(itemId(p.a));
        return ga !== undefined && ga === groupOf.get(itemId(p.b));
      }).length;
    };
    process.stderr.write(
      `[corpus] similarQuestions: ${groups.length} groups, largest ${Math.max(...groups.map((g) => g.questions.length))}, ` +
        `pairs together ${together(groups, pairs)}/40, negatives together ${together(groups, negatives)}/20; ` +
        `csls alone ${together(cslsOnly, pairs)}/40 and ${together(cslsOnly, negatives)}/20; ` +
        `single linkage: largest group ${single[0]?.questions.length}\n`,
    );
    expect(groups[0]?.scoring).toBe('contrastive');
    // One question per salon, at most 8 per group, every link at or above the threshold.
    for (const g of groups) {
      expect(g.salons.length).toBe(g.questions.length);
      expect(g.questions.length).toBeLessThanOrEqual(8);
      for (const l of g.links) expect(l.score).toBeGreaterThanOrEqual(g.threshold);
    }
    // The first five groups shown: no pair below the group's threshold, strongest first.
    expect(groups.slice(0, 5).every((g) => g.weakestLink >= g.threshold)).toBe(true);
    // Most widely asked first, then strongest (weakest link) first.
    const ranks = groups.map((g) => [g.salons.length, g.weakestLink] as const);
    expect(ranks).toEqual([...ranks].sort((a, b) => b[0] - a[0] || b[1] - a[1]));
    // Contrastive (default) measured 16/40 pairs and 6/20 look-alikes; CSLS alone 13/40
    // and 11/20 (cosine + average linkage: 9/40). The goal of 20/40 is not met:
    // USE-lite ranks the true partner first in its salon for under half the pairs.
    expect(together(groups, pairs)).toBeGreaterThanOrEqual(15);
    expect(together(groups, pairs)).toBeGreaterThan(together(cslsOnly, pairs));
    expect(together(groups, negatives)).toBeLessThan(together(cslsOnly, negatives));
    // Single linkage shows why it is not the default: one group swallows most questions.
    expect(single[0]?.questions.length).toBeGreaterThan(100);
  });

  it('ANN agrees with exact search', async () => {
    const report = await lens.recallCheck({ sample: 390, k: 10 });
    expect(report.recall).toBeGreaterThanOrEqual(0.99);
  });
});
