import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ManualClock } from './clock.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import type { CycleStats } from './scheduling-loop.js';
import { jobAdapter } from './workloads/job-adapter.js';
import type { WorkloadAdapter } from './workloads/types.js';

const P = 'team';

function node(name: string, gpus: number, extra: Record<string, unknown> = {}, status?: Record<string, unknown>): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Node',
    metadata: { name },
    spec: { cpu: '64', memory: '512Gi', gpus: Array.from({ length: gpus }, (_, i) => ({ index: i, uuid: `GPU-${name}-${i}`, model: 'H100-80GB' })), ...extra },
    ...(status ? { status } : {}),
  };
}

function job(name: string, spec: Record<string, unknown>): ResourceInput {
  return { apiVersion: 'weft/v1', kind: 'Job', metadata: { name, project: P }, spec: { replicas: 1, ...spec } };
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const allocsOf = async (store: Store, name: string): Promise<Resource[]> =>
  (await store.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items;

describe('scheduling loop', () => {
  let store: Store;
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await cp?.stop();
    await store?.close();
  });

  it('skips cycles over a backlog that cannot be placed while nothing changes, and places it when something does', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await store.create(node('n1', 8));
    const cycles: CycleStats[] = [];
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 50, onCycle: (c) => cycles.push(c) });
    await cp.leading;
    for (let i = 0; i < 3; i++) await store.create(job(`big-${i}`, { resources: { gpu: { count: 16 } } }));

    // Once the backlog is explained and nothing moves, cycles find the same demands and skip.
    await until(async () => (cycles.slice(-5).length === 5 && cycles.slice(-5).every((c) => c.quiet) ? true : undefined), 10_000);
    const skipped = cycles.slice(-5);
    expect(skipped.every((c) => c.demands === 3 && c.unplaced === 0 && (c.durationMs ?? 0) < 50)).toBe(true);

    // A controller tidying a waiting Job's status asks for nothing new: still no full cycle.
    const waiting = (await store.get({ kind: 'Job', project: P, name: 'big-1' }))!;
    const seenBefore = cycles.length;
    await store.update({ ...waiting, status: { ...waiting.status, failures: 0 } });
    await new Promise((r) => setTimeout(r, 400));
    expect(cycles.length).toBeGreaterThan(seenBefore);
    expect(cycles.slice(seenBefore).every((c) => c.quiet)).toBe(true);

    // A node big enough arrives: the next cycle is a real one and places what now fits.
    await store.create(node('n2', 16));
    await until(async () => ((await allocsOf(store, 'big-0')).length > 0 ? true : undefined), 10_000);
    expect(cycles.some((c) => !c.quiet && c.placed > 0)).toBe(true);
  });

  it('binds gangs as Allocations in one step with the Job, skips cordoned and NotReady nodes, explains the rest', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await store.create(node('cordoned', 8, { unschedulable: true }));
    await store.create(node('down', 8, {}, { state: 'NotReady' }));
    await store.create(node('n1', 8, { rack: 'r1' }));
    await store.create(node('n2', 8, { rack: 'r1' }));
    const clock = new ManualClock();
    cp = startControlPlane({ store, clock, cycleIntervalMs: 50 });
    await cp.leading;

    await store.create(job('train', { replicas: 2, resources: { cpu: '8', memory: '64Gi', gpu: { count: 8 } } }));
    const train = await until(async () => {
      const j = await store.get({ kind: 'Job', project: P, name: 'train' });
      return j?.status?.phase === 'Admitted' ? j : undefined;
    });
    const allocs = await allocsOf(store, 'train');
    expect(allocs.map((a) => a.metadata.name).sort()).toEqual(['train-a0-r0', 'train-a0-r1']);
    expect(new Set(allocs.map((a) => (a.spec as { node: string }).node))).toEqual(new Set(['n1', 'n2']));
    const a0 = allocs[0]!;
    expect(a0.metadata.labels).toMatchObject({ 'weft.dev/workload-kind': 'Job', 'weft.dev/attempt': '0' });
    expect((a0.spec as { gpus: { uuid: string; milli: number }[] }).gpus).toHaveLength(8);
    expect((a0.spec as { gpus: { uuid: string }[] }).gpus[0]!.uuid).toMatch(/^GPU-n[12]-0$/);
    expect(train.status?.placement).toHaveLength(2);

    // Nothing left: the next gang waits, with the reason on the Job and in an Event.
    await store.create(job('late', { resources: { gpu: { count: 1 } } }));
    const late = await until(async () => {
      const j = await store.get({ kind: 'Job', project: P, name: 'late' });
      return j?.status?.scheduling ? j : undefined;
    });
    expect((late.status!.scheduling as { message: string }).message).toMatch(/0\/4 nodes fit/);
    const events = await until(async () => {
      const { items } = await store.list('Event', { project: P, labelSelector: 'weft.dev/involved-name=late' });
      return items.length ? items : undefined;
    });
    expect((events[0]!.spec as { reason: string }).reason).toBe('FailedScheduling');
    // No write storm: further cycles do not rewrite an unchanged explanation.
    const rv = late.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 300));
    expect((await store.get({ kind: 'Job', project: P, name: 'late' }))!.metadata.resourceVersion).toBe(rv);

    // Finishing one replica frees its GPUs: the waiting job is placed.
    await store.update({ ...a0, status: { phase: 'Succeeded' } });
    await until(async () => ((await allocsOf(store, 'late')).length ? true : undefined));
    const [l] = await allocsOf(store, 'late');
    expect((l!.spec as { node: string }).node).toBe((a0.spec as { node: string }).node);
  });

  it("prefers, among equally good nodes, the one whose agent lists the replica's image", async () => {
    const landed: Record<string, string> = {};
    for (const held of [false, true]) {
      store = await openStore();
      await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
      for (const n of ['n1', 'n2', 'n3', 'n4']) {
        const images = held && n === 'n3' ? { images: [{ names: ['docker.io/library/busybox:latest'], sizeBytes: 4_000_000 }] } : {};
        await store.create(node(n, 8, {}, images));
      }
      cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 50 });
      await cp.leading;
      await store.create(job('pull', { image: 'busybox', command: ['true'], resources: { gpu: { count: 1 } } }));
      const [a] = await until(async () => {
        const all = await allocsOf(store, 'pull');
        return all.length ? all : undefined;
      });
      landed[String(held)] = (a!.spec as { node: string }).node;
      await cp.stop();
      cp = undefined;
      await store.close();
    }
    expect(landed.false).not.toBe('n3');
    expect(landed.true).toBe('n3');
  });

  it('places shares and MIG slices, several on one GPU, never beyond it', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await store.create({
      apiVersion: 'weft/v1',
      kind: 'Node',
      metadata: { name: 'a100' },
      spec: { cpu: '64', memory: '512Gi', gpus: [{ index: 0, model: 'A100-80GB', migEnabled: true }, { index: 1, model: 'A100-80GB' }] },
    });
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 50, policy: 'best-fit' });
    for (let i = 0; i < 5; i++) await store.create(job(`s${i}`, { resources: { gpu: { share: 0.25 } } }));
    for (let i = 0; i < 8; i++) await store.create(job(`m${i}`, { resources: { gpu: { mig: '1g.10gb' } } }));
    await until(async () => ((await store.list('Allocation', { project: P })).items.length >= 11 ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    const { items } = await store.list('Allocation', { project: P });
    const gpus = items.flatMap((a) => (a.spec as { gpus: { index: number; milli: number; mig?: { start: number } }[] }).gpus);
    expect(gpus.filter((g) => g.index === 1).reduce((s, g) => s + g.milli, 0)).toBe(1000);
    const slices = gpus.filter((g) => g.mig).map((g) => g.mig!.start);
    expect(new Set(slices).size).toBe(slices.length);
    expect(items).toHaveLength(4 + slices.length);
  });
});

