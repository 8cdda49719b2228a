/**
 * The backend registry: a store address's kind → how to create, open, verify and
 * probe a store of that kind. The lens dispatches through it and nowhere else, so a
 * third store is one folder under storage/, one line here (and a `kind` in
 * address.ts's parser), and one line in test/store-contract.test.ts.
 *
 *   const backend = await backendFor(parseStoreAddress('postgres://u@db/app'));
 *   const storage = await backend.open(address, { embedder });
 */
import type { CreateLensOptions, OpenLensOptions } from '../options.js';
import type { StoreAddress } from './address.js';
import { fileBackend } from './file/backend.js';
import type { LensStorage, VerifyReport } from './seam.js';

/** What a store kind provides, for addresses of that kind. */
export interface StoreBackend<A extends StoreAddress = StoreAddress> {
  /** An empty store (STORE_EXISTS unless `force`; never touches what is not the store's). */
  create(address: A, options: Omit<CreateLensOptions, 'schema'>): Promise<LensStorage>;
  /** An existing store (STORE_NOT_FOUND, EMBEDDER_MISMATCH). */
  open(address: A, options: Omit<OpenLensOptions, 'schema'>): Promise<LensStorage>;
  /** Check a store without an embedder; never throws for a damaged store. */
  verify(address: A): Promise<VerifyReport>;
  /** Whether a store (intact or damaged) is at the address. */
  probe(address: A): Promise<boolean>;
  /** The id of the embedder the store was built with. */
  embedderId(address: A): Promise<string>;
}

type Registry = {
  [K in StoreAddress['kind']]: () => Promise<StoreBackend<Extract<StoreAddress, { kind: K }>>>;
};

const BACKENDS: Registry = {
  folder: async () => fileBackend,
  // Loaded on first use: the `pg` client costs a quarter of the CLI's start-up.
  postgres: async () => (await import('./postgres/backend.js')).postgresBackend,
};

/** The backend of an address's kind. */
export async function backendFor<A extends StoreAddress>(address: A): Promise<StoreBackend<A>> {
  const load = BACKENDS[address.kind] as unknown as () => Promise<StoreBackend<A>>;
  return load();
}
