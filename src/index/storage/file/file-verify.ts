/**
 * `verifyLens` for a folder store: the manifest and every file it names (sizes,
 * sha256, then the files together), with advice the user can run as is.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { SalonLensError } from '../../../errors.js';
import { shellCommand } from '../../../util/shell-quote.js';
import { faultPoint } from '../fault-points.js';
import type { VerifyReport } from '../seam.js';
import {
  type FileProblem,
  generationOf,
  MANIFEST_FILE,
  type Manifest,
  manifestFiles,
  readCheckedFile,
  readManifest,
  rebuildCommand,
  rebuildPaths,
  salonCountOf,
  sourceFoldersOf,
} from './manifest.js';

import { loadFiles, MissingFile, OPEN_RETRIES, recordedSources } from './store-files.js';

/**
 * Check the manifest and every file it names, without an embedder. Never throws for
 * a damaged store. Like open, it checks one generation: a writer that commits and
 * removes the old files while verify reads them makes it start over with the new
 * manifest (damage is reported only when the manifest stayed the same).
 */
export async function verifyStore(dir: string): Promise<VerifyReport> {
  for (let attempt = 0; ; attempt++) {
    let manifest: Manifest;
    try {
      manifest = await readManifest(dir);
    } catch (error) {
      if (error instanceof SalonLensError) return manifestProblem(dir, error);
      const unreadable = systemProblem(path.join(dir, MANIFEST_FILE), error);
      return { dir, ok: false, problems: [unreadable], advice: accessAdvice(dir) };
    }
    faultPoint('verify: manifest read');
    const { problems, unreadable } = await checkGeneration(dir, manifest);
    if (problems.length > 0 && attempt < OPEN_RETRIES) {
      const now = await readManifest(dir).catch(() => undefined);
      if (now && now.generation !== manifest.generation) continue;
    }
    const advice = unreadable ? accessAdvice(dir) : rebuildAdvice(dir, manifest);
    return {
      dir,
      ok: problems.length === 0,
      generation: manifest.generation,
      itemCount: manifest.itemCount,
      salonCount: salonCountOf(manifest),
      embedder: manifest.embedder,
      problems,
      ...(problems.length > 0 ? { advice } : {}),
    };
  }
}

/** Problems of the files `manifest` names: each file alone, then (if all pass) together. */
async function checkGeneration(
  dir: string,
  manifest: Manifest,
): Promise<{ problems: FileProblem[]; unreadable: boolean }> {
  const problems: FileProblem[] = [];
  for (const entry of manifestFiles(manifest)) {
    const file = path.join(dir, entry.name);
    const result = await readCheckedFile(dir, entry, { mode: 'check' }).catch((error: unknown) => ({
      problem: systemProblem(file, error),
      missing: false,
    }));
    if (!('bytes' in result)) problems.push(result.problem);
  }
  let unreadable = problems.some((p) => p.problem.startsWith('cannot be read'));
  if (problems.length === 0) {
    // Deep check: the files also agree with each other and hnswlib can read the graph.
    try {
      (await loadFiles(dir, manifest)).vectors.close();
    } catch (error) {
      if (error instanceof MissingFile) problems.push({ file: error.file, problem: 'is missing' });
      else if (error instanceof SalonLensError) {
        problems.push({
          file: String(error.details.file ?? dir),
          problem: String(error.details.problem ?? error.message),
        });
      } else {
        problems.push(systemProblem(dir, error));
        unreadable = true;
      }
    }
  }
  return { problems, unreadable };
}

/** A file verify could not read at all (permissions, I/O): reported, never thrown. */
function systemProblem(file: string, error: unknown): FileProblem {
  const e = error as NodeJS.ErrnoException;
  const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.message;
  return { file: e.path ?? file, problem: `cannot be read: ${why}${e.code ? ` (${e.code})` : ''}` };
}

function accessAdvice(dir: string): string {
  return (
    `Some store files could not be read, so nothing could be checked (nothing was changed). ` +
    `Give your user read access to ${dir} and its files (chmod/chown), then verify again.`
  );
}

/** The report when the manifest itself cannot be used: missing, unreadable, or too new. */
async function manifestProblem(dir: string, error: SalonLensError): Promise<VerifyReport> {
  const file = String(error.details.file ?? path.join(dir, MANIFEST_FILE));
  if (error.details.reason === 'newer-format') {
    return {
      dir,
      ok: false,
      problems: [{ file, problem: String(error.details.problem) }],
      advice:
        'The store is intact but was written by a newer salon-lens; upgrade salon-lens to use it ' +
        '(do not rebuild it: that would throw away the newer data).',
    };
  }
  if (error.code === 'STORE_NOT_FOUND') {
    const names = await readdir(dir).catch(() => [] as string[]);
    const orphans = names.filter((n) => generationOf(n) !== undefined).sort();
    if (orphans.length === 0) {
      return {
        dir,
        ok: false,
        problems: [{ file, problem: 'is missing: there is no lens store in this folder' }],
        advice: `Create one with: ${shellCommand(['salon-lens', 'index', '<folders>', '--store', dir])}`,
      };
    }
    const shown = orphans.slice(0, 3).join(', ') + (orphans.length > 3 ? ', …' : '');
    return {
      dir,
      ok: false,
      problems: [{ file, problem: `is missing, but the folder holds store data files (${shown})` }],
      advice: rebuildAdvice(dir, undefined, await recordedSources(dir)),
    };
  }
  return {
    dir,
    ok: false,
    problems: [{ file, problem: String(error.details.problem ?? error.message) }],
    advice: rebuildAdvice(dir, undefined, await recordedSources(dir)),
  };
}

/**
 * What to do about a damaged store. When the manifest is readable it names the
 * salon documents' folders, without one the `sources` the salon files record, so
 * the advice is a command the user can run as is.
 */
function rebuildAdvice(dir: string, manifest?: Manifest, sources: readonly string[] = []): string {
  const folders = sourceFoldersOf(manifest);
  const from =
    sources.length > 0
      ? rebuildPaths(sources)
      : folders.length > 0 && folders.length <= 3
        ? folders
        : ['<folders with your salon documents>'];
  return (
    'The store is damaged and cannot be used as is (nothing was changed); your salon documents ' +
    `are the source of truth. Rebuild it from them: ${rebuildCommand(from, dir)}`
  );
}
