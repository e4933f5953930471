// The node-lifecycle controller on a manual clock, with the real Job controller reacting to what
// it writes: a silent node goes NotReady, then its replicas are Lost and the gang restarts (a
// failure); a drained node's replicas are stopped and requeued (not a failure).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { builtInProviders, livenessOf } from '../providers/index.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { allocSpec } from './workloads/allocations.js';
import { startKit, type Kit } from './workloads/testing.js';

let kit: Kit;
let ctl: NodeLifecycleController;

const NOT_READY = 40_000;
const LOST = 60_000;
// Each node's provider says how its liveness is known (agent: heartbeats; sim: the provider).
const liveness = livenessOf(builtInProviders());

async function addNode(name: string, provider: 'agent' | 'sim' = 'agent'): Promise<Resource> {
  return kit.store.create({
    apiVersion: 'weft/v1',
    kind: 'Node',
    metadata: { name },
    spec: { cpu: '64', memory: '512Gi', provider },
    status: { state: 'Ready', lastHeartbeatTime: kit.clock.now().toISOString() },
  });
}

async function node(name: string): Promise<Resource> {
  return (await kit.store.get({ kind: 'Node', name }))!;
}

/** A heartbeat as agents send it: renewed in place, the Node itself untouched. */
async function heartbeat(name: string): Promise<void> {
  expect(await kit.store.heartbeats.renew([name], kit.clock.now())).toEqual([name]);
}

