/**
 * `salon-lens similar`: recurring questions, as candidate groups to review,
 * strongest first, with every link's score. Opens the store read-only, so it works
 * while `index` runs.
 *
 *   salon-lens similar --threshold 0.05 --max-size 4 --json
 */
import type { Command } from 'commander';
import {
  QUESTION_SCORINGS,
  type QuestionScoring,
  reachLine,
  redact,
  type SimilarQuestionGroup,
  wordingNumbers,
  wordingsOf,
} from '../../index/index.js';
import { addEmbedderFlags, type EmbedderFlags } from '../embedder-flags.js';
import { printJson } from '../io.js';
import { assertHasItems, openForReading } from '../open-store.js';
import { parseChoice, parsePositiveInt, parseScore } from '../option-parsers.js';
import { createProgress } from '../progress.js';
import { addStoreOption } from '../store-option.js';
import { fitLine } from '../table.js';

interface SimilarFlags extends EmbedderFlags {
  store: string;
  threshold?: number;
  k?: number;
  sameSalon?: boolean;
  linkage?: 'complete' | 'average' | 'single';
  scoring?: QuestionScoring;
  maxSize?: number;
  wide?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerSimilar(program: Command): void {
  const command = program
    .command('similar')
    .description('list groups of similar questions asked in different salons');
  addStoreOption(command)
    .option(
      '--scoring <how>',
      'contrastive (default: csls, also judged without the words two questions share), csls (discounts questions close to everything) or cosine',
      parseChoice(QUESTION_SCORINGS),
    )
    .option(
      '--threshold <x>',
      "score every pair in a group must reach (default: 0 for contrastive and csls, the embedder's cosine for cosine)",
      parseScore,
    )
    .option('--max-size <n>', 'largest group (default 8)', parsePositiveInt)
    .option('-k, --k <n>', 'neighbours considered per question (default 10)', parsePositiveInt)
    .option('--same-salon', 'also pair questions of the same salon')
    .option(
      '--linkage <how>',
      'complete (default: every pair reaches the threshold), average or single',
      parseChoice(['complete', 'average', 'single'] as const),
    )
    .option('--wide', 'show full question text instead of fitting the terminal width')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print the groups as JSON on stdout');
  addEmbedderFlags(command).action(async (flags: SimilarFlags) => {
    const lens = await openForReading(flags);
    try {
      assertHasItems(lens, redact(flags.store));
      const progress = createProgress('similar', { quiet: flags.quiet });
      const groups = await lens.similarQuestions({
        onProgress: progress.update,
        threshold: flags.threshold,
        k: flags.k,
        crossSalonOnly: !flags.sameSalon,
        linkage: flags.linkage,
        scoring: flags.scoring,
        maxSize: flags.maxSize,
      });
      progress.stop();
      if (flags.json) {
        printJson(groups);
        return;
      }
      if (groups.length === 0) {
        process.stdout.write('No similar questions found (try a lower --threshold).\n');
        return;
      }
      process.stdout.write(
        `${groups.length} recurring questions to review, most widely asked first, then strongest ` +
          `(${groups[0]?.scoring} scores; every pair of wordings scores at least ${groups[0]?.threshold.toFixed(2)}).\n\n`,
      );
      const out = groups.flatMap((g, i) => describeGroup(g, i, flags.wide));
      process.stdout.write(`${out.join('\n')}`);
    } finally {
      await lens.close();
    }
  });
}

/**
 * One entry as text: how widely it was asked ("asked in 60 salons, 2020-01-04 →
 * 2025-09-20"), its weakest link, its wordings (numbered; a repeated one says how often),
 * and every link's score between wordings.
 */
export function describeGroup(g: SimilarQuestionGroup, index: number, wide?: boolean): string[] {
  const wordings = wordingsOf(g);
  const number = wordingNumbers(wordings);
  const out = [
    `Candidate ${index + 1}: ${reachLine(g)}; ${wordings.length} ${wordings.length === 1 ? 'wording' : 'wordings'}, weakest link ${g.weakestLink.toFixed(3)}`,
  ];
  for (const [i, w] of wordings.entries()) {
    const where =
      w.itemIds.length === 1
        ? (g.questions.find((q) => q.item.id === w.itemIds[0])?.salon.id ?? '')
        : `${w.salonCount} salons${w.firstDate && w.lastDate ? ` ${w.firstDate} → ${w.lastDate}` : ''}`;
    out.push(fitLine(`  [${i + 1}] ${where}: ${w.text}`, { wide }));
  }
  if (g.links.length > 0) {
    out.push(
      `  links (${g.scoring}, cosine): ${g.links
        .map(
          (l) =>
            `${number.get(l.a)}–${number.get(l.b)} ${l.score.toFixed(3)} (${l.cosine.toFixed(2)})`,
        )
        .join(', ')}`,
    );
  }
  out.push('');
  return out;
}
