// The scheduler's "why pending" and locality reach the workload's status through the live loop.
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ManualClock } from './clock.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';

function node(name: string, gpus: number, rack: string): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Node',
    metadata: { name },
    spec: { cpu: '64', memory: '512Gi', rack, gpus: Array.from({ length: gpus }, (_, i) => ({ index: i, uuid: `GPU-${name}-${i}`, model: 'H100-80GB' })) },
  };
}

function job(project: string, name: string, spec: Record<string, unknown>): ResourceInput {
  return { apiVersion: 'weft/v1', kind: 'Job', metadata: { name, project }, spec: { replicas: 1, isolation: 'dedicated', ...spec } };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`${what}: not reached in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Scheduling {
  explanation?: string;
  details?: { code: string; data?: Record<string, unknown> }[];
  locality?: Record<string, unknown>;
}

describe('why pending, on the workload status', () => {
  let store: Store;
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await store?.close();
  });

  const get = async (project: string, name: string): Promise<Resource | undefined> => (await store.get({ kind: 'Job', project, name })) ?? undefined;

  it('writes the explanation, structured reasons and locality', async () => {
    store = await openStore();
    for (const p of ['alpha', 'beta']) await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: p }, spec: {} });
    await store.create(node('r1-a', 4, 'r1'));
    await store.create(node('r1-b', 4, 'r1'));
    await store.create(node('r2-a', 4, 'r2'));
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 50, policy: 'best-fit' });

    // Fits only within rack r1: placed there, and the status says so.
    await store.create(job('alpha', 'pair', { replicas: 2, resources: { gpu: { count: 4 } }, topology: { within: 'rack', mode: 'required' } }));
    const placed = await until('pair placed', async () => {
      const s = (await get('alpha', 'pair'))?.status as { locality?: Record<string, unknown> } | undefined;
      return s?.locality ? s.locality : undefined;
    });
    expect(placed).toEqual({ within: 'rack', mode: 'required', domain: 'r1', achieved: true });

    // Rack r2 is the only one left with room, and only for one replica.
    await store.create(job('alpha', 'wide', { replicas: 2, resources: { gpu: { count: 3 } }, topology: { within: 'rack', mode: 'required' } }));
    const wide = await until('wide explained', async () => {
      const s = (await get('alpha', 'wide'))?.status?.scheduling as Scheduling | undefined;
      return s?.explanation ? s : undefined;
    });
    expect(wide.explanation).toBe('needs 2 replicas of 3×GPU within one rack; best rack r2 has 4 free GPUs (room for 1 of 2 replicas)');
    expect(wide.details?.[0]).toMatchObject({ code: 'TopologyDomain', data: { bestDomain: 'r2', bestFreeGpus: 4 } });
    expect(wide.locality).toEqual({ within: 'rack', mode: 'required', domain: 'r2', achieved: false });

    // beta takes r2-a exclusively; alpha's next job may not join it.
    await store.create(job('beta', 'solo', { isolation: 'exclusive-node', resources: { gpu: { count: 1 } } }));
    await until('solo placed', async () => ((await store.list('Allocation', { project: 'beta' })).items.length === 1 ? true : undefined));
    await store.create(job('alpha', 'late', { resources: { gpu: { count: 1 } } }));
    const late = await until('late explained', async () => {
      const s = (await get('alpha', 'late'))?.status?.scheduling as Scheduling | undefined;
      return s?.explanation ? s : undefined;
    });
    expect(late.explanation).toMatch(/^needs 1×GPU; 0\/3 nodes fit \(2 short of free GPUs, 1 closed by exclusive-node isolation\)/);
    expect((await store.list('Allocation', { project: 'alpha' })).items.map((a) => (a.spec as { node: string }).node).sort()).toEqual(['r1-a', 'r1-b']);
  }, 90_000);

  it('refuses, with the reason, a job no node could ever hold, and preempts nothing for it', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'alpha' }, spec: {} });
    await store.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'low' }, spec: { value: 0, preemptible: true } });
    await store.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'high' }, spec: { value: 100 } });
    await store.create(node('n0', 8, 'r1'));
    await store.create(node('n1', 8, 'r1'));
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 50, policy: 'best-fit' });
    await store.create(job('alpha', 'small', { priorityClass: 'low', resources: { gpu: { count: 8 } } }));
    await until('small placed', async () => ((await store.list('Allocation', { project: 'alpha' })).items.length === 1 ? true : undefined));
    await store.create(job('alpha', 'huge', { priorityClass: 'high', resources: { gpu: { count: 16 } } }));
    const huge = await until('huge explained', async () => {
      const s = (await get('alpha', 'huge'))?.status?.scheduling as Scheduling | undefined;
      return s?.explanation ? s : undefined;
    });
    expect(huge.explanation).toBe('needs 16×GPU; can never fit this fleet: asks 16 GPUs per replica; the largest node has 8');
    expect(huge.details?.[0]).toMatchObject({ code: 'Unsatisfiable', data: { clause: 'asks 16 GPUs per replica; the largest node has 8' } });
    // A few more cycles: the low-priority job keeps running, since no eviction could make room.
    await new Promise((r) => setTimeout(r, 300));
    const small = (await store.list('Allocation', { project: 'alpha' })).items[0]!;
    expect((small.status as { stopRequested?: unknown } | undefined)?.stopRequested).toBeUndefined();
  }, 90_000);

  it('backfill: reserves for the head job and keeps work without a declared end off it', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'alpha' }, spec: {} });
    await store.create(node('n0', 8, 'r1'));
    await store.create(node('n1', 6, 'r1'));
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 50, policy: 'best-fit' });
    const nodeOf = async (name: string): Promise<string | undefined> =>
      (await store.list('Allocation', { project: 'alpha', labelSelector: `weft.dev/workload=${name}` })).items.map((a) => (a.spec as { node: string }).node)[0];

    // 4 GPUs on n0 for at most an hour (best-fit: n0 has 8, n1 6 — n1 is the tighter fit, so fill it first).
    await store.create(job('alpha', 'filler', { resources: { gpu: { count: 6 } } }));
    expect(await until('filler placed', () => nodeOf('filler'))).toBe('n1');
    await store.create(job('alpha', 'running', { resources: { gpu: { count: 4 } }, maxRuntimeSeconds: 3600 }));
    expect(await until('running placed', () => nodeOf('running'))).toBe('n0');
    await store.create(job('alpha', 'head', { resources: { gpu: { count: 8 } } }));
    const head = await until('head reserved', async () => {
      const s = (await get('alpha', 'head'))?.status?.scheduling as (Scheduling & { reservation?: { nodes: string[] } }) | undefined;
      return s?.reservation ? s : undefined;
    });
    expect(head.reservation!.nodes).toEqual(['n0']);
    expect(head.explanation).toMatch(/expected to start in .* on 1 reserved node/);

    // No declared end: it would delay the head, so it waits although n0 has 4 free GPUs.
    await store.create(job('alpha', 'endless', { resources: { gpu: { count: 4 } } }));
    const endless = await until('endless explained', async () => {
      const s = (await get('alpha', 'endless'))?.status?.scheduling as Scheduling | undefined;
      return s?.explanation ? s : undefined;
    });
    expect(endless.explanation).toContain('kept off nodes reserved for');
    // Ends well within the hour: it may use the gap.
    await store.create(job('alpha', 'short', { resources: { gpu: { count: 4 } }, maxRuntimeSeconds: 600 }));
    expect(await until('short placed', () => nodeOf('short'))).toBe('n0');
    expect(await nodeOf('endless')).toBeUndefined();
  }, 90_000);
});
