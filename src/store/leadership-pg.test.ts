// Leadership on a real PostgreSQL server when the leader's session dies under it (the server
// restarted, the network dropped, an operator killed the backend): the leader learns it lost,
// and another process takes over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './index.js';
import { asAdmin, createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './testing/pg-database.js';

describe.skipIf(!TEST_DATABASE_URL)('leadership on PostgreSQL', () => {
  let test: TestDatabase;
  let url: string;
  let db: string;
  beforeAll(async () => {
    test = await createTestDatabase('weft_leader');
    url = test.url;
    db = new URL(url).pathname.slice(1);
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('a leader whose session is killed loses leadership, and the waiting replica takes it', async () => {
    const a = await openStore({ url, poolSize: 2 });
    const b = await openStore({ url, poolSize: 2 });
    try {
      const la = await a.acquireLeadership('loop', new AbortController().signal);
      const lb = b.acquireLeadership('loop', new AbortController().signal);
      await asAdmin((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'weft-leader' AND state = 'idle' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`, [db]));
      await new Promise<void>((resolve) => (la.signal.aborted ? resolve() : la.signal.addEventListener('abort', () => resolve(), { once: true })));
      expect(la.signal.aborted).toBe(true);
      const got = await lb;
      expect(got.signal.aborted).toBe(false);
      await got.release();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
