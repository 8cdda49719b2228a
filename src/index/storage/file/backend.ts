/** The folder store's entry in the backend registry (../registry.ts). */
import { SalonLensError } from '../../../errors.js';
import type { StoreAddress } from '../address.js';
import type { StoreBackend } from '../registry.js';
import { createFileStore, openFileStore } from './file-open.js';
import { verifyStore } from './file-verify.js';
import { readManifest } from './manifest.js';

export const fileBackend: StoreBackend<Extract<StoreAddress, { kind: 'folder' }>> = {
  create: (address, options) => createFileStore(address.dir, options),
  open: (address, options) => openFileStore(address.dir, options),
  verify: (address) => verifyStore(address.dir),
  // A damaged manifest still means a store is there (and must not be overwritten).
  probe: (address) =>
    readManifest(address.dir).then(
      () => true,
      (error) => !(error instanceof SalonLensError && error.code === 'STORE_NOT_FOUND'),
    ),
  embedderId: async (address) => (await readManifest(address.dir)).embedder.id,
};
