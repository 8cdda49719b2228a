/**
 * `salon-lens verify --store <dir>`: check every store file (size, sha256,
 * consistency). Exit 0 when intact; 1 naming each bad file and what to do.
 *
 *   salon-lens verify                 # the default store, .salon-lens
 *   salon-lens verify --store .lens
 */
import type { Command } from 'commander';
import { SalonLens } from '../../api/salon-lens.js';
import { SalonLensError } from '../../errors.js';
import { redact } from '../../index/index.js';
import { info, printJson } from '../io.js';
import { addStoreOption } from '../store-option.js';

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('check a lens store for missing, truncated or corrupted files');
  addStoreOption(command)
    .option('--json', 'print the report as JSON on stdout')
    .action(async (flags: { store: string; json?: boolean }) => {
      const report = await SalonLens.verify(flags.store);
      if (flags.json) printJson(report);
      if (report.ok) {
        if (!flags.json) {
          process.stdout.write(
            `ok: ${redact(flags.store)}: ${report.itemCount} items from ${report.salonCount} salons, ` +
              `generation ${report.generation}, embedder ${report.embedder?.id}; all files intact.\n`,
          );
        }
        return;
      }
      for (const p of report.problems) info(`problem: ${p.file}: ${p.problem}`);
      throw new SalonLensError(
        'STORE_CORRUPT',
        `store ${redact(flags.store)} failed verification (${report.problems.length} problem(s)). ${report.advice ?? ''}`.trim(),
        { details: { report } },
      );
    });
}
