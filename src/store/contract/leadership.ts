// Contract: one leader per name among every store on the database; giving up or losing it hands
// it to the next one waiting.
import { describe, expect, it } from 'vitest';
import { uniq, type Ctx } from './harness.js';

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

export function leadershipTests(get: () => Ctx): void {
  describe('leadership', () => {
    it('grants one leader per name; the next waiting takes over on release', async () => {
      const { store } = get();
      const name = uniq('loop');
      const first = await store.acquireLeadership(name, new AbortController().signal);
      expect(first.signal.aborted).toBe(false);
      const other = await store.acquireLeadership(uniq('other'), new AbortController().signal);
      const ac = new AbortController();
      const second = store.acquireLeadership(name, ac.signal);
      expect(await within(second, 300)).toBe('timeout');
      await first.release();
      expect(first.signal.aborted).toBe(true);
      const got = await within(second, 5000);
      expect(got).not.toBe('timeout');
      await (got as Awaited<typeof second>).release();
      await other.release();
    });

    it('a waiter that gives up stops waiting', async () => {
      const { store } = get();
      const name = uniq('loop');
      const first = await store.acquireLeadership(name, new AbortController().signal);
      const ac = new AbortController();
      const waiting = store.acquireLeadership(name, ac.signal);
      ac.abort();
      await expect(waiting).rejects.toThrow();
      await first.release();
      const again = await within(store.acquireLeadership(name, new AbortController().signal), 5000);
      expect(again).not.toBe('timeout');
      if (again !== 'timeout') await again.release();
    });

    it('two stores on one database never lead at once; a closed leader hands over', async (t) => {
      const { harness } = get();
      if (!harness.multiOpen) t.skip(); // the embedded engine is one process by design
      const a = await harness.open();
      const b = await harness.open();
      try {
        const name = uniq('loop');
        const la = await a.acquireLeadership(name, new AbortController().signal);
        const lb = b.acquireLeadership(name, new AbortController().signal);
        expect(await within(lb, 1500)).toBe('timeout');
        // Closing the leader's store ends its session: the lock goes with it.
        await a.close();
        expect(la.signal.aborted).toBe(true);
        const got = await within(lb, 5000);
        expect(got).not.toBe('timeout');
        if (got !== 'timeout') await got.release();
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
