/**
 * `salon-lens remove <salon-id...>`: take salons and their items out of a store.
 * Every id must exist (an unknown one is an error listing the closest ids), so a
 * typo never silently removes nothing.
 *
 *   salon-lens remove 2024-09-14-who-owns-the-models
 */
import type { Command } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import { printJson } from '../io.js';
import { createProgress } from '../progress.js';
import { assertKnownSalons } from '../salon-ids.js';
import { addStoreOption } from '../store-option.js';
import { terminalSafe } from '../terminal-text.js';
import { interruptSignal } from './index.js';

interface RemoveFlags {
  store: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerRemove(program: Command): void {
  const command = program
    .command('remove')
    .description('remove salons (and all their items) from a lens store by id')
    .argument('<salon-ids...>', 'salon ids, as shown by search, similar, themes or parse');
  addStoreOption(command)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print what was removed as JSON on stdout')
    .action(async (ids: string[], flags: RemoveFlags) => {
      const lens = await SalonLens.open(flags.store);
      const progress = createProgress('remove', { quiet: flags.quiet });
      const interrupt = interruptSignal();
      try {
        const stored = lens.salons();
        assertKnownSalons(stored, ids, 'remove', flags.store);
        const unique = [...new Set(ids)];
        const removed = await lens.removeSalons(unique, {
          onProgress: progress.update,
          signal: interrupt.signal,
        });
        progress.stop();
        const m = lens.info;
        const salons = stored
          .filter((s) => unique.includes(s.id))
          .map((s) => ({ id: s.id, title: s.title, source: s.source, items: s.itemCount }));
        if (flags.json) {
          printJson({
            removed: salons,
            removedItems: removed.removedItems,
            store: flags.store,
            itemCount: m.itemCount,
            salonCount: m.salonCount,
          });
          return;
        }
        process.stdout.write(
          `${[
            `Removed ${removed.removedSalons} salon(s), ${removed.removedItems} items:`,
            ...salons.map(
              (s) => `  ${terminalSafe(s.id)}  (${s.items} items, ${terminalSafe(s.source)})`,
            ),
            `${terminalSafe(flags.store)} now holds ${m.itemCount} items from ${m.salonCount} salons.`,
          ].join('\n')}\n`,
        );
      } finally {
        progress.stop();
        interrupt.done();
        await lens.close();
      }
    });
}
