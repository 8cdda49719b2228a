/**
 * Recurring-question groups through the lens, per question scoring, on the labelled
 * corpus: the path `salon-lens similar` takes (store, k-NN candidates, contrastive
 * embeddings, complete linkage). Also leave one salon out, the check that the gain
 * is not shaped to these six salons. Used by bench/quality.ts.
 *
 *   const rows = await recurringRows(corpusDir, embedder);
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Embedder } from '../../src/embed/index.js';
import { createLens } from '../../src/index/index.js';
import type { SimilarQuestionGroup } from '../../src/index/schema.js';
import { loadSalons, type Salon } from '../../src/parse/index.js';
import { QUESTION_SCORINGS, type QuestionScoring } from '../../src/util/csls.js';

interface Side {
  salon: string;
  text: string;
}
interface LabelledPairs {
  pairs: Array<{ a: Side; b: Side }>;
  negatives: Array<{ a: Side; b: Side }>;
}

export interface RecurringRow {
  scoring: QuestionScoring;
  /** Left-out salon file, or 'none' for the whole corpus. */
  leftOut: string;
  pairsGrouped: number;
  pairs: number;
  negativesGrouped: number;
  negatives: number;
  groups: number;
  meanGroupSize: number;
  /** Links below their group's threshold in the first five groups (0 by construction). */
  weakInFirstFive: number;
  /** Wall time of similarQuestions (ms). */
  ms: number;
}

export async function recurringRows(
  corpusDir: string,
  embedder: Embedder,
): Promise<RecurringRow[]> {
  const labelled = JSON.parse(
    await readFile(path.join(corpusDir, 'similar-questions.json'), 'utf8'),
  ) as LabelledPairs;
  // The salon documents only, as eval.mjs passes them (not the folder's README).
  const documents = (await readdir(corpusDir))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort()
    .map((f) => path.join(corpusDir, f));
  const { salons } = await loadSalons(documents);
  const fileOf = (salon: Salon): string => path.basename(salon.source);
  const rows: RecurringRow[] = [];
  for (const leftOut of ['none', ...salons.map(fileOf)]) {
    const kept = salons.filter((s) => fileOf(s) !== leftOut);
    const files = new Set(kept.map(fileOf));
    const inScope = (list: Array<{ a: Side; b: Side }>) =>
      list.filter((p) => files.has(p.a.salon) && files.has(p.b.salon));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'salon-lens-recurring-'));
    const lens = await createLens(dir, { embedder });
    try {
      await lens.addSalons(kept);
      for (const scoring of QUESTION_SCORINGS) {
        const started = performance.now();
        const groups = await lens.similarQuestions({ scoring });
        const ms = performance.now() - started;
        const pairs = inScope(labelled.pairs);
        const negatives = inScope(labelled.negatives);
        rows.push({
          scoring,
          leftOut,
          pairsGrouped: together(groups, pairs),
          pairs: pairs.length,
          negativesGrouped: together(groups, negatives),
          negatives: negatives.length,
          groups: groups.length,
          meanGroupSize:
            groups.reduce((s, g) => s + g.questions.length, 0) / Math.max(1, groups.length),
          weakInFirstFive: groups
            .slice(0, 5)
            .reduce((s, g) => s + g.links.filter((l) => l.score < g.threshold).length, 0),
          ms,
        });
      }
    } finally {
      await lens.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/** How many labelled pairs have both questions in one group (matched by text). */
function together(groups: SimilarQuestionGroup[], list: Array<{ a: Side; b: Side }>): number {
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => {
    for (const q of g.questions) groupOf.set(q.item.text.trim(), i);
  });
  return list.filter((p) => {
    const g = groupOf.get(p.a.text.trim());
    return g !== undefined && g === groupOf.get(p.b.text.trim());
  }).length;
}

/** Markdown: whole corpus per scoring, then leave-one-salon-out sums. */
export function recurringTable(rows: RecurringRow[]): string[] {
  const lines = [
    '### Recurring-question groups through the lens (default settings), per scoring',
    '',
    '| scoring | pairs grouped | look-alikes grouped | groups / mean size | weak links in first 5 | ms | leave-one-salon-out: pairs | look-alikes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const scoring of QUESTION_SCORINGS) {
    const all = rows.find((r) => r.scoring === scoring && r.leftOut === 'none');
    const held = rows.filter((r) => r.scoring === scoring && r.leftOut !== 'none');
    if (!all) continue;
    const sum = (f: (r: RecurringRow) => number): number => held.reduce((s, r) => s + f(r), 0);
    lines.push(
      `| ${scoring} | ${all.pairsGrouped}/${all.pairs} | ${all.negativesGrouped}/${all.negatives} | ${all.groups} / ${all.meanGroupSize.toFixed(2)} | ${all.weakInFirstFive} | ${all.ms.toFixed(0)} | ${sum((r) => r.pairsGrouped)}/${sum((r) => r.pairs)} | ${sum((r) => r.negativesGrouped)}/${sum((r) => r.negatives)} |`,
    );
  }
  return lines;
}
