/**
 * Creating, opening, verifying and probing a lens store at a location (a folder or
 * a postgres:// URL), through the backend registry (storage/registry.ts).
 *
 *   const lens = await openLens('.lens', { embedder, readOnly: true });
 */
import { Lens } from './lens.js';
import type { CreateLensOptions, OpenLensOptions } from './options.js';
import { parseStoreAddress } from './storage/address.js';
import { backendFor } from './storage/registry.js';
import type { VerifyReport } from './storage/seam.js';

/**
 * Create an empty store at `location`: a folder (created if missing) or a
 * `postgres://` URL (its schema created if missing). An existing store is an
 * error (STORE_EXISTS) unless `force`, which replaces it; files or tables that are
 * not the store's are never touched.
 */
export async function createLens(location: string, options: CreateLensOptions): Promise<Lens> {
  const { schema, ...rest } = options;
  const { backend, address } = await located(location, { schema });
  const storage = await backend.create(address, rest);
  return Lens._make(storage, options.embedder);
}

/**
 * Open an existing store (folder or `postgres://` URL). Folder writers take the
 * folder's lock (STORE_LOCKED if another process holds it); `readOnly` lenses do
 * not, and read one consistent generation even while a writer saves. Postgres
 * stores take no lock until a write, which waits for other writers' transactions.
 */
export async function openLens(location: string, options: OpenLensOptions): Promise<Lens> {
  const { schema, ...rest } = options;
  const { backend, address } = await located(location, { schema });
  const storage = await backend.open(address, rest);
  return Lens._make(storage, options.embedder);
}

/**
 * Check a store without an embedder: a folder's manifest and every file (sizes,
 * sha256, consistency), or a Postgres schema's version, row counts and index.
 */
export async function verifyLens(
  location: string,
  options: { schema?: string } = {},
): Promise<VerifyReport> {
  const { backend, address } = await located(location, options);
  return backend.verify(address);
}

/** Whether a store exists at `location` (folder or Postgres URL). */
export async function lensExists(
  location: string,
  options: { schema?: string } = {},
): Promise<boolean> {
  const { backend, address } = await located(location, options);
  return backend.probe(address);
}

/** The id of the embedder a store was built with. */
export async function storedEmbedderId(
  location: string,
  options: { schema?: string } = {},
): Promise<string> {
  const { backend, address } = await located(location, options);
  return backend.embedderId(address);
}

/** The parsed address of `location` and the backend of its kind. */
async function located(location: string, options: { schema?: string }) {
  const address = parseStoreAddress(location, options);
  return { address, backend: await backendFor(address) };
}
