// The in-memory capacity calendar, on both store engines: admission answers from it when it holds
// what the write's transaction sees, and from the store otherwise — a server whose calendar is
// behind (another server booked meanwhile) never overbooks, a node cordoned since is not booked,
// and bookings that ended since the last use hold nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../model/errors.js';
import { ReservationKind } from '../../model/kinds/reservation.js';
import type { BookingStatus } from '../../model/kinds/reservation.js';
import { storeEngines, type Engine } from '../../store/testing/engines.js';
import type { Store } from '../../store/types.js';
import { createResource } from '../resources.js';
import { h100Node } from '../testing/live-plane.js';
import { CalendarCache } from './calendar-cache.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-08T00:00:00Z');
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
const reservation = (name: string, from: number, to: number, gpus: number) => ({ kind: 'Reservation', metadata: { name }, spec: { start: at(from), end: at(to), gpus, model: 'H100-80GB' } });
const bookedNodes = (r: { status?: Record<string, unknown> }) => (r.status?.booking as BookingStatus).nodes.map((n) => n.node).sort();

/** Waits until the cache holds what the store holds (it answers a transaction). */
async function caughtUp(store: Store, cache: CalendarCache): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await store.transaction(async (tx) => (await cache.forTransaction(tx, T0)) !== null)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the calendar cache never caught up');
}

for (const [engine, make] of storeEngines('weft_calendar_cache')) {
  describe.skipIf(!make)(`capacity calendar in memory (${engine}${make ? '' : ': set WEFT_TEST_DATABASE_URL'})`, () => {
    let e: Engine;
    let store: Store;
    let live: CalendarCache;
    beforeAll(async () => {
      e = await make!();
      store = await e.open();
      await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'vision' }, spec: {} });
      for (const n of ['n-a', 'n-b', 'n-c']) await store.create(h100Node(n));
      live = new CalendarCache(store);
      await live.start();
    });
    afterAll(async () => {
      await live?.stop();
      await store?.close();
      await e?.destroy();
    });
    const book = (body: ReturnType<typeof reservation>, cache: CalendarCache, hour = 0) => createResource(store, ReservationKind, body, { project: 'vision' }, { now: new Date(T0 + hour * HOUR), calendar: cache });

    it('answers from memory when current, and a server that is behind answers from the store', async () => {
      // A second server's calendar, frozen before anything is booked.
      const behind = new CalendarCache(store);
      await behind.start();
      await behind.stop();
      await caughtUp(store, live);
      const served = live.stats.served;
      const r1 = await book(reservation('all', 1, 3, 24), live);
      expect(bookedNodes(r1)).toEqual(['n-a', 'n-b', 'n-c']);
      expect(live.stats.served).toBe(served + 1);
      // The frozen calendar would take the same GPUs again; the stamp sends it to the store, which refuses.
      const refused = book(reservation('again', 2, 4, 8), behind);
      await expect(refused).rejects.toThrow(ConflictError);
      await expect(refused).rejects.toThrow(/it fits from .*03:00 to .*05:00/);
      expect(behind.stats.behind).toBeGreaterThan(0);
      // The live one refuses it as well, from memory, once it has seen the booking.
      await caughtUp(store, live);
      const before = live.stats.served;
      await expect(book(reservation('again', 2, 4, 8), live)).rejects.toThrow(/it fits from .*03:00 to .*05:00/);
      expect(live.stats.served).toBe(before + 1);
    });

    it('drops bookings that ended since it was last used', async () => {
      await caughtUp(store, live);
      // At 3h01 "all" has ended; a window that began at 2h (already running) fits again.
      const r = await book(reservation('late', 2, 5, 24), live, 3.02);
      expect(bookedNodes(r)).toEqual(['n-a', 'n-b', 'n-c']);
    });

    it('does not book a node cordoned after the calendar last saw it', async () => {
      await caughtUp(store, live);
      const frozen = new CalendarCache(store);
      await frozen.start();
      await frozen.stop();
      const node = (await store.get({ kind: 'Node', name: 'n-a' }))!;
      await store.update({ ...node, spec: { ...node.spec, unschedulable: true } });
      // The bookings are unchanged, so the frozen calendar answers, but the node it picks is read back and found cordoned.
      const r = await book(reservation('later', 10, 11, 16), frozen);
      expect(bookedNodes(r)).toEqual(['n-b', 'n-c']);
      await expect(book(reservation('more', 10, 11, 8), frozen)).rejects.toThrow(/booked out/);
    });
  });
}
