// The two store engines a suite runs against: embedded PGlite always, a throw-away PostgreSQL
// database when WEFT_TEST_DATABASE_URL is set (undefined otherwise: that half is skipped).
import { openStore } from '../index.js';
import type { Store } from '../types.js';
import { createTestDatabase, TEST_DATABASE_URL } from './pg-database.js';

export interface Engine {
  open(): Promise<Store>;
  destroy(): Promise<void>;
}

/** `[name, make]` per engine; `prefix` names the PostgreSQL database made for the suite. */
export function storeEngines(prefix: string, poolSize = 2): [string, (() => Promise<Engine>) | undefined][] {
  return [
    ['pglite', async () => ({ open: () => openStore({}), destroy: async () => undefined })],
    [
      'postgres',
      TEST_DATABASE_URL
        ? async () => {
            const db = await createTestDatabase(prefix);
            return { open: () => openStore({ url: db.url, poolSize }), destroy: db.drop };
          }
        : undefined,
    ],
  ];
}
