/**
 * `salon-lens themes [--k N|auto] [--guide "a,b"|--guide-file f] [--json]`: cross-salon
 * themes with their representative items. Reads without the write lock (it works
 * while `index` runs); the theme-id state that keeps ids stable is saved only when no
 * writer holds the store (`report` always saves it).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { redact } from '../../index/index.js';
import { addEmbedderFlags, type EmbedderFlags } from '../embedder-flags.js';
import { addGuideFlags, type GuideFlags, guideFromFlags } from '../guide-flags.js';
import { info, printJson } from '../io.js';
import { assertHasItems, openForReading } from '../open-store.js';
import { parsePositiveInt } from '../option-parsers.js';
import { createProgress } from '../progress.js';
import { addStoreOption } from '../store-option.js';
import { fitLine, formatTable } from '../table.js';

interface ThemesFlags extends EmbedderFlags, GuideFlags {
  store: string;
  k: number | 'auto';
  seed?: number;
  minSize?: number;
  contested?: boolean;
  wide?: boolean;
  json?: boolean;
  quiet?: boolean;
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
    .description('cluster every item of a store into cross-salon themes');
  addStoreOption(command)
    .option('--k <n|auto>', 'number of themes, or auto', parseK, 'auto')
    .option('--seed <n>', 'clustering seed', parsePositiveInt)
    .option(
      '--min-size <n>',
      'smallest theme; smaller clusters become unassigned',
      parsePositiveInt,
    )
    .option('--contested', 'sort themes by their share of disagreements');
  addGuideFlags(command)
    .option('--wide', 'show full labels and items instead of fitting the terminal width')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print the full result as JSON on stdout');
  addEmbedderFlags(command).action(async (flags: ThemesFlags) => {
    const guide = await guideFromFlags(flags);
    const lens = await openForReading(flags);
    try {
      assertHasItems(lens, redact(flags.store));
      const progress = createProgress('themes', { quiet: flags.quiet });
      const result = await lens.themes({
        onProgress: progress.update,
        persist: 'when-free',
        onNotSaved: () =>
          info(
            'warning: theme ids were not saved (this role may only read the store); ids may change next run.',
          ),
        k: flags.k,
        ...(flags.seed ? { seed: flags.seed } : {}),
        ...(flags.minSize ? { minSize: flags.minSize } : {}),
        ...(guide.length > 0 ? { guide } : {}),
      });
      progress.stop();
      if (flags.json) {
        printJson(result);
        return;
      }
      const themes = flags.contested
        ? [...result.themes].sort((a, b) => b.contested - a.contested)
        : result.themes;
      const rows = themes.map((t) => [
        t.id,
        t.kind === 'guided' ? `${t.label} (guided)` : t.label,
        String(t.size),
        String(t.salons.length),
        `${Math.round(t.contested * 100)}%`,
      ]);
      const out = [
        `${result.themes.length} themes (k=${result.k}, ${result.kSelection.mode}) over ${Object.keys(result.assignments).length} items; ${result.unassigned.length} unassigned`,
        '',
        formatTable(
          [
            { header: 'id' },
            { header: 'label', flex: true, minWidth: 20 },
            { header: 'items', align: 'right' },
            { header: 'salons', align: 'right' },
            { header: 'contested', align: 'right' },
          ],
          rows,
          { wide: flags.wide },
        ),
      ];
      for (const t of themes) {
        out.push('', fitLine(`${t.id}  ${t.label}`, { wide: flags.wide }));
        for (const r of t.representatives) {
          out.push(fitLine(`  - [${r.salonId} · ${r.section}] ${r.text}`, { wide: flags.wide }));
        }
      }
      process.stdout.write(`${out.join('\n')}\n`);
    } finally {
      await lens.close();
    }
  });
}
