// Priority preemption end to end: the real control plane on an in-memory store, with a stand-in
// provider that stops what it is asked to stop (Preempted when the reason says so, as the
// simulated provider does).
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ManualClock } from './clock.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { isActive, stopRequested } from './workloads/allocations.js';
import { createWorkloadControllers } from './workloads/index.js';

const P = 'team';
let store: Store;
let cp: ControlPlane | undefined;
let provider: AbortController | undefined;
afterEach(async () => {
  provider?.abort();
  await cp?.stop();
  await store?.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function runProvider(s: Store, clock: ManualClock, signal: AbortSignal): void {
  void (async () => {
    while (!signal.aborted) {
      for (const a of (await s.list('Allocation')).items) {
        if (!isActive(a)) continue;
        const at = clock.now().toISOString();
        const stop = stopRequested(a);
        const next: Record<string, unknown> | undefined = stop
          ? { phase: /preempt/i.test(stop.reason) ? 'Preempted' : 'Stopped', finishedAt: at }
          : !a.status?.phase
            ? { phase: 'Running', startedAt: at }
            : undefined;
        if (next) await s.update({ ...a, status: { ...a.status, ...next } }, { resourceVersion: a.metadata.resourceVersion }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

const node = (name: string): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Node',
  metadata: { name },
  spec: { cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB' })) },
});
const priorityClass = (name: string, value: number, extra: Record<string, unknown> = {}): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'PriorityClass',
  metadata: { name },
  spec: { value, ...extra },
});
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
    const clock = new ManualClock();
    store = await openStore({ now: () => clock.now() });
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await store.create(priorityClass('urgent', 1000));
    await store.create(priorityClass('standard', 100, { globalDefault: true }));
    await store.create(priorityClass('best-effort', 0, { preemptible: true }));
    for (const n of ['n1', 'n2', 'n3']) await store.create(node(n));
    const wc = createWorkloadControllers({ store, clock, tickMs: 20 });
    cp = startControlPlane({ store, clock, cycleIntervalMs: 50, ...wc });
    await cp.leading;
    provider = new AbortController();
    runProvider(store, clock, provider.signal);

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
    const clock = new ManualClock();
    store = await openStore({ now: () => clock.now() });
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await store.create(priorityClass('urgent', 1000));
    await store.create(priorityClass('standard', 100, { globalDefault: true }));
    await store.create(node('n1'));
    const wc = createWorkloadControllers({ store, clock, tickMs: 20 });
    cp = startControlPlane({ store, clock, cycleIntervalMs: 50, ...wc });
    await cp.leading;
    provider = new AbortController();
    runProvider(store, clock, provider.signal);
    await store.create(job('steady', 'standard', 1, 1));
    await until('steady running', async () => ((await get('steady'))?.status?.phase === 'Running' ? true : undefined));
    await store.create(job('hot', 'urgent', 1, 1));
    await until('hot explained', async () => ((await get('hot'))?.status?.scheduling ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect((await allocs('steady')).every((a) => isActive(a) && !stopRequested(a))).toBe(true);
    expect(await events('hot')).not.toContain('Preempting');
  });
});
