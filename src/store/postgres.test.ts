// The store contract on a real PostgreSQL server. Each harness gets a database of its own,
// created through WEFT_TEST_DATABASE_URL's connection and dropped afterwards.
import { runStoreContract, type StoreHarness } from './contract/index.js';
import { openStore } from './index.js';
import { createTestDatabase, TEST_DATABASE_URL } from './testing/pg-database.js';

async function freshDatabase(): Promise<StoreHarness> {
  const db = await createTestDatabase('weft_contract');
  return {
    multiOpen: true,
    open: (opts) => openStore({ url: db.url, poolSize: 4, ...opts }),
    destroy: db.drop,
  };
}

if (!TEST_DATABASE_URL) console.warn('PostgreSQL suite skipped: set WEFT_TEST_DATABASE_URL');
runStoreContract('postgres', TEST_DATABASE_URL ? freshDatabase : undefined, 'PostgreSQL suite skipped: set WEFT_TEST_DATABASE_URL');
