// GPU shares and MIG slices on booked GPUs, on the real scheduling loop with a manual clock: such
// work takes its whole GPU from the booking, so the reservation controller evicts it (with the
// workload's grace) for an owner waiting on shareWhenIdle capacity, and at the window's start —
// or, when it may not be preempted, reports it as a conflict holding that GPU.
import { describe, expect, it } from 'vitest';
import { ReservationKind } from '../../model/kinds/reservation.js';
import type { ResourceInput } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { createResource } from '../resources.js';
import { h100Node, livePlanes, until } from '../testing/live-plane.js';
import { stopRequested } from '../workloads/allocations.js';
import { ReservationController } from './controller.js';

const OWNER = 'vision';
const OTHER = 'other';
const HOUR = 3_600_000;
const startPlane = livePlanes();

/** One replica; `gpu` as a workload asks for it. */
const job = (project: string, name: string, gpu: Record<string, unknown>, spec: Record<string, unknown> = {}): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, project },
  spec: { replicas: 1, gang: { minAvailable: 1 }, isolation: 'share' in gpu ? 'shared' : 'mig' in gpu ? 'mig' : 'dedicated', resources: { cpu: '1', gpu }, ...spec },
});
/** Eight H100s; with `mig`, the GPUs listed run in MIG mode. */
const node = (name: string, mig: number[] = []): ResourceInput => {
  const n = h100Node(name);
  const gpus = (n.spec as { gpus: { index: number; model: string }[] }).gpus;
  return { ...n, spec: { ...n.spec, gpus: gpus.map((g) => (mig.includes(g.index) ? { ...g, migEnabled: true } : g)) } };
};

const phase = async (store: Store, project: string, name: string) => (await store.get({ kind: 'Job', project, name }))?.status?.phase;
const running = (store: Store, project: string, name: string) => until(`${name} running`, async () => ((await phase(store, project, name)) === 'Running' ? true : undefined));
const stopOf = async (store: Store, project: string, name: string) => {
  const { items } = await store.list('Allocation', { project, labelSelector: `weft.dev/workload=${name}` });
  expect(items).toHaveLength(1);
  return stopRequested(items[0]!);
};

async function plane(nodes: ResourceInput[]) {
  const p = await startPlane({
    project: OWNER,
    seed: async (s) => {
      await s.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: OTHER }, spec: {} });
      await s.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'spot' }, spec: { value: 0, preemptible: true } });
      await s.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'firm' }, spec: { value: 0 } });
      for (const n of nodes) await s.create(n);
    },
  });
  return { ...p, ctl: new ReservationController({ store: p.store, clock: p.clock }), t0: p.clock.now().getTime() };
}

const reserve = (store: Store, now: Date, t0: number, spec: Record<string, unknown>) =>
  createResource(store, ReservationKind, { kind: 'Reservation', metadata: { name: 'train' }, spec: { start: new Date(t0 + HOUR).toISOString(), end: new Date(t0 + 3 * HOUR).toISOString(), model: 'H100-80GB', ...spec } }, { project: OWNER }, { now });

describe('reservation controller: GPU shares and MIG slices on booked GPUs', () => {
  it.each([
    // The sharer holds half of one GPU; the owner needs all eight whole.
    { what: 'a GPU share', nodes: [node('n-a')], gpus: 8, sharer: { share: 0.5 }, owner: { count: 8 } },
    // The sharer holds 3 of the one MIG GPU's slices; the owner needs that GPU as one instance.
    { what: 'a MIG slice', nodes: [node('n-m', [0])], gpus: 8, sharer: { mig: '3g.40gb' }, owner: { mig: '7g.80gb' } },
  ])("evicts another project's preemptible work on $what from shareWhenIdle capacity, with its grace, once the owner waits", async ({ nodes, gpus, sharer, owner }) => {
    const { store, clock, ctl, t0 } = await plane(nodes);
    await reserve(store, clock.now(), t0, { gpus, shareWhenIdle: true });
    clock.advance(HOUR);
    await ctl.reconcileAll();

    // Idle booked capacity takes the other project's preemptible work, and keeps it while the owner waits for nothing.
    await store.create(job(OTHER, 'sharer', sharer, { priorityClass: 'spot', terminationGracePeriodSeconds: 90 }));
    await running(store, OTHER, 'sharer');
    await ctl.reconcileAll();
    expect(await stopOf(store, OTHER, 'sharer')).toBeUndefined();

    // The owner asks for its reservation: the sharer goes with its own grace, and the owner runs.
    await store.create(job(OWNER, 'main', owner, { reservation: 'train' }));
    await ctl.reconcileAll();
    expect(await stopOf(store, OTHER, 'sharer')).toMatchObject({ reason: `Preempted by reservation ${OWNER}/train`, graceSeconds: 90 });
    await running(store, OWNER, 'main');
    const r = await store.get({ kind: 'Reservation', project: OWNER, name: 'train' });
    expect(r?.status?.conflicts).toEqual([]);
  });

  it('at start preempts GPU-share and MIG work on booked GPUs and reports a share that may not be preempted as a conflict', async () => {
    // GPU 7 runs in MIG mode; shares of 0.6 cannot sit on one GPU together.
    const { store, clock, ctl, t0 } = await plane([node('n-a', [7])]);
    await store.create(job(OTHER, 'firm-share', { share: 0.6 }, { priorityClass: 'firm' }));
    await store.create(job(OTHER, 'spot-share', { share: 0.6 }, { priorityClass: 'spot' }));
    await store.create(job(OTHER, 'spot-mig', { mig: '1g.10gb' }, { priorityClass: 'spot' }));
    for (const name of ['firm-share', 'spot-share', 'spot-mig']) await running(store, OTHER, name);

    // Every GPU of the node, booked after that work started.
    await reserve(store, clock.now(), t0, { gpus: 8 });
    clock.advance(HOUR);
    await ctl.reconcileAll();
    const r = await store.get({ kind: 'Reservation', project: OWNER, name: 'train' });
    expect(r?.status?.phase).toBe('Active');
    expect(r?.status?.conflicts).toEqual([{ workload: `Job/${OTHER}/firm-share`, node: 'n-a', gpus: 1 }]);
    for (const name of ['spot-share', 'spot-mig']) expect(await stopOf(store, OTHER, name)).toMatchObject({ reason: `Preempted by reservation ${OWNER}/train`, graceSeconds: 30 });
    expect(await stopOf(store, OTHER, 'firm-share')).toBeUndefined();
  });
});
