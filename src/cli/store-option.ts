/**
 * `--store` for every command that touches a store, with one default: the
 * `.salon-lens` folder the README's main job builds (or `$SALON_LENS_STORE`), so
 * `salon-lens report examples/salons` followed by `salon-lens search "privacy"` just works.
 */
import type { Command } from 'commander';

export const DEFAULT_STORE = '.salon-lens';
export const STORE_ENV = 'SALON_LENS_STORE';

export function defaultStore(): string {
  const fromEnv = process.env[STORE_ENV]?.trim();
  return fromEnv ? fromEnv : DEFAULT_STORE;
}

export function addStoreOption(command: Command): Command {
  return command.option(
    '--store <dir>',
    `lens store folder ($${STORE_ENV}, when set, replaces the default)`,
    defaultStore(),
  );
}
