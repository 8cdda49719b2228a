/**
 * The CLI's embedding cache, on by default: every vector is kept as it is made, so a
 * run stopped with Ctrl-C (or killed) embeds only what was missing when run again.
 * `$SALON_LENS_EMBED_CACHE` names another folder, or `off` turns it off; the default
 * is `$XDG_CACHE_HOME/salon-lens/embeddings` (~/.cache/…). A cache that cannot be
 * opened or written is skipped with one warning: it only saves time.
 *
 *   const cached = await cliEmbeddingCache();
 *   SalonLens.openOrCreate(store, { embeddingCache: cached.cache });
 *   cached.fromCache(); // vectors served from the cache so far
 */
import os from 'node:os';
import path from 'node:path';
import { type EmbeddingCache, openEmbeddingCache } from '../embed/index.js';
import { info } from './io.js';
import { terminalSafe } from './terminal-text.js';

export const EMBED_CACHE_ENV = 'SALON_LENS_EMBED_CACHE';

export interface CliEmbeddingCache {
  cache?: EmbeddingCache;
  /** Vectors the cache answered so far. */
  fromCache(): number;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env[EMBED_CACHE_ENV];
  if (chosen !== undefined && ['off', '0', 'false', 'no'].includes(chosen.toLowerCase()))
    return undefined;
  if (chosen) return chosen;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'salon-lens', 'embeddings');
}

export async function cliEmbeddingCache(): Promise<CliEmbeddingCache> {
  let hits = 0;
  const dir = defaultCacheDir();
  if (!dir) return { fromCache: () => hits };
  let inner: EmbeddingCache;
  try {
    inner = await openEmbeddingCache(dir);
  } catch (error) {
    info(`embedding cache off: ${terminalSafe((error as Error).message)}`);
    return { fromCache: () => hits };
  }
  let failed = false;
  const cache: EmbeddingCache = {
    async getMany(embedderId, dim, keys) {
      const found = await inner.getMany(embedderId, dim, keys);
      hits += found.filter((v) => v !== undefined).length;
      return found;
    },
    async putMany(embedderId, dim, entries) {
      if (failed) return;
      try {
        await inner.putMany(embedderId, dim, entries);
      } catch (error) {
        failed = true;
        info(
          `embedding cache ${terminalSafe(dir)} not written (${terminalSafe((error as Error).message)}); going on without it`,
        );
      }
    },
  };
  return { cache, fromCache: () => hits };
}
