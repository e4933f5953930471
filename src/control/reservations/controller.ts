// The reservation controller (leader-only, injected clock): moves each Reservation through
// Pending → Active → Ended and does what each transition asks.
//
//   start   phase Active, Event Started. Then, for as long as the window is open, work that sits
//           on the booked capacity without asking for the reservation is evicted when its priority
//           class allows (stop with its grace, Event Preempted), else reported as a conflict
//           (status.conflicts, Event Conflict). With shareWhenIdle, other tenants' preemptible
//           work may stay until the owner has work waiting for the reservation. A GPU share or a
//           MIG slice takes its whole GPU from the booking, as a whole-GPU replica does
//           (clearing.ts decides, GPU by GPU).
//   end     phase Ended, Event Ended; with atEnd Stop the owner's work still on it is stopped
//           with its grace, with Continue it runs on in the shared pool.
//
// The scheduler keeps new work off booked capacity by itself (scheduler/bookings.ts); this
// controller only clears what was there before, and writes the transitions.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import { WORKLOAD_KIND_NAMES } from '../../model/kind-names.js';
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { NodeSpec } from '../../model/kinds/node.js';
import type { PriorityClassSpec } from '../../model/kinds/priority-class.js';
import type { BookingStatus, ReservationPhase, ReservationSpec } from '../../model/kinds/reservation.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { recordEvent } from '../events.js';
import { graceOf, ownerKey, requestStop, stopRequested } from '../workloads/allocations.js';
import { phaseOf, reservationId, windowOf } from './calendar-view.js';
import { clearNode, type Fate, type Outsider } from './clearing.js';
import { reservationAsked } from './view.js';
import { PollingController, type PollingOptions } from '../polling.js';
import { listAtOneVersion } from '../lists-at-one-version.js';

export type ReservationControllerOptions = PollingOptions;

export interface Conflict {
  workload: string;
  node: string;
  gpus: number;
}

const SOURCE = 'reservation-controller';

/** The GPUs an allocation holds any part of: a share or a MIG slice keeps its GPU from the booking too. */
const gpusHeld = (a: Resource): number[] => (a.spec as unknown as AllocationSpec).gpus.map((g) => g.index);
const keyOf = (o: { kind: string; project: string; name: string }): string => `${o.kind}/${o.project}/${o.name}`;

/** What one pass sees: active allocations by node, the workloads they belong to, which classes may be preempted. */
interface Picture {
  now: Date;
  byNode: Map<string, Resource[]>;
  workloads: Map<string, Resource | undefined>;
  preemptibleClasses: Set<string>;
  globalDefault: string | undefined;
  gpusOf: Map<string, number>;
  active: Resource[];
}

export class ReservationController extends PollingController {
  constructor(opts: ReservationControllerOptions) {
    super(opts, 'reservations', 5000);
  }

  /** One pass over every Reservation (tests call it directly). */
  async reconcileAll(): Promise<void> {
    const reservations = (await this.opts.store.list('Reservation')).items.filter((r) => phaseOf(r) === 'Pending' || phaseOf(r) === 'Active');
    if (reservations.length === 0) return;
    const now = this.clock.now();
    const due = reservations.filter((r) => windowOf(r).start <= now.getTime());
    if (due.length === 0) return;
    const picture = await this.picture(now);
    picture.active = reservations.filter((r) => windowOf(r).start <= now.getTime() && now.getTime() < windowOf(r).end);
    for (const r of due) {
      try {
        await this.opts.store.transaction((tx) => this.reconcile(tx, r, picture));
      } catch (e) {
        this.log(`reservation ${reservationId(r)}: ${(e as Error).message}`);
      }
    }
  }

