// The store contract on the embedded engine, with data in a temporary directory (so that the
// reopen test exercises real persistence).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreContract, type StoreHarness } from './contract/index.js';
import { openStore } from './index.js';

runStoreContract('pglite', async (): Promise<StoreHarness> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-store-'));
  return {
    multiOpen: false,
    open: (opts) => openStore({ dataDir, ...opts }),
    destroy: () => rm(dataDir, { recursive: true, force: true }),
  };
});
