// The sim provider against an in-memory store and a manual clock: allocations on simulated nodes
// start, finish after their declared duration, stop on request, and survive a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../control/clock.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { demoFleet, registerDemoFleet } from './demo-fleet.js';
import { startSimProvider, type SimProvider } from './provider.js';

const P = 'vision';

function job(name: string, extra: { annotations?: Record<string, string>; maxRuntimeSeconds?: number } = {}): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: { name, project: P, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { replicas: 1, resources: { gpu: { count: 1 } }, ...(extra.maxRuntimeSeconds ? { maxRuntimeSeconds: extra.maxRuntimeSeconds } : {}) },
  };
}

async function bind(store: Store, workload: Resource, node: string, kind = 'Job'): Promise<Resource> {
  return store.create({
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: `${workload.metadata.name}-a0-r0`, project: P },
    spec: { workload: { kind, name: workload.metadata.name, uid: workload.metadata.uid }, replica: 0, attempt: 0, node, gpus: [{ index: 0, model: 'H100-80GB', milli: 1000 }], cpuMilli: 1000, memoryBytes: 0 },
    status: { phase: 'Bound' },
  });
}

async function phase(store: Store, name: string): Promise<Record<string, unknown>> {
  const a = await store.get({ kind: 'Allocation', project: P, name });
  return (a?.status ?? {}) as Record<string, unknown>;
}

