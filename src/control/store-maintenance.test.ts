// Store maintenance on the embedded engine: a pass leaves only the newest change-log entries (an
// older watch gets 410, a watch from "0" replays what is left), vacuums, and keeps every
// resource; the controller runs passes until its term ends.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoneError } from '../model/errors.js';
import { openStore } from '../store/index.js';
import type { Store, WatchEvent } from '../store/types.js';
import { StoreMaintenanceController } from './store-maintenance.js';

let store: Store;

beforeEach(async () => {
  store = await openStore();
});
afterEach(async () => {
  await store.close();
});

async function churn(updates: number): Promise<void> {
  let p = await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'alpha' }, spec: {} });
  for (let i = 0; i < updates; i++) p = await store.update({ ...p, metadata: { ...p.metadata, labels: { step: String(i) } } });
}

/** Every retained change after `from`, read without following live ones. */
async function replay(from: string): Promise<WatchEvent[]> {
  const upTo = BigInt(await store.currentResourceVersion());
  const out: WatchEvent[] = [];
  const signal = new AbortController();
  for await (const ev of store.watch({ resourceVersion: from, signal: signal.signal })) {
    out.push(ev);
    if (BigInt(ev.object.metadata.resourceVersion) >= upTo) signal.abort();
  }
  return out;
}

describe('StoreMaintenanceController', () => {
  it('compacts the change log to the newest entries and keeps every resource', async () => {
    await churn(30);
    const head = await store.currentResourceVersion();
    expect((await replay('0')).length).toBe(31);

    await new StoreMaintenanceController({ store, keepChanges: 5 }).runOnce();

    const left = await replay('0');
    expect(left.map((e) => e.object.metadata.resourceVersion)).toEqual(Array.from({ length: 5 }, (_, i) => String(BigInt(head) - 4n + BigInt(i))));
    const stale = store.watch({ resourceVersion: '1', signal: AbortSignal.timeout(5000) })[Symbol.asyncIterator]();
    await expect(stale.next()).rejects.toBeInstanceOf(GoneError);
    const p = await store.get({ kind: 'Project', name: 'alpha' });
    expect(p?.metadata.labels).toEqual({ step: '29' });
    expect(await store.currentResourceVersion()).toBe(head);
    // The store goes on as before: new writes get the next versions and reach watches.
    await store.update({ ...p!, metadata: { ...p!.metadata, labels: { step: 'after' } } });
    expect((await replay(head)).map((e) => e.object.metadata.labels)).toEqual([{ step: 'after' }]);
  });

  it('runs passes while leading and stops when the term ends', async () => {
    await churn(10);
    const term = new AbortController();
    const ctl = new StoreMaintenanceController({ store, keepChanges: 2, intervalMs: 20, firstPassAfterMs: 0 });
    const running = ctl.start(term.signal);
    const deadline = Date.now() + 5000;
    while ((await replay('0')).length > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((await replay('0')).length).toBe(2);
    term.abort();
    await expect(running).resolves.toBeUndefined();
  });

  it('vacuum is callable on the embedded engine at any time', async () => {
    await churn(3);
    await expect(store.vacuum()).resolves.toBeUndefined();
    expect((await store.get({ kind: 'Project', name: 'alpha' }))?.metadata.labels).toEqual({ step: '2' });
  });
});
