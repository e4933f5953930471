import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../model/errors.js';
import { ACTIVITY_ANNOTATION } from './devenv-controller.js';
import { PROJECT, startKit, type Kit } from './testing.js';

let k: Kit;
beforeEach(async () => {
  k = await startKit();
});
afterEach(async () => k.close());

const dev = () => k.get('DevEnvironment', 'nb');
const MIN = 60_000;

async function setActivity(at: Date): Promise<void> {
  const d = await dev();
  await k.store.update({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [ACTIVITY_ANNOTATION]: at.toISOString() } } });
}

async function startReplica(name: string): Promise<void> {
  const placed = await k.bind('DevEnvironment', 'nb');
  expect(placed.map((a) => a.metadata.name)).toEqual([name]);
  await k.settle();
  await k.setPhase(name, 'Running');
  await k.settle();
  expect((await dev()).status?.phase).toBe('Running');
}

describe('DevEnvironment controller', () => {
  it('releases its GPUs after idleTimeoutSeconds without activity and wakes on new activity', async () => {
    await k.create('DevEnvironment', 'nb', { idleTimeoutSeconds: 1800, resources: { gpu: { count: 1 } } });
    await k.settle();
    await startReplica('nb-a0-r0');

    // Activity 20 minutes in pushes the idle deadline to 50 minutes.
    k.clock.advance(20 * MIN);
    await setActivity(k.clock.now());
    k.clock.advance(29 * MIN);
    await k.settle();
    expect((await dev()).status?.phase).toBe('Running');
    k.clock.advance(1 * MIN);
    await k.settle();
    expect((await dev()).status?.phase).toBe('Idle');
    const alloc = await k.get('Allocation', 'nb-a0-r0');
    expect(alloc.status?.stopRequested).toMatchObject({ reason: 'IdleTimeout' });
    await k.honourStops();
    await k.settle();
    expect(await k.bind('DevEnvironment', 'nb')).toEqual([]); // idle: nothing to place

    // The GPU is free again: another allocation can claim the very same GPU.
    const taken = await k.store.create({
      apiVersion: 'weft/v1',
      kind: 'Allocation',
      metadata: { name: 'other-a0-r0', project: PROJECT },
      spec: { ...alloc.spec, workload: { kind: 'Job', name: 'other', uid: 'x' } },
    });
    expect(taken.metadata.name).toBe('other-a0-r0');
    await expect(
      k.store.create({ apiVersion: 'weft/v1', kind: 'Allocation', metadata: { name: 'third-a0-r0', project: PROJECT }, spec: { ...alloc.spec, workload: { kind: 'Job', name: 'third', uid: 'y' } } }),
    ).rejects.toBeInstanceOf(ConflictError);

    // Touching the annotation again brings it back as a fresh attempt.
    k.clock.advance(5 * MIN);
    await setActivity(k.clock.now());
    await k.settle();
    expect((await dev()).status).toMatchObject({ phase: 'Pending', attempt: 1 });
    await startReplica('nb-a1-r0');
  });

  it('suspends and resumes, and restarts a failed replica after a backoff', async () => {
    await k.create('DevEnvironment', 'nb', { resources: { gpu: { share: 0.5 } } });
    await startReplica('nb-a0-r0');
    await k.patchSpec('DevEnvironment', 'nb', { suspend: true });
    await k.settle();
    expect((await dev()).status?.phase).toBe('Suspended');
    expect(await k.honourStops()).toEqual(['nb-a0-r0']);
    await k.patchSpec('DevEnvironment', 'nb', { suspend: false });
    await k.settle();
    expect((await dev()).status).toMatchObject({ phase: 'Pending', attempt: 1 });
    await startReplica('nb-a1-r0');

    await k.setPhase('nb-a1-r0', 'Failed', { exitCode: 1 });
    await k.settle();
    expect((await dev()).status).toMatchObject({ phase: 'Pending', attempt: 2, failures: 1 });
    expect(await k.bind('DevEnvironment', 'nb')).toEqual([]);
    k.clock.advance(10_000);
    await k.settle();
    await startReplica('nb-a2-r0');
  });
});
