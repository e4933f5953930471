// Events aggregate per (object, type, reason) and expire after their TTL (issue 22, item 9).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ManualClock } from './clock.js';
import { expireEvents } from './event-expiry.js';
import { recordEvent } from './events.js';
import { StoreMaintenanceController } from './store-maintenance.js';

let store: Store;
let job: Resource;
const clock = new ManualClock();

beforeEach(async () => {
  store = await openStore({ now: () => clock.now() });
  await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'p' }, spec: {} });
  job = await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'j', project: 'p' }, spec: { resources: { cpu: '1' } } });
});
afterEach(async () => {
  await store.close();
});

const record = (reason: string, message: string, type: 'Normal' | 'Warning' = 'Warning'): Promise<Resource> =>
  store.transaction((tx) => recordEvent(tx, job, { type, reason, message, source: 'test' }, clock.now()));

const events = async (): Promise<Record<string, unknown>[]> => (await store.list('Event', { project: 'p' })).items.map((e) => e.spec);

describe('events', () => {
  it('the same event again counts on one Event; FailedScheduling is one Event whatever its words', async () => {
    await record('Preempting', 'preempting x', 'Normal');
    await record('Preempting', 'preempting x', 'Normal');
    await record('Preempting', 'preempting y', 'Normal');
    const first = await store.transaction((tx) => recordEvent(tx, job, { type: 'Warning', reason: 'FailedScheduling', message: 'needs 1×GPU; 3 gangs ahead', source: 'test', aggregate: 'reason' }, clock.now()));
    clock.advance(5_000);
    await store.transaction((tx) => recordEvent(tx, job, { type: 'Warning', reason: 'FailedScheduling', message: 'needs 1×GPU; quota used up', source: 'test', aggregate: 'reason' }, clock.now()));
    const all = await events();
    expect(all.filter((e) => e['reason'] === 'Preempting').map((e) => [e['message'], e['count']]).sort()).toEqual([
      ['preempting x', 2],
      ['preempting y', 1],
    ]);
    const failed = all.filter((e) => e['reason'] === 'FailedScheduling');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ count: 2, message: 'needs 1×GPU; quota used up', firstTimestamp: (first.spec as { firstTimestamp: string }).firstTimestamp, lastTimestamp: clock.now().toISOString() });
  });

  it('expire once last seen longer ago than the TTL; a recurrence keeps one alive', async () => {
    await record('FailedScheduling', 'waiting');
    await record('Preempting', 'preempting x', 'Normal');
    clock.advance(50 * 60_000);
    await record('FailedScheduling', 'waiting');
    clock.advance(20 * 60_000); // Preempting last seen 70 min ago, FailedScheduling 20 min ago
    expect(await expireEvents(store, clock.now(), 60 * 60_000)).toBe(1);
    expect((await events()).map((e) => e['reason'])).toEqual(['FailedScheduling']);
    // A store-maintenance pass does it with its own TTL.
    clock.advance(11 * 60_000);
    await new StoreMaintenanceController({ store, clock, eventTtlMs: 30 * 60_000 }).runOnce();
    expect(await events()).toEqual([]);
  });
});
