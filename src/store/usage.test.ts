// Usage records on both engines: written by the database in the same transaction as the
// allocation's status change, append-only, exact to the millisecond, split at hour boundaries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceInput } from '../model/metadata.js';
import { driverOf } from './store.js';
import { storeEngines, type Engine } from './testing/engines.js';
import type { Store } from './types.js';

const engines = storeEngines('weft_usage');

const T0 = Date.parse('2026-11-02T10:30:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const MIN = 60_000;

function alloc(project: string, name: string, gpus: Record<string, unknown>[], workload = 'train'): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name, project },
    spec: {
      workload: { kind: 'Job', name: workload, uid: '00000000-0000-0000-0000-000000000000' },
      replica: 0,
      attempt: 0,
      node: 'n1',
      gpus,
      cpuMilli: 4000,
      memoryBytes: 8 * 2 ** 30,
      isolation: 'dedicated',
    },
    status: { phase: 'Bound' },
  };
}

async function setPhase(store: Store, project: string, name: string, status: Record<string, unknown>): Promise<void> {
  const cur = await store.get({ kind: 'Allocation', project, name });
  await store.update({ ...cur!, status: { ...(cur!.status ?? {}), ...status } });
}

for (const [engine, make] of engines) {
  describe.skipIf(!make)(`usage records (${engine})`, { timeout: 60_000 }, () => {
    let env: Engine;
    let store: Store;
    beforeAll(async () => {
      env = await make!();
      store = await env.open();
      await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { site: 'eu-fra-1' } });
      await store.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'spot' }, spec: { value: 10, preemptible: true } });
      await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'train', project: 'p1' }, spec: { queue: 'team-a', priorityClass: 'spot' } });
    });
    afterAll(async () => {
      await store?.close();
      await env?.destroy();
    });

    it('opens when the allocation runs and closes with the exact seconds when it ends', async () => {
      await store.create(alloc('p1', 'a1', [{ index: 0, model: 'H100-80GB', milli: 1000 }, { index: 1, model: 'H100-80GB', milli: 1000 }]));
      expect(await store.usage.records({ project: 'p1' })).toEqual([]); // Bound: nothing used yet
      await setPhase(store, 'p1', 'a1', { phase: 'Running', startedAt: iso(T0) });
      const open = await store.usage.records({ project: 'p1' });
      expect(open.map((r) => [r.event, r.resourceClass, r.quantity])).toEqual([
        ['open', 'gpu:H100-80GB', 2000],
        ['open', 'cpu', 4000],
        ['open', 'memory', 8 * 2 ** 30],
      ]);
      // A status update while running (a heartbeat) adds nothing.
      await setPhase(store, 'p1', 'a1', { message: 'still running' });
      expect(await store.usage.records({ project: 'p1' })).toHaveLength(3);
      // While running, the interval counts up to "now".
      const live = await store.usage.intervals({ from: new Date(T0 - MIN), to: new Date(T0 + 60 * MIN), now: new Date(T0 + 5 * MIN), project: 'p1' });
      expect(live.find((i) => i.resourceClass === 'gpu:H100-80GB')).toMatchObject({ open: true, startMs: T0, endMs: T0 + 5 * MIN });

      await setPhase(store, 'p1', 'a1', { phase: 'Succeeded', finishedAt: iso(T0 + 90 * MIN + 1234) });
      await setPhase(store, 'p1', 'a1', { message: 'done' }); // terminal again: nothing new
      const rows = await store.usage.records({ project: 'p1' });
      expect(rows.filter((r) => r.event === 'close')).toHaveLength(3);
      const [gpu] = (await store.usage.intervals({ from: new Date(T0 - MIN), to: new Date(T0 + 300 * MIN), project: 'p1' })).filter((i) => i.allocation === 'a1' && i.resourceClass.startsWith('gpu'));
      expect(gpu).toMatchObject({
        open: false,
        startMs: T0,
        endMs: T0 + 90 * MIN + 1234,
        quantity: 2000,
        site: 'eu-fra-1',
        queue: 'team-a',
        priorityClass: 'spot',
        preemptible: true,
        isolation: 'dedicated',
        workloadKind: 'Job',
        workloadName: 'train',
      });
    });

    it('meters MIG instances and shared GPUs in their own classes', async () => {
      await store.create(alloc('p2', 'm', [{ index: 0, model: 'A100-80GB', milli: 142, mig: { profile: '1g.10gb', start: 0, size: 1 } }, { index: 0, model: 'A100-80GB', milli: 142, mig: { profile: '1g.10gb', start: 1, size: 1 } }]));
      await store.create(alloc('p2', 's', [{ index: 2, model: 'L4', milli: 250 }]));
      await setPhase(store, 'p2', 'm', { phase: 'Running', startedAt: iso(T0) });
      await setPhase(store, 'p2', 's', { phase: 'Running', startedAt: iso(T0) });
      const classes = (await store.usage.records({ project: 'p2' })).filter((r) => r.resourceClass !== 'cpu' && r.resourceClass !== 'memory');
      expect(classes.map((r) => [r.resourceClass, r.quantity]).sort()).toEqual([
        ['mig:A100-80GB:1g.10gb', 2000],
        ['share:L4', 250],
      ]);
    });

    it('a transaction that fails leaves neither the allocation change nor its usage', async () => {
      await store.create(alloc('p3', 'x', [{ index: 3, model: 'H100-80GB', milli: 1000 }]));
      const before = await store.get({ kind: 'Allocation', project: 'p3', name: 'x' });
      await expect(
        store.transaction(async (tx) => {
          await tx.update({ ...before!, status: { phase: 'Running', startedAt: iso(T0) } });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.usage.records({ project: 'p3' })).toEqual([]);
      expect((await store.get({ kind: 'Allocation', project: 'p3', name: 'x' }))!.status).toEqual({ phase: 'Bound' });
    });

    it('refuses UPDATE, DELETE and TRUNCATE of usage records', async () => {
      const sql = driverOf(store)!.read;
      await expect(sql.query("UPDATE usage_records SET quantity = 0 WHERE project = 'p1'")).rejects.toThrow(/append-only: UPDATE/);
      await expect(sql.query("DELETE FROM usage_records WHERE project = 'p1'")).rejects.toThrow(/append-only: DELETE/);
      await expect(sql.query('TRUNCATE usage_records')).rejects.toThrow(/append-only: TRUNCATE/);
      expect((await store.usage.records({ project: 'p1' })).length).toBe(6);
    });

    it('closes usage when a running allocation is deleted, and a never-started one costs nothing', async () => {
      await store.create(alloc('p4', 'd', [{ index: 4, model: 'H100-80GB', milli: 1000 }]));
      await store.create(alloc('p4', 'never', [{ index: 5, model: 'H100-80GB', milli: 1000 }]));
      await setPhase(store, 'p4', 'd', { phase: 'Running', startedAt: iso(T0) });
      await store.delete({ kind: 'Allocation', project: 'p4', name: 'd' });
      await setPhase(store, 'p4', 'never', { phase: 'Stopped', finishedAt: iso(T0) });
      const rows = await store.usage.records({ project: 'p4' });
      expect(rows.filter((r) => r.event === 'close').map((r) => r.resourceClass).sort()).toEqual(['cpu', 'gpu:H100-80GB', 'memory']);
      expect(rows.every((r) => r.allocationUid === rows[0]!.allocationUid)).toBe(true);
    });

    it('rolls usage up per UTC hour, splitting intervals at hour boundaries', async () => {
      // a1 ran 10:30:00 → 12:00:01.234 with 2 GPUs: 30 min in hour 10, 60 in 11, 1.234 s in 12.
      const hours = (await store.usage.hourly({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z'), project: 'p1' })).filter(
        (h) => h.resourceClass === 'gpu:H100-80GB',
      );
      expect(hours.map((h) => [h.hour, h.quantityMs])).toEqual([
        ['2026-11-02T10:00:00.000Z', String(2000 * 30 * MIN)],
        ['2026-11-02T11:00:00.000Z', String(2000 * 60 * MIN)],
        ['2026-11-02T12:00:00.000Z', String(2000 * 1234)],
      ]);
      expect(hours[0]).toMatchObject({ project: 'p1', queue: 'team-a', site: 'eu-fra-1', workloadName: 'train', preemptible: true });
      // A window that cuts the interval counts only its part.
      const cut = await store.usage.intervals({ from: new Date('2026-11-02T11:00:00Z'), to: new Date('2026-11-02T11:15:00Z'), project: 'p1' });
      expect(cut.find((i) => i.resourceClass === 'gpu:H100-80GB')).toMatchObject({ startMs: Date.parse('2026-11-02T11:00:00Z'), endMs: Date.parse('2026-11-02T11:15:00Z') });
    });

    it('names the bad field of a wrong window', async () => {
      await expect(store.usage.intervals({ from: new Date(T0), to: new Date(T0) })).rejects.toThrow(/to: must be after from/);
    });
  });
}
