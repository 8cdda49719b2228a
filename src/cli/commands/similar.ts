/**
 * `salon-lens similar --store <dir>`: groups of questions that different salons
 * asked in different words.
 *
 *   salon-lens similar --store .lens --threshold 0.65 --json
 */
import type { Command } from 'commander';
import { openLens } from '../../index/index.js';
import { printJson } from '../io.js';
import { parseChoice, parsePositiveInt, parseUnitInterval } from '../option-parsers.js';
import { CLI_EMBEDDERS, type CliEmbedder, embedderForStore } from './index.js';

interface SimilarFlags {
  store: string;
  threshold?: number;
  k?: number;
  sameSalon?: boolean;
  linkage?: 'average' | 'single';
  embedder?: CliEmbedder;
  json?: boolean;
}

export function registerSimilar(program: Command): void {
  program
    .command('similar')
    .description('list groups of similar questions asked in different salons')
    .requiredOption('--store <dir>', 'lens store folder')
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
    .option(
      '--embedder <name>',
      `override the store's embedder: ${CLI_EMBEDDERS.join(', ')}`,
      parseChoice(CLI_EMBEDDERS),
    )
    .option('--json', 'print the groups as JSON on stdout')
    .action(async (flags: SimilarFlags) => {
      const embedder = await embedderForStore(flags.store, flags.embedder);
      try {
        const lens = await openLens(flags.store, { embedder, readOnly: true });
        const groups = lens.similarQuestions({
          threshold: flags.threshold,
          k: flags.k,
          crossSalonOnly: !flags.sameSalon,
          linkage: flags.linkage,
        });
        await lens.close();
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
          for (const q of g.questions)
            out.push(`  ${q.salon.date ?? '          '}  ${q.salon.id}: ${q.item.text}`);
          out.push('');
        });
        process.stdout.write(`${out.join('\n')}`);
      } finally {
        await embedder.dispose();
      }
    });
}