  private async picture(now: Date): Promise<Picture> {
    const store = this.opts.store;
    // All three as of one version: evictions are decided from them.
    const lists = await listAtOneVersion(store, ['Allocation', 'PriorityClass', 'Node']);
    const byNode = new Map<string, Resource[]>();
    const workloads = new Map<string, Resource | undefined>();
    for (const a of lists.get('Allocation')!) {
      if (!isActiveAllocation(a)) continue;
      const node = (a.spec as unknown as AllocationSpec).node;
      byNode.set(node, [...(byNode.get(node) ?? []), a]);
      const o = ownerKey(a);
      if (!workloads.has(keyOf(o))) workloads.set(keyOf(o), await store.get({ kind: o.kind, project: o.project, name: o.name }));
    }
    const preemptibleClasses = new Set<string>();
    let globalDefault: string | undefined;
    for (const c of lists.get('PriorityClass')!) {
      const spec = c.spec as unknown as PriorityClassSpec;
      if (spec.preemptible === true) preemptibleClasses.add(c.metadata.name);
      if (spec.globalDefault === true) globalDefault = c.metadata.name;
    }
    const gpusOf = new Map(lists.get('Node')!.map((n) => [n.metadata.name, ((n.spec as unknown as NodeSpec).gpus ?? []).length]));
    return { now, byNode, workloads, preemptibleClasses, globalDefault, gpusOf, active: [] };
  }

  private async reconcile(tx: StoreTx, stale: Resource, p: Picture): Promise<void> {
    const r = await tx.get({ kind: 'Reservation', project: stale.metadata.project, name: stale.metadata.name });
    if (!r || r.metadata.resourceVersion !== stale.metadata.resourceVersion) return; // changed meanwhile: the next pass sees it
    const { end } = windowOf(r);
    const phase = phaseOf(r);
    const at = p.now.toISOString();
    if (p.now.getTime() >= end) return this.end(tx, r, p);
    const status: Record<string, unknown> = { ...(r.status ?? {}) };
    if (phase === 'Pending') {
      status.phase = 'Active' satisfies ReservationPhase;
      status.startedAt = at;
      await recordEvent(tx, r, { type: 'Normal', reason: 'Started', message: `reservation started: ${bookedText(r)}`, source: SOURCE }, p.now);
    }
    const conflicts = await this.clear(tx, r, p);
    status.conflicts = conflicts;
    if (conflicts.length > 0 && JSON.stringify(conflicts) !== JSON.stringify(r.status?.conflicts ?? [])) {
      const list = conflicts.map((c) => `${c.workload} (${c.gpus} GPU${c.gpus === 1 ? '' : 's'} on ${c.node})`).join(', ');
      await recordEvent(tx, r, { type: 'Warning', reason: 'Conflict', message: `booked capacity is held by work that may not be preempted: ${list}`, source: SOURCE, aggregate: 'reason' }, p.now);
    }
    if (JSON.stringify(status) !== JSON.stringify(r.status ?? {})) await tx.update({ ...r, status }, { resourceVersion: r.metadata.resourceVersion });
  }

  /** Evicts what sits on the booked capacity without the right to; returns what may not be evicted. */
  private async clear(tx: StoreTx, r: Resource, p: Picture): Promise<Conflict[]> {
    const spec = r.spec as unknown as ReservationSpec;
    const booking = r.status?.booking as BookingStatus | undefined;
    const id = reservationId(r);
    const ownerWaiting = spec.shareWhenIdle === true && (await this.ownerHasWaiting(tx, r));
    const conflicts: Conflict[] = [];
    const evicted: string[] = []; // workloads asked to stop in this pass
    for (const b of booking?.nodes ?? []) {
      const onNode = (p.byNode.get(b.node) ?? []).filter((a) => !stopRequested(a));
      // GPUs on this node booked by every active reservation, and the allocations that run in one.
      const bookedHere = new Map<string, number>();
      for (const x of p.active) for (const n of (x.status?.booking as BookingStatus | undefined)?.nodes ?? []) if (n.node === b.node) bookedHere.set(reservationId(x), n.whole ? Infinity : n.gpus);
      const outsiders: Outsider[] = [];
      for (const a of onNode) {
        const k = keyOf(ownerKey(a));
        const w = p.workloads.get(k);
        const asked = reservationAsked(w);
        if (asked !== undefined && bookedHere.has(asked)) continue;
        outsiders.push({ workload: k, gpus: gpusHeld(a), fate: evicted.includes(k) ? 'leaving' : this.fate(w, r, ownerWaiting, p) });
      }
      const booked = [...bookedHere.values()].reduce((s, g) => s + g, 0);
      const plan = clearNode(outsiders, b.whole ? 'whole' : Math.max(0, (p.gpusOf.get(b.node) ?? 0) - booked));
      for (const [workload, gpus] of plan.conflicts) conflicts.push({ workload, node: b.node, gpus });
      for (const k of plan.evict) {
        // The whole gang goes, with its grace: a gang missing a replica is no use to anyone.
        evicted.push(k);
        for (const other of [...p.byNode.values()].flat()) if (keyOf(ownerKey(other)) === k) await requestStop(tx, other, `Preempted by reservation ${id}`, p.now, graceOf(p.workloads.get(k)));
      }
    }
    if (evicted.length > 0) {
      await recordEvent(tx, r, { type: 'Normal', reason: 'Preempted', message: `preempted to free booked capacity: ${evicted.join(', ')}`, source: SOURCE }, p.now);
      for (const k of evicted) {
        const w = p.workloads.get(k);
        if (w) await recordEvent(tx, w, { type: 'Warning', reason: 'Preempted', message: `preempted: reservation ${id} needs the capacity it booked on its nodes`, source: SOURCE }, p.now);
      }
    }
    return conflicts;
  }

