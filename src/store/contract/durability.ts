// Contract: the change log outlives the process (resume after reopening), several processes on
// one database see each other's changes, and a slow watcher loses nothing.
import { describe, expect, it } from 'vitest';
import type { Store, WatchEvent } from '../types.js';
import { collect, job, uniq, untilName, type Ctx } from './harness.js';

const names = (evs: WatchEvent[]): string[] => evs.map((e) => e.object.metadata.name);

export function durabilityTests(get: () => Ctx): void {
  describe('durability and several processes', () => {
    it('resumes a watch after the store is closed and reopened; versions keep rising', async () => {
      const harness = await get().factory();
      try {
        let store: Store = await harness.open();
        const p = uniq('p');
        await store.create(job(p, 'a'));
        const b = await store.create(job(p, 'b'));
        await store.create(job(p, 'c'));
        await store.delete({ kind: 'Job', project: p, name: 'a' });
        await store.close();

        store = await harness.open({ watchBuffer: 4 });
        try {
          const resumed = await collect(store, { kind: 'Job', project: p, resourceVersion: b.metadata.resourceVersion }, (e) => e.length >= 2);
          expect(resumed.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED c', 'DELETED a']);
          const d = await store.create(job(p, 'd'));
          expect(BigInt(d.metadata.resourceVersion)).toBeGreaterThan(BigInt(resumed[1].object.metadata.resourceVersion));
          expect((await store.list('Job', { project: p })).items.map((o) => o.metadata.name)).toEqual(['b', 'c', 'd']);

          // A consumer that stops reading overflows its 4-event buffer; it must still get all 40, once, in order.
          const ac = new AbortController();
          const iter = store.watch({ kind: 'Job', project: p, resourceVersion: d.metadata.resourceVersion, signal: ac.signal })[Symbol.asyncIterator]();
          const firstEvent = iter.next();
          for (let i = 0; i < 40; i++) await store.create(job(p, `s${String(i).padStart(2, '0')}`));
          const got: string[] = [((await firstEvent).value as WatchEvent).object.metadata.name];
          while (got.length < 40) got.push(((await iter.next()).value as WatchEvent).object.metadata.name);
          ac.abort();
          expect(got).toEqual(Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`));
        } finally {
          await store.close();
        }
      } finally {
        await harness.destroy();
      }
    });

    it('two stores on one database see each other\'s writes, in one order', async (t) => {
      const { harness, store: a } = get();
      if (!harness.multiOpen) t.skip(); // the embedded engine is one process by design
      const b = await harness.open();
      try {
        const p = uniq('p');
        const from = await a.currentResourceVersion();
        const onA = collect(a, { kind: 'Job', project: p, resourceVersion: from }, untilName('end'));
        const onB = collect(b, { kind: 'Job', project: p, resourceVersion: from }, untilName('end'));
        const write = async (s: Store, tag: string): Promise<string[]> => {
          const rvs: string[] = [];
          for (let i = 0; i < 25; i++) rvs.push((await s.create(job(p, `${tag}${i}`))).metadata.resourceVersion);
          return rvs;
        };
        const [ra, rb] = await Promise.all([write(a, 'a'), write(b, 'b')]);
        await a.create(job(p, 'end'));
        const [ea, eb] = await Promise.all([onA, onB]);
        expect(names(ea)).toEqual(names(eb));
        const rvs = ea.slice(0, -1).map((e) => e.object.metadata.resourceVersion);
        expect([...rvs].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1))).toEqual(rvs);
        expect(new Set(rvs)).toEqual(new Set([...ra, ...rb]));
        // Changes made through one store are visible to reads through the other.
        expect((await b.list('Job', { project: p })).items).toHaveLength(51);
      } finally {
        await b.close();
      }
    });
  });
}
