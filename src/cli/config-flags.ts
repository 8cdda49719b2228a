/**
 * The config file (see config/load-config.ts) as flag values: before a command runs,
 * each setting fills the flag of the same meaning unless the user typed that flag
 * (flags win) or, for the store, set `$SALON_LENS_STORE`. Settings that have no flag
 * (heading aliases, the guide as entries) ride along as extra option values.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { STORE_ENV } from './store-option.js';

/** Commands that read salon documents, and so take heading aliases. */
const READS_DOCUMENTS = new Set(['parse', 'index', 'report']);

export async function applyConfig(command: Command): Promise<void> {
  const { config, file } = await loadConfig();
  if (file === undefined) return;
  const set = (key: string, value: unknown) => {
    if (value === undefined) return;
    if (!command.options.some((o) => o.attributeName() === key)) return;
    const source = command.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') return;
    if (key === 'store' && process.env[STORE_ENV]?.trim()) return;
    command.setOptionValueWithSource(key, value, 'config');
  };
  set('store', config.store);
  set('embedder', config.embedder);
  set('model', config.model);
  set('modelDir', config.modelDir);
  set('offline', config.offline);
  set('strict', config.strict);
  if (command.name() === 'report') {
    set('out', config.report?.out);
    set('format', config.report?.format);
    set('k', config.report?.k);
    set('title', config.report?.title);
  }
  if (config.headingAliases && READS_DOCUMENTS.has(command.name())) {
    command.setOptionValueWithSource('headingAliases', config.headingAliases, 'config');
  }
  // Used only when neither --guide nor --guide-file is given (see guide-flags.ts).
  if (config.guide && command.options.some((o) => o.attributeName() === 'guide')) {
    command.setOptionValueWithSource('configGuide', config.guide, 'config');
  }
}
