// Fair share end to end: the real control plane on an in-memory store, Queue resources, and a
// stand-in provider that stops what it is asked to stop (Preempted when the reason says so).
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { kindDef } from '../model/registry.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createResource, replaceResource } from './resources.js';
import { h100Node as node, livePlanes, until } from './testing/live-plane.js';
import { isActive, stopRequested } from './workloads/allocations.js';

const P = 'team';
const startPlane = livePlanes();
let store: Store;
/** A store a test opened without a control plane. */
let bare: Store | undefined;
afterEach(async () => {
  await bare?.close();
  bare = undefined;
});

const queue = (name: string, spec: Record<string, unknown>): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Queue', metadata: { name }, spec });
const job = (name: string, q: string): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, project: P },
  spec: { replicas: 1, queue: q, priorityClass: 'standard', resources: { cpu: '1', memory: '1Gi', gpu: { count: 8 } } },
});
/** Queues org → team-a, team-b (8 H100 each; `teamA` adds to team-a's spec), two 8-GPU nodes, one priority class. */
const twoTeams =
  (teamA: Record<string, unknown> = {}) =>
    async (s: Store): Promise<void> => {
    // Not preemptible: only a reclaim may stop this work.
      await s.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'standard' }, spec: { value: 100 } });
      await s.create(queue('org', {}));
      await s.create(queue('team-a', { parent: 'org', nominalQuota: { gpu: { 'H100-80GB': 8 } }, ...teamA }));
      await s.create(queue('team-b', { parent: 'org', nominalQuota: { gpu: { 'H100-80GB': 8 } } }));
      for (const n of ['n1', 'n2']) await s.create(node(n));
    };
const get = async (name: string): Promise<Resource | undefined> => store.get({ kind: 'Job', project: P, name });
const allocs = async (name: string): Promise<Resource[]> => (await store.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items;
const queueStatus = async (name: string): Promise<Record<string, unknown>> => (await store.get({ kind: 'Queue', name }))?.status ?? {};
const running = async (name: string): Promise<true | undefined> => ((await get(name))?.status?.phase === 'Running' ? true : undefined);

describe('fair share in the scheduling loop', () => {
  it('lends idle quota to a sibling queue and reclaims it by preempting the borrower, even at equal priority', async () => {
    const plane = await startPlane({ project: P, seed: twoTeams() });
    ({ store } = plane);
    const { clock } = plane;

    // team-b uses its own 8 GPUs, then borrows team-a's idle 8.
    await store.create(job('b-own', 'team-b'));
    await until('b-own running', () => running('b-own'));
    clock.advance(60_000);
    await store.create(job('b-loan', 'team-b'));
    await until('b-loan running', () => running('b-loan'));
    const loaned = await allocs('b-loan');
    const status = await until('team-b status shows the loan', async () => {
      const s = await queueStatus('team-b');
      return (s.borrowed as Record<string, number> | undefined)?.['H100-80GB'] === 8 ? s : undefined;
    });
    expect(status).toMatchObject({ usage: { 'H100-80GB': 16 }, admittedGangs: 2 });
    await until('team-a status shows it lent', async () => ((await queueStatus('team-a')).lent as Record<string, number> | undefined)?.['H100-80GB'] === 8 || undefined);

    // team-a needs its quota back: the borrower goes (same priority), the lender's own work stays.
    clock.advance(60_000);
    await store.create(job('a-1', 'team-a'));
    await until('b-loan preempted', async () => ((await allocs('b-loan')).some((a) => a.status?.phase === 'Preempted') ? true : undefined));
    const stopped = (await store.get({ kind: 'Allocation', project: P, name: loaned[0]!.metadata.name }))!;
    expect(stopRequested(stopped)).toMatchObject({ reason: 'Preempted by Job/team/a-1: queue team-a reclaims lent H100-80GB quota', graceSeconds: 30 });
    await until('a-1 running', () => running('a-1'));
    expect((await allocs('b-own')).every((a) => isActive(a) && !stopRequested(a))).toBe(true);

    // The borrower is requeued and waits: team-b is at its nominal and nothing is idle to borrow.
    await until('b-loan waits on quota', async () => {
      const j = await get('b-loan');
      const sched = j?.status?.scheduling as { message?: string } | undefined;
      return j?.status?.attempt === 1 && sched?.message ? sched.message : undefined;
    });
    expect((await allocs('b-loan')).filter(isActive)).toHaveLength(0);
    expect((await get('b-loan'))!.status?.failures ?? 0).toBe(0);
    await until('queue statuses settle', async () => {
      const [a, b] = [await queueStatus('team-a'), await queueStatus('team-b')];
      return (a.usage as Record<string, number>)?.['H100-80GB'] === 8 && b.pendingGangs === 1 && Object.keys(b.borrowed as object).length === 0 ? true : undefined;
    });
  }, 120_000);

  it('keeps a queue within nominal + borrowing limit, with the reason on the workload', async () => {
    ({ store } = await startPlane({ project: P, workloads: false, seed: twoTeams({ borrowingLimit: { gpu: { 'H100-80GB': 0 } } }) }));
    await store.create(job('a-1', 'team-a'));
    await until('a-1 placed', async () => ((await allocs('a-1')).length ? true : undefined));
    await store.create(job('a-2', 'team-a'));
    const why = await until('a-2 explained', async () => (await get('a-2'))?.status?.scheduling as { message: string } | undefined);
    expect(why.message).toMatch(/queue team-a: quota H100-80GB 8\/8 used/);
    expect(await allocs('a-2')).toHaveLength(0);
  }, 60_000);

  it('admits a workload only to an existing queue, and not to another project’s queue', async () => {
    store = bare = await openStore();
    for (const name of [P, 'other']) await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name }, spec: {} });
    await store.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'standard' }, spec: { value: 100 } });
    await store.create(queue('shared', {}));
    await store.create(queue('others-only', { project: 'other' }));
    const submit = (q: string) => createResource(store, kindDef('Job')!, job('j', q), { project: P });
    await expect(submit('missing')).rejects.toMatchObject({ status: 422, issues: [{ field: 'spec.queue', message: 'queue "missing" does not exist' }] });
    await expect(submit('others-only')).rejects.toMatchObject({ issues: [{ field: 'spec.queue', message: 'queue "others-only" belongs to project "other"' }] });
    expect((await submit('shared')).spec).toMatchObject({ queue: 'shared' });
  });

  it('keeps the queue tree a tree: no unknown parent, no cycle', async () => {
    store = bare = await openStore();
    const def = kindDef('Queue')!;
    await expect(createResource(store, def, queue('lost', { parent: 'nowhere' }), {})).rejects.toMatchObject({
      status: 422,
      issues: [{ field: 'spec.parent', message: 'queue "lost" names parent "nowhere", which does not exist' }],
    });
    await createResource(store, def, queue('a', {}), {});
    await createResource(store, def, queue('b', { parent: 'a' }), {});
    await expect(replaceResource(store, def, queue('a', { parent: 'b' }), { name: 'a' })).rejects.toMatchObject({ issues: [{ field: 'spec.parent' }] });
    await expect(createResource(store, def, queue('c', { parent: 'b', nominalQuota: { cpu: 'many' } }), {})).rejects.toMatchObject({
      issues: [{ field: 'spec.nominalQuota.cpu' }],
    });
  });
});
