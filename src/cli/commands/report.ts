/**
 * `salon-lens report [paths...] [--store dir] [--out dir] [--format md,html,json]`:
 * salon documents to a theme report in one command (the store is built or
 * updated as needed; unchanged salons are not embedded again). Without paths it
 * reports what the store already holds.
 */
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import { runtimeName } from '../../embed/index.js';
import { type AddSummary, redact } from '../../index/index.js';
import { REPORT_FORMATS, type ReportFormat, refuseForeignReports } from '../../report/index.js';
import {
  addEmbedderFlags,
  type EmbedderFlags,
  embedderOptionsFromFlags,
} from '../embedder-flags.js';
import { cliEmbeddingCache } from '../embedding-cache.js';
import { addGuideFlags, type GuideFlags, guideFromFlags } from '../guide-flags.js';
import { info, printJson } from '../io.js';
import {
  type LoadFlags,
  loadDocuments,
  SKIP_INVALID_HELP,
  STRICT_HELP,
} from '../load-documents.js';
import { assertHasItems } from '../open-store.js';
import { createProgress } from '../progress.js';
import { addStoreOption } from '../store-option.js';
import { terminalSafe } from '../terminal-text.js';
import { warnReplaced } from '../warnings.js';
import { interruptSignal } from './index.js';
import { parseK } from './themes.js';

interface ReportFlags extends EmbedderFlags, LoadFlags, GuideFlags {
  store: string;
  out: string;
  format: ReportFormat[];
  k: number | 'auto';
  title?: string;
  overwrite?: boolean;
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
    .description(
      'build or update the store from salon documents and write a theme report ' +
        '(no paths: report the store as it is)',
    )
    .argument('[paths...]', 'salon files (.md/.txt) or folders');
  addStoreOption(command)
    .option('--out <dir>', 'report folder', 'salon-report')
    .option('--overwrite', 'replace report files in --out that salon-lens did not write')
    .option('--format <list>', `comma-separated: ${REPORT_FORMATS.join(',')}`, parseFormats, [
      ...REPORT_FORMATS,
    ])
    .option('--k <n|auto>', 'number of themes, or auto', parseK, 'auto')
    .option('--title <text>', 'report title');
  addGuideFlags(command)
    .option('--skip-invalid', SKIP_INVALID_HELP)
    .option('--strict', STRICT_HELP)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print a summary (paths, counts) as JSON on stdout');
  addEmbedderFlags(command).action(async (paths: string[], flags: ReportFlags) => {
    // A user's own report.md in --out is refused before anything is indexed.
    if (!flags.overwrite) await refuseForeignReports(flags.out, flags.format);
    const guide = await guideFromFlags(flags);
    const progress = createProgress('report', { quiet: flags.quiet });
    // Never read what this tool wrote: the store and the report folder (when they sit
    // inside a salons folder); loadSalons also recognises a moved report by its marker.
    const exclude = [flags.store, flags.out];
    const loaded =
      paths.length > 0
        ? await loadDocuments(paths, { ...flags, exclude }, progress.update)
        : undefined;
    const embedder = embedderOptionsFromFlags(flags);
    const cached = await cliEmbeddingCache();
    const options = {
      ...(embedder ? { embedder } : {}),
      ...(cached.cache ? { embeddingCache: cached.cache } : {}),
    };
    // With documents the store is created when missing; without, it must exist.
    const lens = loaded
      ? await SalonLens.openOrCreate(flags.store, options)
      : await SalonLens.open(flags.store, options);
    const interrupt = interruptSignal();
    try {
      const added: AddSummary = loaded
        ? await lens.add(loaded.salons, { onProgress: progress.update, signal: interrupt.signal })
        : {
            added: 0,
            updated: 0,
            unchanged: lens.info.salonCount,
            removedItems: 0,
            embeddedItems: 0,
            skipped: [],
            warnings: [],
          };
      assertHasItems(lens, redact(flags.store));
      // From here on nothing is written until the end, and each write is atomic (the
      // store's theme memory, the report files), so Ctrl-C may end the process at once:
      // clustering is synchronous and would only see an abort between its steps.
      interrupt.done();
      const report = await lens.report({
        outDir: flags.out,
        formats: flags.format,
        overwrite: flags.overwrite ?? false,
        themes: { k: flags.k, ...(guide.length > 0 ? { guide } : {}) },
        ...(flags.title ? { title: flags.title } : {}),
        onProgress: progress.update,
        signal: interrupt.signal,
      });
      progress.stop();
      warnReplaced(added);
      const summary = {
        store: redact(flags.store),
        files: report.files,
        salons: report.data.salons.length,
        items: report.data.items.length,
        themes: report.data.themes.themes.length,
        embedder: report.data.embedder.id,
        // What embedded in this run ('onnxruntime', 'tfjs'); null when nothing was embedded.
        runtime: runtimeName(lens.embedder) ?? null,
        ...added,
        embeddedFromCache: cached.fromCache(),
        skipped: loaded?.skipped ?? [],
        warnings: loaded?.warnings ?? [],
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
          `${summary.themes} themes, model ${lens.runtime}` +
          (summary.skipped.length
            ? `; ${summary.skipped.length} invalid document(s) skipped`
            : '') +
          (summary.warnings.length ? `; ${summary.warnings.length} warning(s) (above)` : ''),
      );
      process.stdout.write(`${files.map(terminalSafe).join('\n')}\n`);
    } finally {
      progress.stop();
      interrupt.done();
      await lens.close();
    }
  });
}
