/**
 * The default search and every other setting on both shared query sets, side by side,
 * measured through the lens exactly as ../shared/tools/eval.mjs asks the CLI:
 * - free-text queries (queries.json): nDCG@10 of `search(query, { k: 10 })`;
 * - cross-salon question look-ups (similar-questions.json pairs, both directions):
 *   recall@5 of `search(question, { k: 25, section: 'question' })` over other salons,
 *   and as an app would ask it directly: `{ k: 5, section: 'question', excludeSalon }`.
 * Used by bench/quality.ts.
 *
 *   const rows = await searchSettingRows(corpusDir, embedder);
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Embedder } from '../../src/embed/index.js';
import {
  createLens,
  LENS_DEFAULTS,
  type Lens,
  type Scoring,
  type SearchMode,
  type SearchOptions,
} from '../../src/index/index.js';
import { loadSalons } from '../../src/parse/index.js';

export interface SearchSettingRow {
  mode: SearchMode;
  scoring: Scoring;
  isDefault: boolean;
  /** Free-text queries, nDCG@10 (mean over queries). */
  ndcg10: number;
  queries: number;
  /** Cross-salon question look-ups, recall@5. */
  recall5: number;
  /** The same look-ups asked with k 5 and the query's salon excluded. */
  recall5AtK5: number;
  lookups: number;
}

interface Side {
  salon: string;
  text: string;
}

const SETTINGS: Array<[SearchMode, Scoring]> = [
  ['fused', 'csls'],
  ['fused', 'cosine'],
  ['vector', 'csls'],
  ['vector', 'cosine'],
  ['hybrid', 'csls'],
  ['hybrid', 'cosine'],
  ['lexical', 'csls'],
];

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

export interface SearchQuerySets {
  queries: Array<{ query: string; relevant: Side[] }>;
  pairs: Array<{ a: Side; b: Side }>;
}

/** queries.json and the paraphrase pairs of a labelled corpus, or undefined without queries.json. */
export async function readQuerySets(corpusDir: string): Promise<SearchQuerySets | undefined> {
  const queriesFile = path.join(corpusDir, 'queries.json');
  if (!existsSync(queriesFile)) return undefined;
  const { pairs } = JSON.parse(
    await readFile(path.join(corpusDir, 'similar-questions.json'), 'utf8'),
  ) as { pairs: SearchQuerySets['pairs'] };
  return { queries: JSON.parse(await readFile(queriesFile, 'utf8')), pairs };
}

/**
 * nDCG@10 of the free-text queries and recall@5 of the look-ups for one setting (mode and
 * scoring left out: the lens's defaults). `salonIdOf` maps a corpus file name to its salon id.
 */
export async function measureSearch(
  lens: Lens,
  sets: SearchQuerySets,
  salonIdOf: ReadonlyMap<string, string>,
  setting: Pick<SearchOptions, 'mode' | 'scoring'> = {},
): Promise<{ ndcg10: number; recall5: number; recall5AtK5: number }> {
  let ndcg10 = 0;
  for (const q of sets.queries) {
    const relevant = new Set(q.relevant.map((r) => norm(r.text)));
    const top = (await lens.search(q.query, { k: 10, ...setting })).map((h) => norm(h.item.text));
    let dcg = 0;
    let ideal = 0;
    top.forEach((t, i) => {
      if (relevant.has(t)) dcg += 1 / Math.log2(i + 2);
    });
    for (let i = 0; i < Math.min(10, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
    ndcg10 += dcg / ideal / sets.queries.length;
  }
  let found = 0;
  let foundAtK5 = 0;
  const isPartner = (partner: Side) => (h: { item: { text: string } }) =>
    norm(h.item.text) === norm(partner.text);
  for (const { a, b } of sets.pairs) {
    for (const [query, partner] of [
      [a, b],
      [b, a],
    ] as const) {
      const own = salonIdOf.get(query.salon);
      const hits = await lens.search(query.text, { k: 25, section: 'question', ...setting });
      const firstFive = hits.filter((h) => h.item.salonId !== own).slice(0, 5);
      if (firstFive.some(isPartner(partner))) found++;
      const direct = await lens.search(query.text, {
        k: 5,
        section: 'question',
        ...(own ? { excludeSalon: own } : {}),
        ...setting,
      });
      if (direct.some(isPartner(partner))) foundAtK5++;
    }
  }
  const lookups = 2 * sets.pairs.length;
  return { ndcg10, recall5: found / lookups, recall5AtK5: foundAtK5 / lookups };
}

export async function searchSettingRows(
  corpusDir: string,
  embedder: Embedder,
): Promise<SearchSettingRow[]> {
  const sets = await readQuerySets(corpusDir);
  if (!sets) return [];
  const { salons } = await loadSalons([corpusDir]);
  const salonIdOf = new Map(salons.map((s) => [path.basename(s.source), s.id]));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-search-quality-'));
  const lens = await createLens(dir, { embedder });
  try {
    await lens.addSalons(salons);
    const rows: SearchSettingRow[] = [];
    for (const [mode, scoring] of SETTINGS) {
      const measured = await measureSearch(lens, sets, salonIdOf, { mode, scoring });
      rows.push({
        mode,
        scoring,
        isDefault: mode === LENS_DEFAULTS.mode && scoring === 'csls',
        ...measured,
        queries: sets.queries.length,
        lookups: 2 * sets.pairs.length,
      });
    }
    return rows;
  } finally {
    await lens.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The rows as a Markdown table. */
export function searchSettingTable(rows: readonly SearchSettingRow[]): string[] {
  if (rows.length === 0) return ['(no queries.json in the corpus: search settings not measured)'];
  const first = rows[0] as SearchSettingRow;
  return [
    '### Search settings on both query sets',
    '',
    `| mode | scoring | free-text nDCG@10 (${first.queries} queries) | cross-salon question recall@5 (${first.lookups} look-ups) | the same asked with k 5, own salon excluded |`,
    '|---|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.isDefault ? `**${r.mode}** (default)` : r.mode} | ${r.mode === 'lexical' ? '—' : r.scoring} | ${r.ndcg10.toFixed(3)} | ${r.recall5.toFixed(3)} | ${r.recall5AtK5.toFixed(3)} |`,
    ),
  ];
}
