/** `salon-lens parse <files|dirs...> [--json]`: check documents and show what was read. */
import type { Command } from 'commander';
import { loadSalons, type ParseOptions } from '../../parse/index.js';
import { info, printJson } from '../io.js';
import { parsePositiveInt } from '../option-parsers.js';
import { displayWidth, fitLine, formatTable, outputWidth } from '../table.js';
import { terminalSafe } from '../terminal-text.js';
import { salonLabel } from './search.js';

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description(
      'parse salon documents; print item counts and dropped lines, or the salons as JSON',
    )
    .argument('<paths...>', 'salon files (.md/.txt) or folders')
    .option('--json', 'print the parsed salons as JSON on stdout')
    .option('--max-bytes <n>', 'per-document size limit in bytes', parsePositiveInt)
    .option('--wide', 'show dropped lines in full instead of fitting the terminal width')
    .action(
      async (
        paths: string[],
        opts: {
          json?: boolean;
          maxBytes?: number;
          wide?: boolean;
          headingAliases?: ParseOptions['headingAliases'];
        },
      ) => {
        const { salons, warnings, skipped } = await loadSalons(paths, {
          maxBytes: opts.maxBytes,
          // From the config file (see config-flags.ts).
          ...(opts.headingAliases ? { headingAliases: opts.headingAliases } : {}),
        });
        for (const w of warnings) info(`warning: ${w.file}: ${w.message}`);
        for (const s of skipped) info(`skipped: ${s.message}`);
        if (opts.json) {
          printJson(salons);
          return;
        }
        const count = (s: (typeof salons)[number], section: string) =>
          String(s.items.filter((i) => i.section === section).length);
        const rows = salons.map((s) => [
          salonLabel(s),
          count(s, 'insight'),
          count(s, 'question'),
          count(s, 'disagreement'),
          String(s.warnings.length),
        ]);
        const columns = ['salon', 'insights', 'questions', 'disagreements', 'warnings'].map(
          (header, c) => (c === 0 ? { header, flex: true } : { header, align: 'right' as const }),
        );
        process.stdout.write(`${formatTable(columns, rows)}\n`);
        for (const s of salons) {
          for (const w of s.warnings) {
            // Where and why in full; the dropped text is cut to what is left of the line.
            const where = terminalSafe(`  ${s.source}:${w.line}: ${w.kind}: ${w.message}`);
            const room = Math.max(30, outputWidth() - displayWidth(where) - 5);
            const quoted = w.text
              ? ` — "${fitLine(w.text, { wide: opts.wide, width: room })}"`
              : '';
            process.stdout.write(`${where}${quoted}\n`);
          }
        }
      },
    );
}
