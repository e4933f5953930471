// Leadership on a real PostgreSQL server when the leader's session dies under it (the server
// restarted, the network dropped, an operator killed the backend): the leader learns it lost,
// and another process takes over.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './index.js';

const adminUrl = process.env.WEFT_TEST_DATABASE_URL;
const db = `weft_leader_${process.pid}_${randomBytes(4).toString('hex')}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe.skipIf(!adminUrl)('leadership on PostgreSQL', () => {
  let url: string;
  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${db}`));
    const u = new URL(adminUrl!);
    u.pathname = `/${db}`;
    url = u.toString();
  });
  afterAll(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
  });

  it('a leader whose session is killed loses leadership, and the waiting replica takes it', async () => {
    const a = await openStore({ url, poolSize: 2 });
    const b = await openStore({ url, poolSize: 2 });
    try {
      const la = await a.acquireLeadership('loop', new AbortController().signal);
      const lb = b.acquireLeadership('loop', new AbortController().signal);
      await admin((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'weft-leader' AND state = 'idle' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`, [db]));
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
