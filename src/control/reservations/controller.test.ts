// A reservation's life on the real scheduling loop, the workload controllers and a manual clock:
// booked through admission; before its start only work that ends in time backfills its capacity;
// at start what sits there is preempted (with its grace) or reported as a conflict, and the owner's
// work that asks for it runs there; at end the owner's work is stopped and the capacity returns.
import { describe, expect, it } from 'vitest';
import { ReservationKind } from '../../model/kinds/reservation.js';
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { createResource, deleteResource } from '../resources.js';
import { invoiceFor, usageFor } from '../metering/service.js';
import { h100Node, livePlanes, until } from '../testing/live-plane.js';
import { allocSpec, stopRequested } from '../workloads/allocations.js';
import { ReservationController } from './controller.js';

const OWNER = 'vision';
const OTHER = 'other';
const HOUR = 3_600_000;
const startPlane = livePlanes();

const job = (project: string, name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, project },
  spec: { replicas: 1, gang: { minAvailable: 1 }, isolation: 'dedicated', resources: { cpu: '1', gpu: { count: 8 } }, ...spec },
});

const get = (store: Store, project: string, name: string, kind = 'Job') => store.get({ kind, project, name }) as Promise<Resource>;
const phase = async (store: Store, project: string, name: string) => (await get(store, project, name))?.status?.phase;
const allocsOf = async (store: Store, project: string, name: string) =>
  (await store.list('Allocation', { project, labelSelector: `weft.dev/workload=${name}` })).items;
const running = (store: Store, project: string, name: string) => until(`${name} running`, async () => ((await phase(store, project, name)) === 'Running' ? true : undefined));
const events = async (store: Store, reason: string) => (await store.list('Event', { project: OWNER })).items.filter((e) => (e.spec as { reason: string }).reason === reason);

