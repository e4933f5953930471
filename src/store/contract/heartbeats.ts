// Contract: node heartbeats are renewed in place. A fleet that only says it is alive changes no
// resource, bumps no resourceVersion and appends nothing to the change log (so no watcher wakes).
import { describe, expect, it } from 'vitest';
import { node, uniq, type Ctx } from './harness.js';

export function heartbeatTests(get: () => Ctx): void {
  describe('node heartbeats', () => {
    it('renews a still fleet many times without a resource write or a change-log entry', async () => {
      const { store } = get();
      const names = Array.from({ length: 20 }, () => uniq('beat'));
      for (const n of names) await store.create(node(n));
      const before = await store.getMany(names.map((name) => ({ kind: 'Node', name })));
      const rv = await store.currentResourceVersion();
      const seen: string[] = [];
      const ac = new AbortController();
      const watching = (async () => {
        for await (const ev of store.watch({ kind: 'Node', resourceVersion: rv, signal: ac.signal })) seen.push(ev.object.metadata.name);
      })().catch(() => undefined);
      const t0 = Date.parse('2030-01-01T00:00:00Z');
      for (let k = 1; k <= 10; k++) expect(await store.heartbeats.renew(names, new Date(t0 + k * 10_000))).toHaveLength(names.length);
      // A real change afterwards: the watch must report it, and only it.
      const marker = uniq('marker');
      await store.create(node(marker));
      await expect.poll(() => seen.includes(marker)).toBe(true);
      ac.abort();
      await watching;
      expect(seen).toEqual([marker]);
      expect(BigInt(await store.currentResourceVersion())).toBe(BigInt(rv) + 1n);
      const after = await store.getMany(names.map((name) => ({ kind: 'Node', name })));
      expect(after.map((n) => n?.metadata.resourceVersion)).toEqual(before.map((n) => n?.metadata.resourceVersion));
      const beats = await store.heartbeats.list();
      for (const n of names) expect(beats.get(n)).toBe(new Date(t0 + 100_000).toISOString());
    });

    it('never moves a heartbeat back, renews only Nodes that exist, and forgets a deleted Node', async () => {
      const { store } = get();
      const a = uniq('beat');
      await store.create(node(a));
      const late = new Date('2030-02-01T00:00:10.123Z');
      expect(await store.heartbeats.renew([a, uniq('ghost')], late)).toEqual([a]);
      expect(await store.heartbeats.renew([a], new Date('2030-02-01T00:00:00Z'))).toEqual([a]);
      expect(await store.heartbeats.get(a)).toBe(late.toISOString());
      await store.delete({ kind: 'Node', name: a });
      expect(await store.heartbeats.get(a)).toBeUndefined();
      expect(await store.heartbeats.renew([a], new Date('2030-02-01T00:01:00Z'))).toEqual([]);
      expect((await store.heartbeats.list()).has(a)).toBe(false);
    });
  });
}
