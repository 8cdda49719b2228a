/**
 * `salon-lens similar`: groups of questions that different salons asked in
 * different words. Opens the store read-only, so it works while `index` runs.
 *
 *   salon-lens similar --threshold 0.65 --json
 */
import type { Command } from 'commander';
import { addEmbedderFlags, type EmbedderFlags } from '../embedder-flags.js';
import { printJson } from '../io.js';
import { assertHasItems, openForReading } from '../open-store.js';
import { parseChoice, parsePositiveInt, parseUnitInterval } from '../option-parsers.js';
import { addStoreOption } from '../store-option.js';
import { fitLine } from '../table.js';

interface SimilarFlags extends EmbedderFlags {
  store: string;
  threshold?: number;
  k?: number;
  sameSalon?: boolean;
  linkage?: 'average' | 'single';
  wide?: boolean;
  json?: boolean;
}

export function registerSimilar(program: Command): void {
  const command = program
    .command('similar')
    .description('list groups of similar questions asked in different salons');
  addStoreOption(command)
    .option(
      '--threshold <x>',
      "cosine at which two questions count as the same (default: the embedder's)",
      parseUnitInterval,
    )
    .option('-k, --k <n>', 'neighbours considered per question (default 10)', parsePositiveInt)
    .option('--same-salon', 'also pair questions of the same salon')
    .option(
      '--linkage <how>',
      'average (default) or single: how pairs merge into groups',
      parseChoice(['average', 'single'] as const),
    )
    .option('--wide', 'show full question text instead of fitting the terminal width')
    .option('--json', 'print the groups as JSON on stdout');
  addEmbedderFlags(command).action(async (flags: SimilarFlags) => {
    const lens = await openForReading(flags);
    try {
      assertHasItems(lens, flags.store);
      const groups = await lens.similarQuestions({
        threshold: flags.threshold,
        k: flags.k,
        crossSalonOnly: !flags.sameSalon,
        linkage: flags.linkage,
      });
      if (flags.json) {
        printJson(groups);
        return;
      }
      if (groups.length === 0) {
        process.stdout.write('No similar questions found (try a lower --threshold).\n');
        return;
      }
      const out: string[] = [];
      groups.forEach((g, i) => {
        out.push(
          `Group ${i + 1}: ${g.questions.length} questions from ${g.salons.length} salons (cohesion ${g.cohesion.toFixed(2)})`,
        );
        for (const q of g.questions) {
          out.push(fitLine(`  ${q.salon.id}: ${q.item.text}`, { wide: flags.wide }));
        }
        out.push('');
      });
      process.stdout.write(`${out.join('\n')}`);
    } finally {
      await lens.close();
    }
  });
}
