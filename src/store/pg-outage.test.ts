// The database going away under a running store (issue 22, item 8): PostgreSQL restarting ends
// every session, including the one a write transaction has checked out. The process must live
// on: work in flight fails with a 503 (never twice-applied), later work succeeds once the
// database answers again, leadership is lost and can be taken again, and watches carry on
// without a gap. The restart is played by terminating every session of this test's own database
// (what PostgreSQL does to its sessions on shutdown, "terminating connection due to administrator
// command"); the chaos suite restarts a private server for real (test/chaos/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../model/errors.js';
import type { ResourceInput } from '../model/metadata.js';
import { unavailableError } from './driver.js';
import { openStore } from './index.js';
import { driverOf } from './store.js';
import { asAdmin, createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './testing/pg-database.js';
import type { WatchEvent } from './types.js';

let db: TestDatabase;
const terminateAll = (): Promise<unknown> =>
  asAdmin((c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(db.url).pathname.slice(1)]));

const job = (name: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name, project: 'p' }, spec: { resources: { cpu: '1' } } });

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL sessions ending under the store', () => {
  let url: string;
  beforeAll(async () => {
    db = await createTestDatabase('weft_outage');
    url = db.url;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('a write in flight fails with 503, the process lives on, and everything works again', async () => {
    const logs: string[] = [];
    const store = await openStore({ url, poolSize: 3, pollMs: 100, logger: (m) => logs.push(m) });
    try {
      const lead = await store.acquireLeadership('outage', new AbortController().signal);
      const watched: WatchEvent[] = [];
      const stopWatch = new AbortController();
      const watching = (async () => {
        for await (const ev of store.watch({ kind: 'Job', resourceVersion: '0', signal: stopWatch.signal })) watched.push(ev);
      })().catch((e: unknown) => e);
      await store.create(job('before'));

      // A write transaction holding the write connection when its session is terminated.
      const inFlight = driverOf(store)!
        .writeTx(async (sql) => {
          await sql.query('SELECT pg_sleep(5)');
          return { value: 'committed' };
        })
        .then(
          () => undefined,
          (e: unknown) => unavailableError(e),
        );
      // And a burst of creates queued behind it.
      const burst = Array.from({ length: 20 }, (_, i) => store.create(job(`burst-${i}`)));
      await new Promise((r) => setTimeout(r, 300));
      await terminateAll();

      expect(await inFlight).toBeInstanceOf(StoreUnavailableError);
      const outcomes = await Promise.allSettled(burst);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason, String(o.reason)).toBeInstanceOf(StoreUnavailableError);

      // The leader's session ended with the rest: it knows it no longer leads.
      await new Promise<void>((r) => (lead.signal.aborted ? r() : lead.signal.addEventListener('abort', () => r(), { once: true })));

      // The pools reconnect: writes and reads succeed again; leadership can be taken again.
      const after = await store.create(job('after'));
      expect(after.metadata.name).toBe('after');
      const again = await store.acquireLeadership('outage', new AbortController().signal);
      expect(again.signal.aborted).toBe(false);
      await again.release();

      // Every acknowledged create is stored, and the watch saw each of them exactly once.
      const acked = ['before', ...outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [`burst-${i}`] : [])), 'after'];
      const stored = (await store.list('Job')).items.map((j) => j.metadata.name);
      expect(stored.sort()).toEqual([...acked].sort());
      const deadline = Date.now() + 10_000;
      while (!watched.some((e) => e.object.metadata.name === 'after') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(watched.map((e) => e.object.metadata.name).sort()).toEqual([...acked].sort());
      stopWatch.abort();
      expect(await watching).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