describe('sim provider', () => {
  let store: Store;
  let sim: SimProvider | undefined;
  const clock = new ManualClock();
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    await store?.close();
  });

  async function setup(opts: { failureRate?: number; rng?: () => number } = {}): Promise<void> {
    store = await openStore({});
    await registerDemoFleet(store, { h100Nodes: 2, a100MigNodes: 1 });
    sim = await startSimProvider({ store, clock, defaultDurationMs: 60_000, heartbeatMs: 60_000, ...opts });
  }

  it('marks its nodes Ready with a heartbeat', async () => {
    await setup();
    const n = await store.get({ kind: 'Node', name: 'fra1-h100-01' });
    expect(n?.status).toMatchObject({ state: 'Ready', lastHeartbeatTime: clock.now().toISOString() });
  });

  it('runs a job for its annotated duration, then succeeds', async () => {
    await setup();
    const j = await store.create(job('short', { annotations: { 'weft.dev/sim-duration': '45s' } }));
    await bind(store, j, 'fra1-h100-01');
    await sim!.reconcile();
    expect(await phase(store, 'short-a0-r0')).toMatchObject({ phase: 'Running', startedAt: clock.now().toISOString() });
    clock.advance(44_000);
    await sim!.reconcile();
    expect((await phase(store, 'short-a0-r0')).phase).toBe('Running');
    clock.advance(1_000);
    await sim!.reconcile();
    expect(await phase(store, 'short-a0-r0')).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
  });

  it('uses maxRuntimeSeconds, then the default; fails with the configured probability', async () => {
    await setup({ failureRate: 0.5, rng: () => 0.1 });
    const a = await store.create(job('bounded', { maxRuntimeSeconds: 10 }));
    const b = await store.create(job('plain'));
    await bind(store, a, 'fra1-h100-01');
    await bind(store, b, 'fra1-h100-02');
    await sim!.reconcile();
    clock.advance(10_000);
    await sim!.reconcile();
    expect(await phase(store, 'bounded-a0-r0')).toMatchObject({ phase: 'Failed', exitCode: 1 });
    expect((await phase(store, 'plain-a0-r0')).phase).toBe('Running');
    clock.advance(50_000);
    await sim!.reconcile();
    expect((await phase(store, 'plain-a0-r0')).phase).toBe('Failed');
  });

  it('runs services until stopped; a preemption ends Preempted after the short stop delay', async () => {
    await setup();
    const svc = await store.create({ apiVersion: 'weft/v1', kind: 'Service', metadata: { name: 'llm', project: P }, spec: { resources: { gpu: { count: 1 } } } });
    await bind(store, svc, 'fra1-h100-01', 'Service');
    await sim!.reconcile();
    clock.advance(3_600_000);
    await sim!.reconcile();
    const running = (await store.get({ kind: 'Allocation', project: P, name: 'llm-a0-r0' }))!;
    expect(running.status?.phase).toBe('Running');
    await store.update({ ...running, status: { ...running.status, stopRequested: { reason: 'Preempted by vision/urgent', at: clock.now().toISOString(), graceSeconds: 30 } } });
    await sim!.reconcile();
    expect((await phase(store, 'llm-a0-r0')).phase).toBe('Stopping');
    clock.advance(2_000);
    await sim!.reconcile();
    expect((await phase(store, 'llm-a0-r0')).phase).toBe('Preempted');
  });

  it('writes an honest log line at each step, once', async () => {
    await setup();
    const j = await store.create(job('logged', { annotations: { 'weft.dev/sim-duration': '3m' } }));
    const a = await bind(store, j, 'fra1-h100-01');
    await sim!.reconcile();
    const start = clock.now().toISOString();
    clock.advance(180_000);
    await sim!.reconcile();
    const lines = (await store.logs.read(a.metadata.uid)).map((c) => c.data);
    expect(lines).toEqual([
      `${start} simulated replica 0 of job/logged (attempt 0) started on fra1-h100-01, GPU 0; no process runs on the demo fleet. It will run for 3m (its weft.dev/sim-duration annotation), then exit.\n`,
      `${clock.now().toISOString()} finished: exit code 0 (simulated).\n`,
    ]);

    const svc = await store.create({ apiVersion: 'weft/v1', kind: 'Service', metadata: { name: 'web', project: P }, spec: { resources: { gpu: { count: 1 } } } });
    const s = await bind(store, svc, 'fra1-h100-02', 'Service');
    await sim!.reconcile();
    const running = (await store.get({ kind: 'Allocation', project: P, name: 'web-a0-r0' }))!;
    await store.update({ ...running, status: { ...running.status, stopRequested: { reason: 'Preempted by vision/urgent', at: clock.now().toISOString(), graceSeconds: 30 } } });
    await sim!.reconcile();
    clock.advance(2_000);
    await sim!.reconcile();
    const said = (await store.logs.read(s.metadata.uid)).map((c) => c.data.replace(/^\S+ /, ''));
    expect(said).toEqual([
      'simulated replica 0 of service/web (attempt 0) started on fra1-h100-02, GPU 0; no process runs on the demo fleet. It runs until it is stopped (a Service runs until it is stopped).\n',
      'asked to stop: Preempted by vision/urgent (grace 30s); stopping.\n',
      'preempted: Preempted by vision/urgent (simulated).\n',
    ]);
  });

  it('ignores allocations on nodes it does not run', async () => {
    await setup();
    await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'real-01' }, spec: { cpu: '8', memory: '64Gi', provider: 'agent' } });
    const j = await store.create(job('elsewhere'));
    await bind(store, j, 'real-01');
    await sim!.reconcile();
    expect((await phase(store, 'elsewhere-a0-r0')).phase).toBe('Bound');
  });

  it('after a restart, finishes what was running at the time it was due', async () => {
    await setup();
    const j = await store.create(job('long', { annotations: { 'weft.dev/sim-duration': '10m' } }));
    await bind(store, j, 'fra1-h100-01');
    await sim!.reconcile();
    const startedAt = (await phase(store, 'long-a0-r0')).startedAt;
    await sim!.stop();
    clock.advance(11 * 60_000); // the server was down when it was due
    sim = await startSimProvider({ store, clock, heartbeatMs: 60_000 });
    await sim.reconcile();
    expect(await phase(store, 'long-a0-r0')).toMatchObject({ phase: 'Succeeded', startedAt });
  });

  it('registers the demo fleet idempotently', async () => {
    store = await openStore({});
    const fleet = demoFleet();
    expect(fleet.filter((o) => o.kind === 'Node')).toHaveLength(40);
    expect(new Set(fleet.map((o) => (o.spec as { rack?: string }).rack).filter(Boolean)).size).toBe(4);
    expect(await registerDemoFleet(store)).toEqual({ created: 42, updated: 0 });
    expect(await registerDemoFleet(store)).toEqual({ created: 0, updated: 0 });
    const a100 = await store.get({ kind: 'Node', name: 'par1-a100-01' });
    expect(a100?.metadata.labels).toMatchObject({ 'weft.dev/simulated': 'true' });
    expect((a100?.spec as { gpus: { migEnabled?: boolean; uuid?: string }[] }).gpus[0]).toMatchObject({ migEnabled: true, uuid: 'GPU-sim-par1-a100-01-0' });
  });
});
