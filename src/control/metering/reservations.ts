// Reservations (and Leases) on the bill: a started reservation or lease is charged for its booked GPUs over its whole
// window (up to now while it runs), at its own price class (PriceBook resource "reservation",
// else the model's GPU price), whether used or not; the usage of work that runs in it, inside
// its window, is covered by that charge (priced at 0) and counted as the reservation's used hours.
import type { BookingStatus, ReservationSpec } from '../../model/kinds/reservation.js';
import type { Resource } from '../../model/metadata.js';
import { WORKLOAD_KIND_NAMES } from '../../model/kind-names.js';
import type { Store, UsageInterval, UsageQuery } from '../../store/types.js';
import type { ReservationUse } from '../../model/metering.js';
import { phaseOf, windowOf } from '../reservations/calendar-view.js';
import { gpuEquivalent } from './pricing.js';

export type { ReservationUse };

const HOUR = 3_600_000;
const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

/** The reservation intervals to bill, the usage with its covered parts marked, and each reservation's use. */
export async function withReservations(store: Store, q: UsageQuery, usage: readonly UsageInterval[]): Promise<{ intervals: UsageInterval[]; uses: ReservationUse[] }> {
  const projects = q.project !== undefined ? [q.project] : q.projects;
  const list = async (kind: string): Promise<Resource[]> =>
    projects ? (await Promise.all(projects.map((project) => store.list(kind, { project })))).flatMap((l) => l.items) : (await store.list(kind)).items;
  const reservations = [...(await list('Reservation')), ...(await list('Lease'))].filter((r) => phaseOf(r) !== 'Pending' && r.status?.booking);
  if (reservations.length === 0) return { intervals: [...usage], uses: [] };
  const from = q.from.getTime();
  const to = q.to.getTime();
  const now = (q.now ?? new Date()).getTime();
  const byKey = new Map(reservations.filter((r) => r.kind === 'Reservation').map((r) => [`${r.metadata.project ?? ''}/${r.metadata.name}`, r]));
  // Which workloads run in which reservation (spec.reservation).
  const asks = new Map<string, Resource>();
  for (const kind of WORKLOAD_KIND_NAMES) {
    for (const w of await list(kind)) {
      const name = (w.spec as { reservation?: string }).reservation;
      const r = name !== undefined ? byKey.get(`${w.metadata.project ?? ''}/${name}`) : undefined;
      if (r) asks.set(`${w.kind}/${w.metadata.project ?? ''}/${w.metadata.name}`, r);
    }
  }
  const used = new Map<Resource, number>();
  const intervals: UsageInterval[] = [];
  for (const iv of usage) {
    const r = asks.get(`${iv.workloadKind}/${iv.project}/${iv.workloadName}`);
    if (!r) {
      intervals.push(iv);
      continue;
    }
    const w = windowOf(r);
    const inStart = Math.max(iv.startMs, w.start);
    const inEnd = Math.min(iv.endMs, w.end);
    if (inEnd <= inStart) {
      intervals.push(iv);
      continue;
    }
    if (iv.startMs < inStart) intervals.push({ ...iv, endMs: inStart });
    intervals.push({ ...iv, startMs: inStart, endMs: inEnd, coveredBy: r.metadata.name });
    if (inEnd < iv.endMs) intervals.push({ ...iv, startMs: inEnd });
    used.set(r, (used.get(r) ?? 0) + (gpuEquivalent(iv) * (inEnd - inStart)) / HOUR);
  }
  const uses: ReservationUse[] = [];
  for (const r of reservations) {
    const spec = r.spec as unknown as ReservationSpec;
    const booking = r.status!.booking as BookingStatus;
    const gpus = booking.nodes.reduce((s, n) => s + n.gpus, 0);
    const w = windowOf(r);
    const startMs = Math.max(w.start, from);
    const endMs = Math.min(w.end, to, now);
    const model = spec.model ?? '';
    if (endMs > startMs && gpus > 0) {
      intervals.push({
        allocationUid: `reservation:${r.metadata.uid}`,
        project: r.metadata.project ?? '',
        allocation: r.metadata.name,
        workloadKind: r.kind,
        workloadName: r.metadata.name,
        queue: '',
        node: '',
        site: spec.site ?? '',
        resourceClass: `${r.kind === 'Lease' ? 'lease' : 'reservation'}:${model}`,
        model,
        profile: '',
        quantity: gpus * 1000,
        isolation: '',
        priorityClass: '',
        preemptible: false,
        startMs,
        endMs,
        open: now < w.end && endMs === now,
      });
    }
    if (r.kind === 'Lease') continue; // bare metal: what runs on it is not Weft's to count
    const reserved = endMs > startMs ? (gpus * (endMs - startMs)) / HOUR : 0;
    uses.push({ project: r.metadata.project ?? '', name: r.metadata.name, model, gpus, start: spec.start, end: new Date(w.end).toISOString(), reservedGpuHours: round6(reserved), usedGpuHours: round6(used.get(r) ?? 0) });
  }
  return { intervals, uses };
}
