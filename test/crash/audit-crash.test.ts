// Every acknowledged write has its audit entry, even when the server dies by SIGKILL in the middle
// of a burst: the entry commits in the write's own transaction. The real server takes a burst of
// concurrent creates, is killed with SIGKILL while many are in flight, and is started again on
// the same data (embedded store, then PostgreSQL when WEFT_TEST_DATABASE_URL is set).
import { describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../src/store/testing/pg-database.js';
import { crashSandboxes, type CrashServer } from './helpers.js';

const CREATES = 300;
const IN_FLIGHT = 30;
/** The kill comes once this many creates were acknowledged, so the rest are queued or in flight. */
const KILL_AFTER = 120;

const openSandbox = crashSandboxes();

interface Entry {
  requestId: string;
  verb: string;
  kind: string;
  name: string;
  status: number;
}

/** Fires the creates IN_FLIGHT at a time; returns the request id of each one acknowledged with 201. */
async function burst(server: CrashServer): Promise<Map<string, string>> {
  const acknowledged = new Map<string, string>();
  let next = 0;
  let killed: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (next < CREATES) {
      const name = `burst-${String(next++).padStart(3, '0')}`;
      try {
        const r = await server.call('POST', '/api/v1/sites', { kind: 'Site', metadata: { name }, spec: { country: 'DE' } });
        if (r.status === 201) acknowledged.set(name, r.requestId ?? '');
        else throw new Error(`POST site ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e; // fetch failed: the server is gone
        return;
      }
      if (acknowledged.size >= KILL_AFTER) killed ??= server.kill();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await killed;
  return acknowledged;
}

async function checkAfterRestart(server: CrashServer, acknowledged: Map<string, string>): Promise<void> {
  await server.start();
  const r = await server.call('GET', '/api/v1/audit?limit=10000');
  expect(r.status).toBe(200);
  const byRequest = new Map((r.body.items as Entry[]).map((e) => [e.requestId, e]));
  const missing = [...acknowledged].filter(([, id]) => !byRequest.has(id)).map(([name]) => name);
  expect(missing, `${missing.length} of ${acknowledged.size} acknowledged creates have no audit entry`).toEqual([]);
  for (const [name, id] of acknowledged) expect(byRequest.get(id)).toMatchObject({ verb: 'create', kind: 'Site', name, status: 201 });
  expect((await server.call('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
  await server.kill();
}

describe('audit under kill -9', () => {
  it('embedded store: every create acknowledged before the kill has its entry', { timeout: 120_000 }, async () => {
    const { server } = openSandbox();
    await server.start();
    const acknowledged = await burst(server);
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged.size).toBeLessThan(CREATES);
    await checkAfterRestart(server, acknowledged);
  });

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: every create acknowledged before the kill has its entry', { timeout: 120_000 }, async () => {
    let db: TestDatabase | undefined;
    try {
      db = await createTestDatabase('weft_audit_crash');
      const { server } = openSandbox({ databaseUrl: db.url });
      await server.start();
      const acknowledged = await burst(server);
      expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(acknowledged.size).toBeLessThan(CREATES);
      await checkAfterRestart(server, acknowledged);
    } finally {
      await db?.drop();
    }
  });
});
