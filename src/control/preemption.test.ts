// Priority preemption end to end: the real control plane on an in-memory store, with a stand-in
// provider that stops what it is asked to stop (Preempted when the reason says so, as the
// simulated provider does).
import { describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import type { Store } from '../store/types.js';
import { h100Node as node, livePlanes, until } from './testing/live-plane.js';
import { isActive, stopRequested } from './workloads/allocations.js';

const P = 'team';
const startPlane = livePlanes();
let store: Store;

const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'PriorityClass',
  metadata: { name },
  spec: { value, ...extra },
});
/** An urgent class and the (not preemptible) default one. */
async function seedClasses(s: Store): Promise<void> {
  await s.create(priorityClass('urgent', 1000));
  await s.create(priorityClass('standard', 100, { globalDefault: true }));
}
const job = (name: string, priorityClass: string, replicas: number, minAvailable: number): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, project: P },
  spec: { replicas, gang: { minAvailable }, priorityClass, resources: { cpu: '1', memory: '1Gi', gpu: { count: 8 } } },
});
const get = async (name: string): Promise<Resource | undefined> => store.get({ kind: 'Job', project: P, name });
const allocs = async (name: string): Promise<Resource[]> => (await store.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items;
const events = async (name: string): Promise<string[]> =>
  (await store.list('Event', { project: P, labelSelector: `weft.dev/involved-name=${name}` })).items.map((e) => (e.spec as { reason: string }).reason);

describe('priority preemption', () => {
  it('stops a lower-priority preemptible gang, requeues it without a failure, and runs the urgent job', async () => {
    ({ store } = await startPlane({
      project: P,
      seed: async (s) => {
        await seedClasses(s);
        await s.create(priorityClass('best-effort', 0, { preemptible: true }));
        for (const n of ['n1', 'n2', 'n3']) await s.create(node(n));
      },
    }));

    // A standard job (not preemptible, though lower) and a best-effort sweep fill the three nodes.
    await store.create(job('steady', 'standard', 1, 1));
    await until('steady running', async () => ((await get('steady'))?.status?.phase === 'Running' ? true : undefined));
    const sweep = job('sweep', 'best-effort', 2, 1);
    await store.create({ ...sweep, spec: { ...sweep.spec, terminationGracePeriodSeconds: 45 } });
    await until('sweep running', async () => ((await get('sweep'))?.status?.phase === 'Running' ? true : undefined));
    const first = await allocs('sweep');
    expect(first).toHaveLength(2);

    await store.create(job('hot', 'urgent', 1, 1));
    // The sweep is one gang: both replicas are asked to stop, and end Preempted.
    await until('sweep preempted', async () => {
      const a = await allocs('sweep');
      return a.filter((x) => x.status?.phase === 'Preempted').length === 2 ? a : undefined;
    });
    for (const a of first) {
      const now = (await store.get({ kind: 'Allocation', project: P, name: a.metadata.name }))!;
      expect(stopRequested(now)).toMatchObject({ reason: 'Preempted by Job/team/hot', graceSeconds: 45 }); // the victim's own grace
    }
    await until('hot running', async () => ((await get('hot'))?.status?.phase === 'Running' ? true : undefined));
    // Requeued as the next attempt without counting a failure; it runs again on what is left.
    await until('sweep back', async () => {
      const s = await get('sweep');
      return s?.status?.phase === 'Running' && s.status.attempt === 1 ? s : undefined;
    });
    expect((await get('sweep'))!.status?.failures ?? 0).toBe(0);
    const steady = await allocs('steady');
    expect(steady.every((a) => !stopRequested(a))).toBe(true);
    expect(await events('sweep')).toContain('Preempted');
    expect(await events('hot')).toContain('Preempting');
    const hotNode = (await allocs('hot'))[0]!.spec as { node: string };
    expect(first.map((a) => (a.spec as { node: string }).node)).toContain(hotNode.node);
    expect((await allocs('sweep')).filter(isActive)).toHaveLength(1);
  });

  it('does not preempt work whose class is not preemptible', async () => {
    ({ store } = await startPlane({
      project: P,
      seed: async (s) => {
        await seedClasses(s);
        await s.create(node('n1'));
      },
    }));
    await store.create(job('steady', 'standard', 1, 1));
    await until('steady running', async () => ((await get('steady'))?.status?.phase === 'Running' ? true : undefined));
    await store.create(job('hot', 'urgent', 1, 1));
    await until('hot explained', async () => ((await get('hot'))?.status?.scheduling ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect((await allocs('steady')).every((a) => isActive(a) && !stopRequested(a))).toBe(true);
    expect(await events('hot')).not.toContain('Preempting');
  });
});
