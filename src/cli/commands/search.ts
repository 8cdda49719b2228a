/**
 * `salon-lens search "<query>"`: items closest to a query, with section / salon /
 * date filters. Opens the store read-only, so it works while `index` runs.
 *
 *   salon-lens search "who owns model weights" -k 5 --section question
 */
import type { Command } from 'commander';
import {
  LENS_DEFAULTS,
  redact,
  SCORINGS,
  type Scoring,
  SEARCH_MODES,
  type SearchHit,
  type SearchMode,
} from '../../index/index.js';
import { SECTIONS, type Section } from '../../parse/index.js';
import { addEmbedderFlags, type EmbedderFlags } from '../embedder-flags.js';
import { readQueryFile } from '../input-files.js';
import { printJson, UsageError } from '../io.js';
import { assertHasItems, openForReading } from '../open-store.js';
import { parseChoice, parseIsoDate, parsePositiveInt } from '../option-parsers.js';
import { assertKnownSalons } from '../salon-ids.js';
import { addStoreOption } from '../store-option.js';
import { formatTable } from '../table.js';
import { warnLongQuery } from '../warnings.js';

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
  wide?: boolean;
  json?: boolean;
  queryFile?: string;
}

/** The query argument or the --query-file's text: exactly one of the two. */
async function queryFrom(argument: string | undefined, file: string | undefined): Promise<string> {
  if (argument !== undefined && file !== undefined) {
    throw new UsageError('give the query as an argument or with --query-file, not both');
  }
  if (file !== undefined) return readQueryFile(file);
  if (argument === undefined) {
    throw new UsageError("missing required argument 'query' (or --query-file <file|->)");
  }
  return argument;
}

/** What the score column means in each mode: the header names it, the line under the table explains it. */
export const SCORE_COLUMNS: Record<SearchMode | 'csls', { header: string; legend: string }> = {
  fused: {
    header: 'score',
    legend: 'score: meaning (less hubs and section style, after query feedback) + keyword share',
  },
  vector: { header: 'cosine', legend: 'cosine: similarity of meaning to the query, 1 = same' },
  csls: {
    header: 'csls',
    legend: 'csls: cosine corrected for hubs, 2·cos − r(query) − r(item); higher = closer',
  },
  lexical: {
    header: 'bm25',
    legend: 'bm25: keyword match score (Okapi BM25), higher = more query words, rarer ones',
  },
  hybrid: {
    header: 'rrf',
    legend:
      'rrf: reciprocal-rank fusion of the meaning and keyword rankings (1/(60+rank) summed), rows in rank order',
  },
};

export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSearch(program: Command): void {
  const command = program
    .command('search')
    .description('find the items closest in meaning to a query')
    .argument('[query]', 'what to look for, in your own words (or --query-file)');
  addStoreOption(command)
    .option('-k, --k <n>', 'number of results', parsePositiveInt, 10)
    .option('--section <section>', `only ${SECTIONS.join(', ')} items`, parseChoice(SECTIONS))
    .option('--salon <id>', 'only this salon (repeatable)', collect)
    .option('--exclude-salon <id>', 'leave out this salon (repeatable)', collect)
    .option('--from <date>', 'only salons on or after YYYY-MM-DD', parseIsoDate)
    .option('--to <date>', 'only salons on or before YYYY-MM-DD', parseIsoDate)
    .option(
      '--mode <mode>',
      'fused (default: meaning with query feedback plus a share of keywords), vector ' +
        '(meaning, score = csls or cosine: see --scoring), lexical (keywords, score = BM25) or ' +
        'hybrid (both fused, score = RRF)',
      parseChoice(SEARCH_MODES),
    )
    .option(
      '--scoring <how>',
      'csls (default: discounts items close to everything) or cosine',
      parseChoice(SCORINGS),
    )
    .option('--exact', 'brute-force search instead of the HNSW index')
    .option('--ef <n>', 'HNSW query candidate list size (recall vs speed)', parsePositiveInt)
    .option('--wide', 'show full item text instead of fitting the terminal width')
    .option('--json', 'print hits as JSON on stdout')
    .option('--query-file <file>', 'read the query from a file, or from stdin with -');
  addEmbedderFlags(command).action(async (argument: string | undefined, flags: SearchFlags) => {
    const query = await queryFrom(argument, flags.queryFile);
    warnLongQuery(query);
    const lens = await openForReading(flags, { ef: flags.ef });
    try {
      assertHasItems(lens, redact(flags.store));
      const salons = lens.salons();
      assertKnownSalons(salons, flags.salon, '--salon', redact(flags.store));
      assertKnownSalons(salons, flags.excludeSalon, '--exclude-salon', redact(flags.store));
      const mode = flags.mode ?? LENS_DEFAULTS.mode;
      const hits = await lens.search(query, {
        k: flags.k,
        section: flags.section,
        salon: flags.salon,
        excludeSalon: flags.excludeSalon,
        dateFrom: flags.from,
        dateTo: flags.to,
        mode,
        scoring: flags.scoring,
        exact: flags.exact,
      });
      if (flags.json) {
        printJson(hits);
        return;
      }
      if (hits.length === 0) {
        process.stdout.write('No items match (check --section, --salon, --from and --to).\n');
        return;
      }
      process.stdout.write(`${searchTable(hits, mode, flags.wide)}\n`);
    } finally {
      await lens.close();
    }
  });
}

/** Hits as a table; the salon column holds the id (with its date) that --salon takes. */
export function searchTable(hits: readonly SearchHit[], mode: SearchMode, wide?: boolean): string {
  // Vector-mode scores are cosine or CSLS (`scoring`); the hits say which.
  const score = SCORE_COLUMNS[mode === 'vector' && hits[0]?.scoring === 'csls' ? 'csls' : mode];
  const rows = hits.map((h, i) => [
    String(i + 1),
    mode === 'vector' ? h.score.toFixed(3) : h.score.toPrecision(3),
    salonLabel(h.salon),
    h.item.section,
    h.item.text,
  ]);
  const table = formatTable(
    [
      { header: '#', align: 'right' },
      { header: score.header, align: 'right' },
      { header: 'salon', flex: true, minWidth: 16 },
      { header: 'section' },
      { header: 'text', flex: true, minWidth: 20 },
    ],
    rows,
    { wide },
  );
  return `${table}\n\n${score.legend}`;
}

/** The salon id, plus its date only when the id does not already start with it. */
export function salonLabel(salon: { id: string; date?: string }): string {
  return salon.date && !salon.id.startsWith(salon.date) ? `${salon.id} (${salon.date})` : salon.id;
}
