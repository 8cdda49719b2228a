/**
 * `salon-lens index <paths...> --store <dir>`: create or update a lens store.
 * Also home of `embedderForStore`, which the other store commands use to open a
 * store with the embedder it was built with.
 *
 *   salon-lens index examples/salons --store .lens
 *   salon-lens index examples/salons --store .lens --embedder hashing --force
 */
import type { Command } from 'commander';
import { createEmbedder, type Embedder } from '../../embed/index.js';
import { isSalonLensError, SalonLensError } from '../../errors.js';
import { createLens, type Lens, openLens, readManifest } from '../../index/index.js';
import { loadSalons } from '../../parse/index.js';
import { createProgressBar, info, printJson } from '../io.js';
import { parseChoice, parsePositiveInt } from '../option-parsers.js';

export const CLI_EMBEDDERS = ['bundled', 'hashing'] as const;
export type CliEmbedder = (typeof CLI_EMBEDDERS)[number];

/** The embedder named on the command line, or the one the store at `dir` was built with. */
export async function embedderForStore(dir: string, choice?: CliEmbedder): Promise<Embedder> {
  if (choice === 'bundled') return createEmbedder();
  if (choice === 'hashing') return createEmbedder({ backend: 'hashing' });
  const { embedder } = await readManifest(dir);
  const hashing = /^hashing@(\d+)(?::seed(\d+))?$/.exec(embedder.id);
  if (hashing)
    return createEmbedder({
      backend: 'hashing',
      dim: Number(hashing[1]),
      seed: Number(hashing[2] ?? 0),
    });
  if (embedder.id.startsWith('use-lite@')) return createEmbedder();
  throw new SalonLensError(
    'EMBEDDER_MISMATCH',
    `Store ${dir} was built with embedder ${embedder.id}, which the CLI cannot recreate; ` +
      'use the library API with the same embedder options.',
    { details: { dir, stored: embedder } },
  );
}

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

interface IndexFlags {
  store: string;
  embedder?: CliEmbedder;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
  maxBytes?: number;
}

export function registerIndex(program: Command): void {
  program
    .command('index')
    .description(
      'add salon documents to a lens store (created if missing); changed salons are replaced',
    )
    .argument('<paths...>', 'salon files (.md/.txt) or folders')
    .requiredOption('--store <dir>', 'lens store folder')
    .option(
      '--embedder <name>',
      `embedding model for a new store: ${CLI_EMBEDDERS.join(', ')} (default: bundled, or the store's)`,
      parseChoice(CLI_EMBEDDERS),
    )
    .option('--force', 'replace an existing store instead of updating it')
    .option('--max-bytes <n>', 'per-document size limit in bytes', parsePositiveInt)
    .option('--quiet', 'no progress bar')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (paths: string[], flags: IndexFlags) => {
      const { salons, warnings } = await loadSalons(paths, { maxBytes: flags.maxBytes });
      for (const w of warnings) info(`warning: ${w.file}: ${w.message}`);
      const embedder = await chooseEmbedder(flags);
      const bar = createProgressBar('index', { quiet: flags.quiet });
      const interrupt = interruptSignal();
      let lens: Lens | undefined;
      try {
        lens = await openOrCreate(flags, embedder);
        const summary = await lens.addSalons(salons, {
          onProgress: (e) => bar.update(e),
          signal: interrupt.signal,
        });
        bar.stop();
        const m = lens.manifest;
        if (flags.json)
          printJson({
            ...summary,
            store: flags.store,
            itemCount: m.itemCount,
            salonCount: m.salonCount,
            embedder: m.embedder.id,
          });
        else {
          process.stdout.write(
            `${flags.store}: ${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged salons; ` +
              `${summary.embeddedItems} items embedded, ${summary.removedItems} removed. ` +
              `Store holds ${m.itemCount} items from ${m.salonCount} salons (${m.embedder.id}).\n`,
          );
        }
      } finally {
        bar.stop();
        interrupt.done();
        await lens?.close();
        await embedder.dispose();
      }
    });
}

async function chooseEmbedder(flags: IndexFlags): Promise<Embedder> {
  if (flags.embedder || flags.force)
    return embedderForStore(flags.store, flags.embedder ?? 'bundled');
  try {
    return await embedderForStore(flags.store);
  } catch (error) {
    if (isSalonLensError(error, 'STORE_NOT_FOUND')) return createEmbedder();
    throw error;
  }
}

async function openOrCreate(flags: IndexFlags, embedder: Embedder): Promise<Lens> {
  if (flags.force) return createLens(flags.store, { embedder, force: true });
  try {
    return await openLens(flags.store, { embedder });
  } catch (error) {
    if (!isSalonLensError(error, 'STORE_NOT_FOUND')) throw error;
    return createLens(flags.store, { embedder });
  }
}
