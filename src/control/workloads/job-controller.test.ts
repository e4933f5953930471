import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkloadControllers } from './index.js';
import { PROJECT, startKit, type Kit } from './testing.js';

let k: Kit;
beforeEach(async () => {
  k = await startKit();
});
afterEach(async () => k.close());

const gang = (extra: Record<string, unknown> = {}) => ({ replicas: 2, gang: { minAvailable: 2 }, resources: { cpu: '4', gpu: { count: 1 } }, ...extra });
const job = () => k.get('Job', 'train');
const events = async () => (await k.store.list('Event', { project: PROJECT })).items.map((e) => (e.spec as { reason: string }).reason);
const SEC = 1000;

async function runAttempt(attempt: number): Promise<void> {
  const placed = await k.bind('Job', 'train');
  expect(placed.map((a) => a.metadata.name)).toEqual([`train-a${attempt}-r0`, `train-a${attempt}-r1`]);
  await k.settle();
  for (const a of placed) await k.setPhase(a.metadata.name, 'Running');
  await k.settle();
  expect((await job()).status).toMatchObject({ phase: 'Running', attempt });
}

async function failOne(attempt: number): Promise<void> {
  await k.setPhase(`train-a${attempt}-r1`, 'Failed', { exitCode: 3 });
  await k.settle();
  expect((await k.get('Allocation', `train-a${attempt}-r0`)).status?.stopRequested).toMatchObject({ reason: 'GangMemberFailed' });
  await k.honourStops();
  await k.settle();
}

