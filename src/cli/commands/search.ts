/**
 * `salon-lens search "<query>" --store <dir>`: items closest to a query, with
 * section / salon / date filters.
 *
 *   salon-lens search "who owns model weights" --store .lens -k 5 --section question
 */
import type { Command } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import { SCORINGS, type Scoring, SEARCH_MODES, type SearchMode } from '../../index/index.js';
import { SECTIONS, type Section } from '../../parse/index.js';
import {
  addEmbedderFlags,
  type EmbedderFlags,
  embedderOptionsFromFlags,
} from '../embedder-flags.js';
import { formatTable, printJson } from '../io.js';
import { parseChoice, parseIsoDate, parsePositiveInt } from '../option-parsers.js';

interface SearchFlags extends EmbedderFlags {
  store: string;
  k: number;
  section?: Section;
  salon?: string[];
  excludeSalon?: string[];
  from?: string;
  to?: string;
  mode?: SearchMode;
  scoring?: Scoring;
  exact?: boolean;
  ef?: number;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSearch(program: Command): void {
  const command = program
    .command('search')
    .description('find the items closest in meaning to a query')
    .argument('<query>', 'what to look for, in your own words')
    .requiredOption('--store <dir>', 'lens store folder')
    .option('-k, --k <n>', 'number of results', parsePositiveInt, 10)
    .option('--section <section>', `only ${SECTIONS.join(', ')} items`, parseChoice(SECTIONS))
    .option('--salon <id>', 'only this salon (repeatable)', collect)
    .option('--exclude-salon <id>', 'leave out this salon (repeatable)', collect)
    .option('--from <date>', 'only salons on or after YYYY-MM-DD', parseIsoDate)
    .option('--to <date>', 'only salons on or before YYYY-MM-DD', parseIsoDate)
    .option(
      '--mode <mode>',
      `${SEARCH_MODES.join(', ')} (default vector)`,
      parseChoice(SEARCH_MODES),
    )
    .option(
      '--scoring <how>',
      'csls (default: discounts items close to everything) or cosine',
      parseChoice(SCORINGS),
    )
    .option('--exact', 'brute-force search instead of the HNSW index')
    .option('--ef <n>', 'HNSW query candidate list size (recall vs speed)', parsePositiveInt)
    .option('--json', 'print hits as JSON on stdout');
  addEmbedderFlags(command).action(async (query: string, flags: SearchFlags) => {
    const embedder = embedderOptionsFromFlags(flags);
    const lens = await SalonLens.open(flags.store, {
      readOnly: true,
      ...(embedder ? { embedder } : {}),
      ...(flags.ef ? { ef: flags.ef } : {}),
    });
    try {
      const hits = await lens.search(query, {
        k: flags.k,
        section: flags.section,
        salon: flags.salon,
        excludeSalon: flags.excludeSalon,
        dateFrom: flags.from,
        dateTo: flags.to,
        mode: flags.mode,
        scoring: flags.scoring,
        exact: flags.exact,
      });
      if (flags.json) {
        printJson(hits);
        return;
      }
      const rows = hits.map((h, i) => [
        String(i + 1),
        `${h.score.toFixed(3)} ${h.scoring}`,
        h.salon.date ?? '',
        h.salon.id,
        h.item.section,
        h.item.text,
      ]);
      process.stdout.write(
        `${formatTable(['#', 'score', 'date', 'salon', 'section', 'text'], rows, 90)}\n`,
      );
    } finally {
      await lens.close();
    }
  });
}