describe('scheduling loop sweeps', () => {
  it('skip workloads that are settled: a store of finished Jobs costs nothing per sweep', async () => {
    const store = await openStore();
    let cp: ControlPlane | undefined;
    try {
      await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
      for (let i = 0; i < 40; i++) {
        const j = await store.create(job(`done-${i}`, { resources: { gpu: { count: 1 } } }));
        await store.update({ ...j, status: { phase: 'Succeeded' } });
      }
      const asked = new Map<string, number>();
      const counting: WorkloadAdapter = {
        ...jobAdapter,
        demand: (w, active, now) => {
          asked.set(w.metadata.name, (asked.get(w.metadata.name) ?? 0) + 1);
          return jobAdapter.demand(w, active, now);
        },
      };
      const cycles: CycleStats[] = [];
      cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 20, adapters: [counting], onCycle: (c) => cycles.push(c) });
      await until(async () => (cycles.length >= 15 ? true : undefined), 20_000);
      // Once, when the loop first read them; never again in the sweeps since.
      expect(Math.max(...[...asked.entries()].filter(([n]) => n.startsWith('done-')).map(([, n]) => n))).toBeLessThanOrEqual(1);
      // A settled Job that is written again is looked at again.
      const again = (await store.get({ kind: 'Job', project: P, name: 'done-0' }))!;
      await store.update({ ...again, status: { phase: 'Pending' } });
      await until(async () => ((asked.get('done-0') ?? 0) >= 2 ? true : undefined), 20_000);
    } finally {
      await cp?.stop();
      await store.close();
    }
  });
});
