/** `salon-lens parse <files|dirs...> [--json]`: check documents and show what was read. */
import type { Command } from 'commander';
import { loadSalons } from '../../parse/index.js';
import { formatTable, info, printJson } from '../io.js';
import { parsePositiveInt } from '../option-parsers.js';

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description(
      'parse salon documents; print item counts and dropped lines, or the salons as JSON',
    )
    .argument('<paths...>', 'salon files (.md/.txt) or folders')
    .option('--json', 'print the parsed salons as JSON on stdout')
    .option('--max-bytes <n>', 'per-document size limit in bytes', parsePositiveInt)
    .action(async (paths: string[], opts: { json?: boolean; maxBytes?: number }) => {
      const { salons, warnings } = await loadSalons(paths, { maxBytes: opts.maxBytes });
      for (const w of warnings) info(`warning: ${w.file}: ${w.message}`);
      if (opts.json) {
        printJson(salons);
        return;
      }
      const count = (s: (typeof salons)[number], section: string) =>
        String(s.items.filter((i) => i.section === section).length);
      const rows = salons.map((s) => [
        s.id,
        s.date ?? '',
        count(s, 'insight'),
        count(s, 'question'),
        count(s, 'disagreement'),
        String(s.warnings.length),
      ]);
      process.stdout.write(
        `${formatTable(['salon', 'date', 'insights', 'questions', 'disagreements', 'warnings'], rows)}\n`,
      );
      for (const s of salons) {
        for (const w of s.warnings) {
          process.stdout.write(
            `  ${s.source}:${w.line}: ${w.kind}: ${w.message}${w.text ? ` — "${cut(w.text)}"` : ''}\n`,
          );
        }
      }
    });
}

function cut(s: string): string {
  return s.length > 70 ? `${s.slice(0, 69)}…` : s;
}
