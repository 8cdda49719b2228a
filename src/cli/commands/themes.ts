/**
 * `salon-lens themes --store <dir> [--k N|auto] [--json]`: cross-salon themes
 * with their representative items.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import {
  addEmbedderFlags,
  type EmbedderFlags,
  embedderOptionsFromFlags,
} from '../embedder-flags.js';
import { formatTable, printJson } from '../io.js';
import { parsePositiveInt } from '../option-parsers.js';

interface ThemesFlags extends EmbedderFlags {
  store: string;
  k: number | 'auto';
  seed?: number;
  minSize?: number;
  contested?: boolean;
  json?: boolean;
}

export function parseK(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2)
    throw new InvalidArgumentError(`expected "auto" or an integer ≥ 2, got "${value}".`);
  return n;
}

export function registerThemes(program: Command): void {
  const command = program
    .command('themes')
    .description('cluster every item of a store into cross-salon themes')
    .requiredOption('--store <dir>', 'lens store: a folder or a postgres:// URL')
    .option('--k <n|auto>', 'number of themes, or auto', parseK, 'auto')
    .option('--seed <n>', 'clustering seed', parsePositiveInt)
    .option(
      '--min-size <n>',
      'smallest theme; smaller clusters become unassigned',
      parsePositiveInt,
    )
    .option('--contested', 'sort themes by their share of disagreements')
    .option('--json', 'print the full result as JSON on stdout');
  addEmbedderFlags(command).action(async (flags: ThemesFlags) => {
    const embedder = embedderOptionsFromFlags(flags);
    const lens = await SalonLens.open(flags.store, embedder ? { embedder } : {});
    try {
      const result = await lens.themes({
        k: flags.k,
        ...(flags.seed ? { seed: flags.seed } : {}),
        ...(flags.minSize ? { minSize: flags.minSize } : {}),
      });
      if (flags.json) {
        printJson(result);
        return;
      }
      const themes = flags.contested
        ? [...result.themes].sort((a, b) => b.contested - a.contested)
        : result.themes;
      const rows = themes.map((t) => [
        t.id,
        t.label,
        String(t.size),
        String(t.salons.length),
        `${Math.round(t.contested * 100)}%`,
      ]);
      const out = [
        `${result.themes.length} themes (k=${result.k}, ${result.kSelection.mode}) over ${Object.keys(result.assignments).length} items; ${result.unassigned.length} unassigned`,
        '',
        formatTable(['id', 'label', 'items', 'salons', 'contested'], rows),
      ];
      for (const t of themes) {
        out.push('', `${t.id}  ${t.label}`);
        for (const r of t.representatives) out.push(`  - [${r.salonId} · ${r.section}] ${r.text}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    } finally {
      await lens.close();
    }
  });
}
