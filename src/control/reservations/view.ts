// Every Reservation, folded from the store for the scheduling loop: the capacity each one booked,
// as the scheduler reads it (BookedCapacity), with the GPUs its owner's work holds on each node.
import type { Resource } from '../../model/metadata.js';
import type { ReservationSpec } from '../../model/kinds/reservation.js';
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { BookedCapacity } from '../../scheduler/types.js';
import { bookingOf, reservationId } from './calendar-view.js';

/** The reservation a workload asks for (spec.reservation), as "project/name". */
export function reservationAsked(w: Resource | undefined): string | undefined {
  const r = (w?.spec as { reservation?: unknown } | undefined)?.reservation;
  return typeof r === 'string' ? `${w!.metadata.project ?? ''}/${r}` : undefined;
}

export class ReservationView {
  private readonly items = new Map<string, Resource>();

  apply(type: string, o: Resource): boolean {
    const key = reservationId(o);
    if (type === 'DELETED') return this.items.delete(key);
    this.items.set(key, o);
    return true;
  }

  get size(): number {
    return this.items.size;
  }

  /**
   * What the scheduler holds for each reservation that still books capacity at `now`; `used`
   * counts the whole GPUs of active allocations whose workload asks for it.
   */
  bookings(now: number, allocations: Iterable<Resource>, workloadOf: (a: Resource) => Resource | undefined): BookedCapacity[] {
    const used = new Map<string, Record<string, number>>();
    if (this.items.size > 0) {
      for (const a of allocations) {
        const id = reservationAsked(workloadOf(a));
        if (id === undefined || !this.items.has(id)) continue;
        const spec = a.spec as unknown as AllocationSpec;
        const perNode = used.get(id) ?? {};
        perNode[spec.node] = (perNode[spec.node] ?? 0) + spec.gpus.filter((g) => g.milli === 1000 && !g.mig).length;
        used.set(id, perNode);
      }
    }
    const out: BookedCapacity[] = [];
    for (const [id, r] of this.items) {
      const b = bookingOf(r, now);
      if (!b) continue;
      const spec = r.spec as unknown as ReservationSpec;
      out.push({ id, project: r.metadata.project ?? '', name: r.metadata.name, start: b.start, end: b.end, shareWhenIdle: spec.shareWhenIdle === true, nodes: b.nodes, used: used.get(id) ?? {} });
    }
    return out;
  }
}
