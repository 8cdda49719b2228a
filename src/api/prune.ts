/**
 * Which stored salons a sync drops because their document is gone. A salon is
 * pruned only when its recorded source lies under one of the folders (or is one of
 * the files) given to this run, was not read in this run, and no longer exists on
 * disk. Salons indexed from elsewhere, and documents that exist but were skipped as
 * invalid, are never pruned.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface SourcedSalon {
  id: string;
  source: string;
}

export function salonsToPrune(
  stored: readonly SourcedSalon[],
  inputs: readonly string[],
  readIds: ReadonlySet<string>,
): SourcedSalon[] {
  const roots = inputs.map((p) => path.resolve(p));
  const under = (file: string) =>
    roots.some((root) => file === root || file.startsWith(root + path.sep));
  return stored.filter((s) => {
    if (readIds.has(s.id)) return false;
    const file = path.resolve(s.source);
    return under(file) && !existsSync(file);
  });
}