async function patchNode(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<void> {
  const n = await node(name);
  await kit.store.update({ ...n, metadata: { ...n.metadata, ...(annotations ? { annotations } : {}) }, spec: { ...n.spec, ...spec } });
}

const state = async (name: string) => (await node(name)).status?.state;

/** A running 2-replica Job whose replicas sit on two agent nodes. */
async function runningJob(name: string, spec: Record<string, unknown> = {}): Promise<Resource[]> {
  await kit.create('Job', name, { replicas: 2, resources: { cpu: '1', gpu: { count: 1 } }, ...spec });
  await kit.settle();
  const allocs = await kit.bind('Job', name);
  for (const a of allocs) await addNode(allocSpec(a).node);
  for (const a of allocs) await kit.setPhase(a.metadata.name, 'Running');
  await kit.settle();
  expect((await kit.get('Job', name)).status?.phase).toBe('Running');
  return allocs;
}

beforeEach(async () => {
  kit = await startKit();
  ctl = new NodeLifecycleController({ store: kit.store, clock: kit.clock, livenessOf: liveness, notReadyAfterMs: NOT_READY, lostAfterMs: LOST });
});
afterEach(async () => kit.close());

describe('node lifecycle', () => {
  it('marks a silent node NotReady, loses its replicas later, and the Job restarts as a failure', async () => {
    const allocs = await runningJob('train');
    const silent = allocSpec(allocs[0]!).node;
    const alive = allocSpec(allocs[1]!).node;
    kit.clock.advance(NOT_READY - 1000);
    await heartbeat(alive);
    await ctl.tick();
    expect(await state(silent)).toBe('Ready');

    kit.clock.advance(2000);
    await ctl.tick();
    expect(await state(silent)).toBe('NotReady');
    expect(await state(alive)).toBe('Ready');
    expect((await kit.get('Allocation', allocs[0]!.metadata.name)).status?.phase).toBe('Running');

    kit.clock.advance(LOST - 1000);
    await heartbeat(alive);
    await ctl.tick();
    expect((await kit.get('Allocation', allocs[0]!.metadata.name)).status?.phase).toBe('Running');

    kit.clock.advance(1000);
    await heartbeat(alive);
    await ctl.tick();
    const lost = await kit.get('Allocation', allocs[0]!.metadata.name);
    expect(lost.status?.phase).toBe('Lost');
    expect(lost.status?.message).toMatch(/stopped responding/);

    await kit.settle();
    const job = await kit.get('Job', 'train');
    expect(job.status?.failures).toBe(1);
    expect(job.status?.attempt).toBe(1);
    expect(job.status?.message).toMatch(/lost with its node/);
  });

  it('brings a node back to Ready when it heartbeats again', async () => {
    await addNode('n1');
    kit.clock.advance(NOT_READY + 1);
    await ctl.tick();
    expect(await state('n1')).toBe('NotReady');
    await heartbeat('n1');
    await ctl.tick();
    expect(await state('n1')).toBe('Ready');
    const events = (await kit.store.list('Event', { project: 'weft-system' })).items.map((e) => (e.spec as { reason: string }).reason);
    expect(events).toEqual(expect.arrayContaining(['NodeNotReady', 'NodeReady']));
  });

  it('gives every node a fresh grace when the controller starts (server restart)', async () => {
    await addNode('n1');
    kit.clock.advance(10 * NOT_READY);
    const fresh = new NodeLifecycleController({ store: kit.store, clock: kit.clock, livenessOf: liveness, notReadyAfterMs: NOT_READY, lostAfterMs: LOST });
    await fresh.tick();
    expect(await state('n1')).toBe('Ready');
    kit.clock.advance(NOT_READY + 1);
    await fresh.tick();
    expect(await state('n1')).toBe('NotReady');
  });

  it('keeps a heartbeating node Ready without writing it, and judges it by its renewed heartbeat', async () => {
    const n1 = await addNode('n1');
    for (let i = 0; i < 8; i++) {
      kit.clock.advance(NOT_READY / 2);
      await heartbeat('n1');
      await ctl.tick();
    }
    expect((await node('n1')).metadata.resourceVersion).toBe(n1.metadata.resourceVersion);
    kit.clock.advance(NOT_READY + 1);
    await ctl.tick();
    const silent = await node('n1');
    expect(silent.status).toMatchObject({ state: 'NotReady', lastHeartbeatTime: new Date(kit.clock.now().getTime() - NOT_READY - 1).toISOString() });
    expect(silent.status?.message).toContain(`since ${silent.status?.lastHeartbeatTime as string}`);
  });

  it('gives every node a fresh grace when it takes over as leader, not only when it is made', async () => {
    await addNode('n1');
    const follower = new NodeLifecycleController({ store: kit.store, clock: kit.clock, livenessOf: liveness, notReadyAfterMs: NOT_READY, lostAfterMs: LOST, intervalMs: 5 });
    // The follower waited for leadership while every heartbeat went unanswered (the control plane was away).
    kit.clock.advance(10 * NOT_READY);
    const term = new AbortController();
    const leading = follower.start(term.signal);
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(await state('n1')).toBe('Ready');
      kit.clock.advance(NOT_READY + 1);
      await expect.poll(() => state('n1')).toBe('NotReady');
      await heartbeat('n1');
      await expect.poll(() => state('n1')).toBe('Ready');
    } finally {
      term.abort();
      await leading;
    }
  });

  it('shows Cordoned for an unschedulable node and Ready again after uncordon', async () => {
    await addNode('n1');
    await patchNode('n1', { unschedulable: true });
    await ctl.tick();
    expect(await state('n1')).toBe('Cordoned');
    await patchNode('n1', { unschedulable: false });
    await ctl.tick();
    expect(await state('n1')).toBe('Ready');
  });

  it('drains: stops replicas with the workload grace and a reason, requeues without a failure, then Drained', async () => {
    const allocs = await runningJob('serve-me', { terminationGracePeriodSeconds: 7 });
    const target = allocSpec(allocs[0]!).node;
    await patchNode(target, { unschedulable: true }, { 'weft.dev/drain-requested': kit.clock.now().toISOString() });
    await ctl.tick();
    expect(await state(target)).toBe('Draining');
    const asked = await kit.get('Allocation', allocs[0]!.metadata.name);
    expect(asked.status?.stopRequested).toMatchObject({ reason: `node ${target} is draining`, graceSeconds: 7 });
    const other = await kit.get('Allocation', allocs[1]!.metadata.name);
    expect(other.status?.stopRequested).toBeUndefined();

    // The provider stops what it was asked to; the Job stops the rest of the gang and requeues.
    for (let i = 0; i < 3; i++) {
      await kit.honourStops();
      await kit.settle();
    }
    const job = await kit.get('Job', 'serve-me');
    expect(job.status?.failures ?? 0).toBe(0);
    expect(job.status?.attempt).toBe(1);
    expect(job.status?.phase).toBe('Pending');

    await heartbeat(target);
    await ctl.tick();
    expect(await state(target)).toBe('Drained');
  });

  it('never marks simulated nodes NotReady, but drains them too', async () => {
    const allocs = await runningJob('sim-job');
    const simNode = allocSpec(allocs[0]!).node;
    await patchNode(simNode, { provider: 'sim' });
    kit.clock.advance(10 * (NOT_READY + LOST));
    await ctl.tick();
    await ctl.tick();
    expect(await state(simNode)).toBe('Ready');
    expect((await kit.get('Allocation', allocs[0]!.metadata.name)).status?.phase).toBe('Running');
    await patchNode(simNode, { unschedulable: true }, { 'weft.dev/drain-requested': kit.clock.now().toISOString() });
    await ctl.tick();
    expect((await kit.get('Allocation', allocs[0]!.metadata.name)).status?.stopRequested).toMatchObject({ graceSeconds: 30 });
  });
});
