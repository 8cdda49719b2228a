/**
 * `salon-lens report <paths...> [--store dir] [--out dir] [--format md,html,json]`:
 * salon documents to a theme report in one command (the store is built or
 * updated as needed; unchanged salons are not embedded again).
 */
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { analyze } from '../../api/analyze.js';
import { REPORT_FORMATS, type ReportFormat } from '../../report/index.js';
import {
  addEmbedderFlags,
  type EmbedderFlags,
  embedderOptionsFromFlags,
} from '../embedder-flags.js';
import { createProgressBar, info, printJson } from '../io.js';
import { interruptSignal } from './index.js';
import { parseK } from './themes.js';

interface ReportFlags extends EmbedderFlags {
  store: string;
  out: string;
  format: ReportFormat[];
  k: number | 'auto';
  title?: string;
  json?: boolean;
  quiet?: boolean;
}

function parseFormats(value: string): ReportFormat[] {
  const formats = value.split(',').map((f) => f.trim());
  for (const f of formats) {
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) {
      throw new InvalidArgumentError(
        `expected a comma-separated list of ${REPORT_FORMATS.join(', ')}, got "${f}".`,
      );
    }
  }
  return [...new Set(formats)] as ReportFormat[];
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('build or update the store from salon documents and write a theme report')
    .argument('<paths...>', 'salon files (.md/.txt) or folders')
    .option('--store <dir>', 'lens store: a folder or a postgres:// URL', '.salon-lens')
    .option('--out <dir>', 'report folder', 'salon-report')
    .option('--format <list>', `comma-separated: ${REPORT_FORMATS.join(',')}`, parseFormats, [
      ...REPORT_FORMATS,
    ])
    .option('--k <n|auto>', 'number of themes, or auto', parseK, 'auto')
    .option('--title <text>', 'report title')
    .option('--quiet', 'no progress bar')
    .option('--json', 'print a summary (paths, counts) as JSON on stdout');
  addEmbedderFlags(command).action(async (paths: string[], flags: ReportFlags) => {
    const bar = createProgressBar('report', { quiet: flags.quiet });
    const interrupt = interruptSignal();
    try {
      const embedder = embedderOptionsFromFlags(flags);
      const { added, report } = await analyze(paths, {
        store: flags.store,
        outDir: flags.out,
        formats: flags.format,
        themes: { k: flags.k },
        ...(flags.title ? { title: flags.title } : {}),
        ...(embedder ? { embedder } : {}),
        onProgress: (e) => bar.update(e),
        signal: interrupt.signal,
      });
      bar.stop();
      const summary = {
        store: flags.store,
        files: report.files,
        salons: report.data.salons.length,
        items: report.data.items.length,
        themes: report.data.themes.themes.length,
        embedder: report.data.embedder.id,
        ...added,
      };
      if (flags.json) {
        printJson(summary);
        return;
      }
      const files = Object.values(report.files).map((f) =>
        path.relative(process.cwd(), f as string),
      );
      info(
        `${summary.salons} salons, ${summary.items} items (${added.embeddedItems} embedded now), ` +
          `${summary.themes} themes, model ${summary.embedder}`,
      );
      process.stdout.write(`${files.join('\n')}\n`);
    } finally {
      bar.stop();
      interrupt.done();
    }
  });
}
