// Contract: the audit log is append-only (the schema refuses changes), hash-chained (verify finds
// the first entry changed or removed behind the schema's back) and linear under concurrency.
import { describe, expect, it } from 'vitest';
import type { Driver } from '../driver.js';
import { driverOf } from '../store.js';
import type { AuditEntryInput, Store } from '../types.js';
import { uniq, type Ctx } from './harness.js';

function entry(project: string, name: string, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    requestId: uniq('req'),
    principal: 'alice',
    principalKind: 'user',
    verb: 'create',
    kind: 'Job',
    project,
    name,
    method: 'POST',
    path: `/api/v1/projects/${project}/jobs`,
    status: 201,
    source: '127.0.0.1',
    ...extra,
  };
}

function driver(store: Store): Driver {
  const d = driverOf(store);
  if (!d) throw new Error('the store exposes no driver');
  return d;
}

/** Runs SQL with the append-only trigger switched off: what a database superuser could do. */
async function behindTheBack(store: Store, statement: string, params: unknown[]): Promise<void> {
  await driver(store).writeTx(async (sql) => {
    await sql.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await sql.query(statement, params);
    await sql.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    return { value: undefined };
  });
}

export function auditTests(get: () => Ctx): void {
  describe('audit log', () => {
    // Runs first within the suite's store: the chain is intact until the tamper tests at the end.
    it('appends in order, links each entry to the one before, and filters', async () => {
      const { store } = get();
      const p = uniq('p');
      const written = await store.audit.append([entry(p, 'a'), entry(p, 'b', { principal: 'bob', verb: 'delete', method: 'DELETE', status: 403 })]);
      expect(written).toHaveLength(2);
      expect(BigInt(written[1]!.id)).toBeGreaterThan(BigInt(written[0]!.id));
      expect(written[1]!.prevHash).toBe(written[0]!.hash);
      const mine = await store.audit.list({ project: p });
      expect(mine).toEqual(written);
      expect((await store.audit.list({ project: p, user: 'bob' })).map((e) => e.name)).toEqual(['b']);
      expect(await store.audit.list({ projects: [p, uniq('none')], after: written[0]!.id })).toEqual([written[1]]);
      expect(await store.audit.list({ project: p, limit: 1 })).toEqual([written[0]]);
      expect(await store.audit.list({ project: p, since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      expect((await store.audit.verify()).ok).toBe(true);
    });

    it('refuses malformed entries', async () => {
      const { store } = get();
      await expect(store.audit.append([entry('p', 'x', { status: 42 })])).rejects.toThrow(/status/);
      await expect(store.audit.append([entry('p', 'x', { principalKind: 'robot' as never })])).rejects.toThrow(/principalKind/);
      await expect(store.audit.list({ limit: 0 })).rejects.toThrow(/limit/);
    });

    it('refuses UPDATE, DELETE and TRUNCATE at the schema level', async () => {
      const { store } = get();
      const [e] = await store.audit.append([entry(uniq('p'), 'x')]);
      const d = driver(store);
      for (const stmt of ['UPDATE audit_log SET status = 200 WHERE id = $1::bigint', 'DELETE FROM audit_log WHERE id = $1::bigint']) {
        await expect(d.writeTx(async (sql) => ({ value: await sql.query(stmt, [e!.id]) }))).rejects.toThrow(/append-only/);
      }
      await expect(d.writeTx(async (sql) => ({ value: await sql.exec('TRUNCATE audit_log') }))).rejects.toThrow(/append-only/);
      expect((await store.audit.verify()).ok).toBe(true);
    });

    it('commits a transaction’s entry with its write, and neither when it fails, also in a shared batch', async () => {
      const { store } = get();
      const p = uniq('p');
      const site = (name: string) => ({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name }, spec: {} });
      const taken = uniq('site');
      await store.create(site(taken));
      // Concurrent transactions share one commit; the failing one must take only itself down.
      const results = await Promise.allSettled([
        store.transaction((tx) => tx.create(site(uniq('site'))), { audit: () => entry(p, 'ok-1') }),
        store.transaction((tx) => tx.create(site(taken)), { audit: () => entry(p, 'duplicate') }),
        store.transaction(async (tx) => {
          await tx.create(site(uniq('site')));
          throw new Error('fails after writing');
        }, { audit: () => entry(p, 'wrote-then-failed') }),
        store.transaction((tx) => tx.create(site(uniq('site'))), { audit: () => entry(p, 'ok-2') }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect((await store.audit.list({ project: p })).map((e) => e.name).sort()).toEqual(['ok-1', 'ok-2']);
      expect((await store.audit.verify()).ok).toBe(true);
    });

    it('reports the head, and with anchors finds the newest entries removed, which the chain alone cannot', async () => {
      const { store } = get();
      const p = uniq('p');
      const before = await store.audit.head();
      const written = await store.audit.append([entry(p, 'h1'), entry(p, 'h2'), entry(p, 'h3')]);
      const head = (await store.audit.head())!;
      expect(head).toMatchObject({ id: written[2]!.id, hash: written[2]!.hash, count: (before?.count ?? 0) + 3 });
      expect(await store.audit.head(written[0]!.id)).toEqual({ id: written[2]!.id, hash: written[2]!.hash, count: 2 });
      expect(await store.audit.head(written[2]!.id)).toBeUndefined();
      const anchor = { id: head.id, hash: head.hash, count: head.count, time: '2026-01-01T00:00:00.000Z' };
      const middle = { id: written[0]!.id, hash: written[0]!.hash, count: head.count - 2 };
      expect(await store.audit.verify([middle, anchor])).toMatchObject({ ok: true, checkpoints: { matched: 2, problems: [] } });
      // A wrong position or hash is a disagreement too.
      const shifted = await store.audit.verify([{ ...middle, count: middle.count + 1 }]);
      expect(shifted.ok).toBe(false);
      expect(shifted.reason).toMatch(/recorded it as number/);

      await behindTheBack(store, 'DELETE FROM audit_log WHERE id >= $1::bigint', [written[1]!.id]);
      expect(await store.audit.verify()).toMatchObject({ ok: true }); // the shorter chain is still a valid chain
      const truncated = await store.audit.verify([middle, anchor]);
      expect(truncated).toMatchObject({ ok: false, checkpoints: { matched: 1 } });
      expect(truncated.reason).toMatch(new RegExp(`the chain ends at entry ${written[0]!.id} \\(${head.count - 2} entries\\), but the checkpoint of 2026-01-01T00:00:00.000Z recorded ${head.count} entries up to entry ${head.id}: at least 2 of the newest entries were removed`));
    });

    it('keeps one chain under concurrent appends, also from two stores on one database', async () => {
      const { store, harness } = get();
      const p = uniq('p');
      const other = harness.multiOpen ? await harness.open() : undefined;
      try {
        const writers = other ? [store, other] : [store];
        await Promise.all(Array.from({ length: 60 }, (_, i) => writers[i % writers.length]!.audit.append([entry(p, `n${i}`)])));
        const v = await store.audit.verify();
        expect(v).toMatchObject({ ok: true });
        expect((await store.audit.list({ project: p, limit: 1000 })).length).toBe(60);
      } finally {
        await other?.close();
      }
    });

    it('verify names the first modified entry, then the first entry after a removed one', async () => {
      const { store } = get();
      const p = uniq('p');
      const es = await store.audit.append([1, 2, 3, 4, 5].map((i) => entry(p, `t${i}`)));
      const before = await store.audit.verify();
      expect(before.ok).toBe(true);
      // A success rewritten as a failure.
      await behindTheBack(store, 'UPDATE audit_log SET status = 500 WHERE id = $1::bigint', [es[1]!.id]);
      const changed = await store.audit.verify();
      expect(changed).toMatchObject({ ok: false, firstBadId: es[1]!.id });
      expect(changed.reason).toMatch(/modified/);
      expect(changed.checked).toBeLessThan(before.checked);
      // Put it back (same fields → same hash), then remove one in the middle.
      await behindTheBack(store, 'UPDATE audit_log SET status = $2 WHERE id = $1::bigint', [es[1]!.id, es[1]!.status]);
      expect((await store.audit.verify()).ok).toBe(true);
      await behindTheBack(store, 'DELETE FROM audit_log WHERE id = $1::bigint', [es[2]!.id]);
      const removed = await store.audit.verify();
      expect(removed).toMatchObject({ ok: false, firstBadId: es[3]!.id });
      expect(removed.reason).toMatch(/removed/);
    });
  });
}