describe('reservation controller', () => {
  it('backfills before start, preempts or reports conflicts at start, runs only the owner during the window, and stops it at end', async () => {
    const { store, clock } = await startPlane({
      project: OWNER,
      seed: async (s) => {
        await s.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: OTHER }, spec: {} });
        await s.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'spot' }, spec: { value: 0, preemptible: true } });
        await s.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'firm' }, spec: { value: 0 } });
        for (const n of ['n-a', 'n-b', 'n-c']) await s.create(h100Node(n));
      },
    });
    const ctl = new ReservationController({ store, clock });
    const t0 = clock.now().getTime();
    // Two nodes are busy before anything is booked: one with preemptible work, one with work that may not be preempted.
    await store.create(job(OTHER, 'spot', { priorityClass: 'spot' }));
    await store.create(job(OTHER, 'firm', { priorityClass: 'firm' }));
    await running(store, OTHER, 'spot');
    await running(store, OTHER, 'firm');

    // The whole fleet, 24 GPUs, booked from t0+1h to t0+3h.
    const body = { kind: 'Reservation', metadata: { name: 'train' }, spec: { start: new Date(t0 + HOUR).toISOString(), end: new Date(t0 + 3 * HOUR).toISOString(), gpus: 24, model: 'H100-80GB' } };
    const r = await createResource(store, ReservationKind, body, { project: OWNER }, { now: clock.now() });
    expect((r.status?.booking as { nodes: unknown[] }).nodes).toHaveLength(3);

    // Before start: work that could run past the start stays off; work that ends in time backfills.
    await store.create(job(OTHER, 'slow', { maxRuntimeSeconds: 7200 }));
    await until('slow explained', async () => ((await get(store, OTHER, 'slow')).status?.scheduling ? true : undefined));
    expect(JSON.stringify((await get(store, OTHER, 'slow')).status?.scheduling)).toContain('booked by a reservation');
    await store.create(job(OTHER, 'quick', { maxRuntimeSeconds: 1800, priorityClass: 'spot' }));
    await running(store, OTHER, 'quick');
    expect(await phase(store, OTHER, 'slow')).toBe('Pending');
    // The owner's work for the reservation waits for the window.
    await store.create(job(OWNER, 'main', { reservation: 'train' }));
    await ctl.reconcileAll();
    expect((await get(store, OWNER, 'train', 'Reservation')).status?.phase).toBe('Pending');

    // Start: the preemptible work goes with its grace; the rest is a conflict on the reservation.
    clock.advance(HOUR);
    await ctl.reconcileAll();
    const active = await get(store, OWNER, 'train', 'Reservation');
    expect(active.status?.phase).toBe('Active');
    expect(active.status?.conflicts).toEqual([{ workload: `Job/${OTHER}/firm`, node: allocSpec((await allocsOf(store, OTHER, 'firm'))[0]!).node, gpus: 8 }]);
    for (const name of ['spot', 'quick']) {
      const stop = stopRequested((await allocsOf(store, OTHER, name))[0]!);
      expect(stop?.reason).toBe(`Preempted by reservation ${OWNER}/train`);
      expect(stop?.graceSeconds).toBe(30);
    }
    expect(stopRequested((await allocsOf(store, OTHER, 'firm'))[0]!)).toBeUndefined();
    expect((await events(store, 'Started')).length).toBe(1);
    expect((await events(store, 'Preempted'))[0]!.spec).toMatchObject({ message: expect.stringContaining(`Job/${OTHER}/spot`) });
    expect((await events(store, 'Conflict'))[0]!.spec).toMatchObject({ type: 'Warning', message: expect.stringContaining(`Job/${OTHER}/firm`) });

    // During: the owner's work runs on the freed booked capacity; others' stays pending.
    await running(store, OWNER, 'main');
    expect(await phase(store, OTHER, 'slow')).toBe('Pending');
    await store.create(job(OTHER, 'late-spot', { priorityClass: 'spot' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(await phase(store, OTHER, 'late-spot')).toBe('Pending');

    // End: the owner's work is asked to stop, and the capacity returns to the pool.
    clock.advance(2 * HOUR);
    await ctl.reconcileAll();
    expect((await get(store, OWNER, 'train', 'Reservation')).status?.phase).toBe('Ended');
    await until('main stopped', async () => ((await allocsOf(store, OWNER, 'main')).every((a) => stopRequested(a)?.reason === `Reservation ${OWNER}/train ended`) ? true : undefined));
    expect((await events(store, 'Ended'))[0]!.spec).toMatchObject({ message: expect.stringContaining('1 replica(s) asked to stop') });
    await running(store, OTHER, 'slow');

    // The bill: the whole window's 24 GPUs × 2 h at the reservation's own price, used or not; the
    // owner's 8 GPUs × 2 h inside it are covered by that charge.
    await store.create({ apiVersion: 'weft/v1', kind: 'PriceBook', metadata: { name: 'list' }, spec: { currency: 'EUR', prices: [{ resource: 'gpu', model: 'H100-80GB', pricePerHour: '3.00' }, { resource: 'reservation', model: 'H100-80GB', pricePerHour: '2.00' }] } });
    const month = clock.now().toISOString().slice(0, 7);
    const invoice = await invoiceFor(store, OWNER, month, clock.now());
    const booked = invoice.lines.find((l) => l.resource === 'reservation:H100-80GB')!;
    expect(booked).toMatchObject({ description: 'Reservation train (H100-80GB) booked GPU-hours', quantity: 48, unitPrice: '2.00', amount: '96.00' });
    const covered = invoice.lines.find((l) => l.resource === 'gpu:H100-80GB' && l.description.includes('covered by its charge'))!;
    expect(covered).toMatchObject({ resource: 'gpu:H100-80GB', quantity: 16, amount: '0.00' });
    expect(invoice.reservations).toEqual([{ project: OWNER, name: 'train', model: 'H100-80GB', gpus: 24, start: body.spec.start, end: body.spec.end, reservedGpuHours: 48, usedGpuHours: 16 }]);
    const usage = await usageFor(store, { from: new Date(t0), to: clock.now(), now: clock.now(), by: 'project', project: OWNER });
    expect(usage.reservations?.[0]).toMatchObject({ name: 'train', reservedGpuHours: 48, usedGpuHours: 16 });
    // Billed for its window, it is kept: deleting it is refused.
    await expect(deleteResource(store, ReservationKind, { project: OWNER, name: 'train' })).rejects.toThrow(/billed for its window/);
  });
});
