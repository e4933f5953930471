// The capacity calendar as the store holds it: Nodes become calendar nodes, and every Reservation
// still to come or running becomes a booking (status.booking, written by admission).
import type { Resource } from '../../model/metadata.js';
import type { NodeSpec } from '../../model/kinds/node.js';
import type { BookingStatus, ReservationPhase, ReservationSpec } from '../../model/kinds/reservation.js';
import type { Booking, CalendarNode } from '../../scheduler/calendar.js';

/** A booking's id in the calendar: "project/name" for a Reservation, "lease:project/name" for a Lease. */
export const reservationId = (r: Resource): string => `${r.kind === 'Lease' ? 'lease:' : ''}${r.metadata.project ?? ''}/${r.metadata.name}`;

/** A node as the calendar books it; cordoned nodes (spec.unschedulable) take no new bookings. */
export function calendarNode(node: Resource): CalendarNode | undefined {
  const spec = node.spec as unknown as NodeSpec;
  if (spec.unschedulable === true) return undefined;
  const gpus = spec.gpus ?? [];
  return {
    name: node.metadata.name,
    ...(spec.site !== undefined ? { site: spec.site } : {}),
    ...(spec.rack !== undefined ? { rack: spec.rack } : {}),
    ...(spec.nvlinkDomain !== undefined ? { nvlinkDomain: spec.nvlinkDomain } : {}),
    ...(gpus[0] ? { model: gpus[0].model } : {}),
    gpus: gpus.length,
  };
}

export function phaseOf(r: Resource): ReservationPhase {
  return (r.status?.phase as ReservationPhase | undefined) ?? 'Pending';
}

/** The window a reservation holds now: released early, it ends when it was released. */
export function windowOf(r: Resource): { start: number; end: number } {
  const spec = r.spec as unknown as ReservationSpec;
  const released = typeof r.status?.releasedAt === 'string' ? Date.parse(r.status.releasedAt) : NaN;
  const end = Date.parse(spec.end);
  return { start: Date.parse(spec.start), end: Number.isNaN(released) ? end : Math.min(end, released) };
}

/** The reservation's booking, or undefined when it holds nothing (never booked, ended, released). */
export function bookingOf(r: Resource, now: number): Booking | undefined {
  const booked = r.status?.booking as BookingStatus | undefined;
  const phase = phaseOf(r);
  if (!booked || phase === 'Ended') return undefined;
  const { start } = windowOf(r);
  // A lease past its end still holds its nodes until they are cleaned and checked.
  const end = r.kind === 'Lease' && phase === 'Ending' ? Math.max(windowOf(r).end, now + 60_000) : windowOf(r).end;
  if (end <= now) return undefined;
  return { id: reservationId(r), start, end, nodes: booked.nodes };
}
