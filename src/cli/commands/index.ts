/**
 * `salon-lens index <paths...> --store <dir>`: create or update a lens store.
 *
 *   salon-lens index examples/salons --store .lens
 *   salon-lens index examples/salons --store .lens --embedder hashing --force
 */
import type { Command } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import { redact } from '../../index/index.js';
import { loadSalons } from '../../parse/index.js';
import {
  addEmbedderFlags,
  type EmbedderFlags,
  embedderOptionsFromFlags,
} from '../embedder-flags.js';
import { createProgressBar, info, printJson } from '../io.js';
import { parsePositiveInt } from '../option-parsers.js';

/** An AbortSignal fired by Ctrl-C, so an interrupted save leaves the store as it was. */
export function interruptSignal(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    info('interrupted: stopping, the store stays as it was');
    controller.abort(new Error('SIGINT'));
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, done: () => process.off('SIGINT', onSigint) };
}

interface IndexFlags extends EmbedderFlags {
  store: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
  maxBytes?: number;
}

export function registerIndex(program: Command): void {
  const command = program
    .command('index')
    .description(
      'add salon documents to a lens store (created if missing); changed salons are replaced',
    )
    .argument('<paths...>', 'salon files (.md/.txt) or folders')
    .requiredOption('--store <dir>', 'lens store: a folder or a postgres:// URL')
    .option('--force', 'replace an existing store instead of updating it')
    .option('--max-bytes <n>', 'per-document size limit in bytes', parsePositiveInt)
    .option('--quiet', 'no progress bar')
    .option('--json', 'print the summary as JSON on stdout');
  addEmbedderFlags(command).action(async (paths: string[], flags: IndexFlags) => {
    const { salons, warnings } = await loadSalons(paths, { maxBytes: flags.maxBytes });
    for (const w of warnings) info(`warning: ${w.file}: ${w.message}`);
    const embedder = embedderOptionsFromFlags(flags);
    const lens = await SalonLens.openOrCreate(flags.store, {
      force: flags.force ?? false,
      ...(embedder ? { embedder } : {}),
    });
    const bar = createProgressBar('index', { quiet: flags.quiet });
    const interrupt = interruptSignal();
    try {
      const summary = await lens.add(salons, {
        onProgress: (e) => bar.update(e),
        signal: interrupt.signal,
      });
      bar.stop();
      const m = lens.info;
      if (flags.json) {
        printJson({
          ...summary,
          store: redact(flags.store),
          itemCount: m.itemCount,
          salonCount: m.salonCount,
          embedder: m.embedder.id,
        });
      } else {
        process.stdout.write(
          `${redact(flags.store)}: ${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged salons; ` +
            `${summary.embeddedItems} items embedded, ${summary.removedItems} removed. ` +
            `Store holds ${m.itemCount} items from ${m.salonCount} salons (${m.embedder.id}).\n`,
        );
      }
    } finally {
      bar.stop();
      interrupt.done();
      await lens.close();
    }
  });
}