describe('Job controller', () => {
  it('walks the happy path: Pending → Admitted → Running → Succeeded', async () => {
    await k.create('Job', 'train', gang());
    await k.settle();
    expect((await job()).status).toBeUndefined(); // fresh: Pending, left to the scheduling loop
    await k.bind('Job', 'train');
    await k.settle();
    const admitted = (await job()).status!;
    expect(admitted).toMatchObject({ phase: 'Admitted', startTime: admitted.admittedTime });
    await k.setPhase('train-a0-r0', 'Running');
    await k.settle();
    expect((await job()).status?.phase).toBe('Admitted'); // not every replica runs yet
    await k.setPhase('train-a0-r1', 'Running');
    await k.settle();
    expect((await job()).status?.phase).toBe('Running');
    await k.setPhase('train-a0-r0', 'Succeeded', { exitCode: 0 });
    await k.settle();
    expect((await job()).status?.phase).toBe('Running');
    await k.setPhase('train-a0-r1', 'Succeeded', { exitCode: 0 });
    await k.settle();
    const done = (await job()).status!;
    expect(done).toMatchObject({ phase: 'Succeeded', reason: 'Completed', completionTime: k.clock.now().toISOString() });
    expect((done.conditions as { type: string; status: string }[]).filter((c) => c.status === 'True').map((c) => c.type)).toEqual(
      expect.arrayContaining(['Admitted', 'Finished']),
    );
    expect(await events()).toEqual(expect.arrayContaining(['Running', 'Completed']));
    expect(await k.controllers[0]!.reconcileAll()).toBe(0); // settled: a further pass writes nothing
  });

  it('restarts the whole gang when one replica fails, with exponential backoff', async () => {
    await k.create('Job', 'train', gang());
    await runAttempt(0);
    await failOne(0);
    let s = (await job()).status!;
    expect(s).toMatchObject({ phase: 'Pending', attempt: 1, failures: 1 });
    expect(Date.parse(s.nextRetryTime as string) - k.clock.now().getTime()).toBe(10 * SEC);
    expect(await k.bind('Job', 'train')).toEqual([]); // backing off: nothing to place
    k.clock.advance(10 * SEC);
    await k.settle();
    expect((await job()).status?.nextRetryTime).toBeUndefined();
    await runAttempt(1);
    await failOne(1);
    s = (await job()).status!;
    expect(s).toMatchObject({ phase: 'Pending', attempt: 2, failures: 2 });
    expect(Date.parse(s.nextRetryTime as string) - k.clock.now().getTime()).toBe(20 * SEC);
    expect(await events()).toContain('Restarting');
  });

  it('fails once failures exceed backoffLimit, and at the first failure with restartPolicy Never', async () => {
    await k.create('Job', 'train', gang({ backoffLimit: 1 }));
    await runAttempt(0);
    await failOne(0);
    k.clock.advance(10 * SEC);
    await k.settle();
    await runAttempt(1);
    await failOne(1);
    expect((await job()).status).toMatchObject({ phase: 'Failed', reason: 'BackoffLimitExceeded', failures: 2 });
    expect(await k.bind('Job', 'train')).toEqual([]);

    await k.store.delete({ kind: 'Job', project: PROJECT, name: 'train' });
    await k.settle(); // garbage-collects the deleted Job's allocations
    expect(await k.allocations('train')).toEqual([]);
    await k.create('Job', 'train', gang({ restartPolicy: 'Never' }));
    await runAttempt(0);
    await failOne(0);
    expect((await job()).status).toMatchObject({ phase: 'Failed', reason: 'ReplicaFailed', failures: 1 });
  });

  it('treats a Lost replica like a failed one', async () => {
    await k.create('Job', 'train', gang());
    await runAttempt(0);
    await k.setPhase('train-a0-r0', 'Lost');
    await k.settle();
    expect((await job()).status).toMatchObject({ phase: 'Pending', attempt: 1, failures: 1 });
    expect((await job()).status?.message).toContain('lost');
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and stops every replica', async () => {
    await k.create('Job', 'train', gang({ activeDeadlineSeconds: 60 }));
    await runAttempt(0);
    k.clock.advance(59 * SEC);
    await k.settle();
    expect((await job()).status?.phase).toBe('Running');
    k.clock.advance(1 * SEC);
    await k.settle();
    expect((await job()).status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    const stops = (await k.allocations('train')).map((a) => (a.status?.stopRequested as { reason: string } | undefined)?.reason);
    expect(stops).toEqual(['DeadlineExceeded', 'DeadlineExceeded']);
  });

  it('suspends (stopping every replica) and resumes as a fresh attempt', async () => {
    await k.create('Job', 'train', gang());
    await runAttempt(0);
    await k.patchSpec('Job', 'train', { suspend: true });
    await k.settle();
    expect((await job()).status?.phase).toBe('Suspended');
    expect((await k.honourStops()).sort()).toEqual(['train-a0-r0', 'train-a0-r1']);
    expect(await k.bind('Job', 'train')).toEqual([]);
    await k.patchSpec('Job', 'train', { suspend: false });
    await k.settle();
    expect((await job()).status).toMatchObject({ phase: 'Pending', attempt: 1, failures: 0 });
    await runAttempt(1);
    expect(await events()).toEqual(expect.arrayContaining(['Suspended', 'Resumed']));
  });

  it('deletes the Job and its allocations ttlSecondsAfterFinished after it finished', async () => {
    await k.create('Job', 'train', gang({ ttlSecondsAfterFinished: 300 }));
    await runAttempt(0);
    await k.setPhase('train-a0-r0', 'Succeeded');
    await k.setPhase('train-a0-r1', 'Succeeded');
    await k.settle();
    expect((await job()).status?.phase).toBe('Succeeded');
    k.clock.advance(299 * SEC);
    await k.settle();
    expect(await k.store.get({ kind: 'Job', project: PROJECT, name: 'train' })).toBeDefined();
    k.clock.advance(1 * SEC);
    await k.settle();
    expect(await k.store.get({ kind: 'Job', project: PROJECT, name: 'train' })).toBeUndefined();
    expect(await k.allocations('train')).toEqual([]);
  });

  it('requeues a preempted gang without counting a failure', async () => {
    await k.create('Job', 'train', gang({ backoffLimit: 0 }));
    await runAttempt(0);
    // The scheduling loop asks for the stop; the provider ends the replica as Preempted.
    const victim = await k.get('Allocation', 'train-a0-r1');
    await k.store.update({ ...victim, status: { ...victim.status, stopRequested: { reason: 'Preempted', at: k.clock.now().toISOString(), graceSeconds: 30 } } });
    await k.honourStops();
    await k.settle();
    expect((await job()).status?.phase).toBe('Preempted');
    expect((await k.get('Allocation', 'train-a0-r0')).status?.stopRequested).toMatchObject({ reason: 'GangMemberPreempted' });
    await k.honourStops();
    await k.settle();
    expect((await job()).status).toMatchObject({ phase: 'Pending', attempt: 1, failures: 0 });
    expect((await job()).status?.nextRetryTime).toBeUndefined();
    await runAttempt(1);
  });

  it('survives a controller restart in the middle of a backoff', async () => {
    await k.create('Job', 'train', gang());
    await runAttempt(0);
    await failOne(0);
    expect(await k.bind('Job', 'train')).toEqual([]); // backing off
    const retryAt = (await job()).status?.nextRetryTime as string;
    // A new control plane: fresh controllers, same store. They know the retry time from status.
    const ac = new AbortController();
    const fresh = createWorkloadControllers({ store: k.store, clock: k.clock, tickMs: 10 });
    const running = fresh.controllers.map((c) => c.start(ac.signal));
    k.clock.advance(9 * SEC);
    await new Promise((r) => setTimeout(r, 100));
    expect((await job()).status?.nextRetryTime).toBe(retryAt);
    k.clock.advance(1 * SEC);
    await waitFor(async () => (await job()).status?.nextRetryTime === undefined);
    // The new controllers are watch-driven: binding and running attempt 1 needs no manual passes.
    const placed = await k.bind('Job', 'train');
    for (const a of placed) await k.setPhase(a.metadata.name, 'Running');
    await waitFor(async () => (await job()).status?.phase === 'Running');
    expect((await job()).status).toMatchObject({ attempt: 1, failures: 1 });
    ac.abort();
    await Promise.all(running);
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