  private async end(tx: StoreTx, r: Resource, p: Picture): Promise<void> {
    const spec = r.spec as unknown as ReservationSpec;
    const id = reservationId(r);
    let stopped = 0;
    if ((spec.atEnd ?? 'Stop') === 'Stop') {
      for (const a of [...p.byNode.values()].flat()) {
        const w = p.workloads.get(keyOf(ownerKey(a)));
        if (reservationAsked(w) !== id) continue;
        if (await requestStop(tx, a, `Reservation ${id} ended`, p.now, graceOf(w))) stopped++;
      }
    }
    const after = spec.atEnd === 'Continue' ? 'its work runs on in the shared pool' : `${stopped} replica(s) asked to stop`;
    await recordEvent(tx, r, { type: 'Normal', reason: 'Ended', message: `reservation ended; ${after}; the capacity returns to the pool`, source: SOURCE }, p.now);
    await tx.update({ ...r, status: { ...(r.status ?? {}), phase: 'Ended' satisfies ReservationPhase, endedAt: p.now.toISOString() } }, { resourceVersion: r.metadata.resourceVersion });
  }

  /** What reservation r may do with a workload's replica on its booked capacity. */
  private fate(w: Resource | undefined, r: Resource, ownerWaiting: boolean, p: Picture): Exclude<Fate, 'leaving'> {
    if (!w || !this.preemptible(w, p)) return 'fixed';
    const sharer = (r.spec as unknown as ReservationSpec).shareWhenIdle === true && w.metadata.project !== r.metadata.project;
    return sharer && !ownerWaiting ? 'may-stay' : 'evictable';
  }

  private preemptible(w: Resource | undefined, p: Picture): boolean {
    const cls = (w?.spec as { priorityClass?: string } | undefined)?.priorityClass ?? p.globalDefault;
    return cls !== undefined && p.preemptibleClasses.has(cls);
  }

  /** The owner has work asking for this reservation that is not running yet. */
  private async ownerHasWaiting(tx: StoreTx, r: Resource): Promise<boolean> {
    for (const kind of WORKLOAD_KIND_NAMES) {
      const { items } = await tx.list(kind, { project: r.metadata.project });
      if (items.some((w) => (w.spec as { reservation?: string }).reservation === r.metadata.name && (w.status?.phase ?? 'Pending') === 'Pending')) return true;
    }
    return false;
  }
}

function bookedText(r: Resource): string {
  const booking = r.status?.booking as BookingStatus | undefined;
  const nodes = booking?.nodes ?? [];
  return nodes.map((n) => (n.whole ? `${n.node} (whole)` : `${n.gpus} GPU${n.gpus === 1 ? '' : 's'} on ${n.node}`)).join(', ') || 'nothing booked';
}
