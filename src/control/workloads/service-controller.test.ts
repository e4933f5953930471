import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { attemptOf, isActive, stopRequested } from './allocations.js';
import { startKit, type Kit } from './testing.js';

let k: Kit;
beforeEach(async () => {
  k = await startKit();
});
afterEach(async () => k.close());

const svc = () => k.get('Service', 'llm');
const live = (as: Resource[]) => as.filter((a) => isActive(a) && !stopRequested(a));

/** Provider: every Bound allocation starts running. */
async function startAll(): Promise<void> {
  for (const a of await k.allocations('llm')) if (isActive(a) && !a.status?.phase) await k.setPhase(a.metadata.name, 'Running');
}

describe('Service controller', () => {
  it('brings up replicas.min replicas, each its own gang, and reports Available', async () => {
    await k.create('Service', 'llm', { replicas: { min: 2, max: 4 }, resources: { gpu: { count: 1 } } });
    const placed = await k.bind('Service', 'llm');
    await k.settle();
    expect((await svc()).status?.phase).toBe('Pending');
    expect(placed.map((a) => a.metadata.name)).toEqual(['llm-a1-r0', 'llm-a1-r1']);
    expect(await k.bind('Service', 'llm')).toEqual([]);
    await k.setPhase('llm-a1-r0', 'Running');
    await k.settle();
    expect((await svc()).status).toMatchObject({ phase: 'Progressing', readyReplicas: 1, replicas: 2 });
    await k.setPhase('llm-a1-r1', 'Running');
    await k.settle();
    expect((await svc()).status).toMatchObject({ phase: 'Available', readyReplicas: 2, updatedReplicas: 2 });

    // A crashed replica is replaced under a new index; the Service is Degraded meanwhile.
    await k.setPhase('llm-a1-r0', 'Failed', { exitCode: 137 });
    await k.settle();
    expect((await svc()).status).toMatchObject({ phase: 'Degraded', readyReplicas: 1, restarts: 1 });
    expect((await k.bind('Service', 'llm')).map((a) => a.metadata.name)).toEqual(['llm-a1-r2']);
    await startAll();
    await k.settle();
    expect((await svc()).status?.phase).toBe('Available');

    // The autoscaler hook: status.desiredReplicas, clamped to [min, max].
    const s = await svc();
    await k.store.update({ ...s, status: { ...s.status, desiredReplicas: 9 } });
    expect((await k.bind('Service', 'llm')).map((a) => a.metadata.name)).toEqual(['llm-a1-r3', 'llm-a1-r4']); // 9 → max 4
  });

  it('rolls a new generation within maxSurge 1 / maxUnavailable 0', async () => {
    await k.create('Service', 'llm', { replicas: { min: 3, max: 3 }, resources: { gpu: { count: 1 } } });
    await k.bind('Service', 'llm');
    await startAll();
    await k.settle();
    expect((await svc()).status?.phase).toBe('Available');

    await k.patchSpec('Service', 'llm', { image: 'llm:v2' });
    const gen = (await svc()).metadata.generation;
    let steps = 0;
    for (; steps < 20; steps++) {
      await k.settle();
      const all = await k.allocations('llm');
      const active = all.filter(isActive);
      // Never more than desired + maxSurge holding GPUs, never fewer than desired ready.
      expect(active.length).toBeLessThanOrEqual(4);
      expect(live(all).filter((a) => a.status?.phase === 'Running').length).toBeGreaterThanOrEqual(3);
      if (active.every((a) => attemptOf(a) === gen) && active.length === 3 && active.every((a) => a.status?.phase === 'Running')) break;
      await k.bind('Service', 'llm');
      await startAll();
      await k.settle();
      await k.honourStops();
    }
    expect(steps).toBeLessThan(20);
    await k.settle();
    expect((await svc()).status).toMatchObject({ phase: 'Available', readyReplicas: 3, updatedReplicas: 3, observedGeneration: gen });
  });

  it('rolls with maxSurge 0 / maxUnavailable 1 by retiring before creating', async () => {
    await k.create('Service', 'llm', { replicas: { min: 2, max: 2 }, rollout: { maxSurge: 0, maxUnavailable: 1 }, resources: { gpu: { count: 1 } } });
    await k.bind('Service', 'llm');
    await startAll();
    await k.settle();
    await k.patchSpec('Service', 'llm', { image: 'llm:v2' });
    await k.settle();
    expect(await k.bind('Service', 'llm')).toEqual([]); // no surge: an old replica must go first
    const stopping = (await k.allocations('llm')).filter((a) => stopRequested(a));
    expect(stopping).toHaveLength(1);
    expect((await svc()).status?.phase).toBe('Progressing');
    for (let i = 0; i < 10; i++) {
      await k.honourStops();
      await k.settle();
      await k.bind('Service', 'llm');
      await startAll();
      await k.settle();
      const active = (await k.allocations('llm')).filter(isActive);
      expect(active.length).toBeLessThanOrEqual(2);
      expect(live(active).filter((a) => a.status?.phase === 'Running').length).toBeGreaterThanOrEqual(1);
    }
    expect((await svc()).status).toMatchObject({ phase: 'Available', updatedReplicas: 2 });
  });

  it('scales down surplus replicas when the desired count drops', async () => {
    await k.create('Service', 'llm', { replicas: { min: 3, max: 3 }, resources: { gpu: { count: 1 } } });
    await k.bind('Service', 'llm');
    await startAll();
    await k.settle();
    await k.patchSpec('Service', 'llm', { replicas: { min: 1, max: 3 } });
    await k.settle();
    const stops = (await k.allocations('llm')).filter((a) => stopRequested(a));
    // Generation changed too, so the survivors are replaced one at a time as well.
    expect(stops.length).toBeGreaterThanOrEqual(2);
  });
});
