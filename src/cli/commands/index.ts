/**
 * `salon-lens index <paths...>`: create or update a lens store (default `.salon-lens`).
 *
 *   salon-lens index examples/salons
 *   salon-lens index examples/salons --store .lens --embedder hashing --force
 *   salon-lens index salons/ --prune          # also drop salons whose document was deleted
 */
import type { Command } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import { runtimeName } from '../../embed/index.js';
import { isSalonLensError, SalonLensError } from '../../errors.js';
import { rebuildPaths, redact } from '../../index/index.js';
import { shellCommand } from '../../util/shell-quote.js';
import {
  addEmbedderFlags,
  type EmbedderFlags,
  embedderOptionsFromFlags,
} from '../embedder-flags.js';
import { cliEmbeddingCache } from '../embedding-cache.js';
import { readPathList } from '../input-files.js';
import { info, printJson, UsageError } from '../io.js';
import {
  type LoadFlags,
  loadDocuments,
  SKIP_INVALID_HELP,
  STRICT_HELP,
} from '../load-documents.js';
import { parsePositiveInt } from '../option-parsers.js';
import { createProgress } from '../progress.js';
import { salonsToPrune } from '../prune.js';
import { addStoreOption } from '../store-option.js';
import { terminalSafe } from '../terminal-text.js';
import { warnLongItems, warnReplaced } from '../warnings.js';

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

/**
 * A store that lost its manifest: name the very command that rebuilds it from these
 * paths and from every source its salon files record (which these paths may not cover).
 */
function withExactRebuild(error: unknown, paths: string[], flags: IndexFlags): unknown {
  if (!isSalonLensError(error, 'STORE_CORRUPT') || error.details.reason !== 'manifest-missing') {
    return error;
  }
  const recorded = (error.details.sources ?? []) as string[];
  const command = shellCommand([
    'salon-lens',
    'index',
    ...paths,
    ...rebuildPaths(recorded, paths),
    '--store',
    flags.store,
    '--force',
    ...(flags.embedder ? ['--embedder', flags.embedder] : []),
  ]);
  return new SalonLensError(
    'STORE_CORRUPT',
    `Store ${flags.store} is damaged: ${error.details.file} ${error.details.problem}. Nothing was deleted. ` +
      `Rebuild it from your salon documents with: ${command}`,
    { details: error.details, cause: error },
  );
}

interface IndexFlags extends EmbedderFlags, LoadFlags {
  store: string;
  force?: boolean;
  prune?: boolean;
  json?: boolean;
  quiet?: boolean;
  fromFile?: string;
}

export function registerIndex(program: Command): void {
  const command = program
    .command('index')
    .description(
      'add salon documents to a lens store (created if missing); changed salons are replaced',
    )
    .argument('[paths...]', 'salon files (.md/.txt) or folders (or --from-file)');
  addStoreOption(command)
    .option('--force', 'replace an existing store instead of updating it')
    .option('--prune', 'remove stored salons whose document under these folders no longer exists')
    .option('--skip-invalid', SKIP_INVALID_HELP)
    .option('--strict', STRICT_HELP)
    .option('--max-bytes <n>', 'per-document size limit in bytes', parsePositiveInt)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print the summary as JSON on stdout')
    .option(
      '--from-file <file>',
      'also read paths from a file, one a line or NUL-separated (find -print0); - reads stdin',
    );
  addEmbedderFlags(command).action(async (argPaths: string[], flags: IndexFlags) => {
    const paths = flags.fromFile
      ? [...argPaths, ...(await readPathList(flags.fromFile))]
      : argPaths;
    if (paths.length === 0) {
      throw new UsageError("missing required argument 'paths' (or --from-file <file|->)");
    }
    const progress = createProgress('index', { quiet: flags.quiet });
    const { salons, skipped, warnings } = await loadDocuments(paths, flags, progress.update);
    warnLongItems(salons);
    const embedder = embedderOptionsFromFlags(flags);
    const cached = await cliEmbeddingCache();
    const lens = await SalonLens.openOrCreate(flags.store, {
      force: flags.force ?? false,
      ...(embedder ? { embedder } : {}),
      ...(cached.cache ? { embeddingCache: cached.cache } : {}),
    }).catch((error: unknown) => {
      throw withExactRebuild(error, paths, flags);
    });
    const interrupt = interruptSignal();
    try {
      const summary = await lens.add(salons, {
        onProgress: progress.update,
        signal: interrupt.signal,
      });
      const pruned = flags.prune
        ? salonsToPrune(lens.salons(), paths, new Set(salons.map((s) => s.id)))
        : [];
      const removed = pruned.length
        ? await lens.removeSalons(
            pruned.map((s) => s.id),
            { onProgress: progress.update, signal: interrupt.signal },
          )
        : { removedSalons: 0, removedItems: 0 };
      progress.stop();
      warnReplaced(summary);
      const m = lens.info;
      if (flags.json) {
        printJson({
          ...summary,
          skipped,
          warnings,
          pruned: pruned.map((s) => ({ id: s.id, source: s.source })),
          removedItems: summary.removedItems + removed.removedItems,
          embeddedFromCache: cached.fromCache(),
          store: redact(flags.store),
          itemCount: m.itemCount,
          salonCount: m.salonCount,
          embedder: m.embedder.id,
          // What embedded in this run ('onnxruntime', 'tfjs'); null when nothing was embedded.
          runtime: runtimeName(lens.embedder) ?? null,
        });
        return;
      }
      const lines = [
        `${terminalSafe(redact(flags.store))}: ${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged salons; ` +
          `${summary.embeddedItems} items embedded${cached.fromCache() > 0 ? ` (${cached.fromCache()} from the embedding cache)` : ''}, ${summary.removedItems + removed.removedItems} removed.`,
      ];
      if (skipped.length > 0) {
        lines.push(`Skipped ${skipped.length} invalid document(s) (listed on stderr).`);
      }
      if (warnings.length > 0) {
        lines.push(`${warnings.length} warning(s): content left out (listed on stderr).`);
      }
      if (flags.prune) {
        lines.push(
          pruned.length === 0
            ? 'Pruned nothing: every stored salon from these folders still has its document.'
            : `Pruned ${pruned.length} salon(s) whose document is gone (${removed.removedItems} items):`,
          ...pruned.map((s) => `  ${terminalSafe(s.id)}  (${terminalSafe(s.source)})`),
        );
      }
      lines.push(`Store holds ${m.itemCount} items from ${m.salonCount} salons (${lens.runtime}).`);
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      progress.stop();
      interrupt.done();
      await lens.close();
    }
  });
}
