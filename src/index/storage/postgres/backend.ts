/** The Postgres store's entry in the backend registry (../registry.ts). */
import type { StoreAddress } from '../address.js';
import type { StoreBackend } from '../registry.js';
import { createPgStore, openPgStore, pgStoreExists, readPgEmbedder } from './pg-open.js';
import { verifyPgStore } from './pg-verify.js';

export const postgresBackend: StoreBackend<Extract<StoreAddress, { kind: 'postgres' }>> = {
  create: createPgStore,
  open: openPgStore,
  verify: verifyPgStore,
  probe: pgStoreExists,
  embedderId: readPgEmbedder,
};
