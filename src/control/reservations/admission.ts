// Reservation admission: a reservation is booked in the capacity calendar (status.booking names
// the nodes and GPUs it holds) or refused with 409, naming the earliest window where it fits.
// Runs inside the write's transaction, so two reservations admitted at once cannot both take the
// last free GPUs. The API server's in-memory calendar answers when it provably holds what the
// transaction sees (calendar-cache.ts); otherwise the calendar is loaded from the store.
import { ConflictError, QuotaExceededError, ValidationError } from '../../model/errors.js';
import type { ProjectSpec } from '../../model/kinds/project.js';
import { ANY_GPU, limitOf } from '../quota.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import type { BookingStatus, ReservationSpec } from '../../model/kinds/reservation.js';
import { MAX_DURATION_SECONDS } from '../../model/common.js';
import type { StoreTx } from '../../store/types.js';
import { CapacityCalendar, type BookedNode, type CalendarNode, type CapacityAsk } from '../../scheduler/calendar.js';
import type { CalendarCache } from './calendar-cache.js';
import { bookingOf, calendarNode, phaseOf, reservationId } from './calendar-view.js';
import { askText, windowText } from './words.js';

/** How far past the asked start a refusal looks for a window that fits. */
export const SEARCH_HORIZON_MS = 90 * 24 * 3600_000;

export function askOf(spec: ReservationSpec): CapacityAsk {
  return {
    start: Date.parse(spec.start),
    end: Date.parse(spec.end),
    ...(spec.gpus !== undefined ? { gpus: spec.gpus } : {}),
    ...(spec.nodes !== undefined ? { nodes: spec.nodes } : {}),
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.site !== undefined ? { site: spec.site } : {}),
    ...(spec.rack !== undefined ? { rack: spec.rack } : {}),
    ...(spec.nvlinkDomain !== undefined ? { nvlinkDomain: spec.nvlinkDomain } : {}),
    ...(spec.nodeNames !== undefined ? { nodeNames: spec.nodeNames } : {}),
  };
}

/** The fields' own rules: a window that ends after it starts and after now, exactly one of gpus and nodes. */
export function checkReservationSpec(spec: ReservationSpec, now: number): void {
  const start = Date.parse(spec.start);
  const end = Date.parse(spec.end);
  if (!(end > start)) throw ValidationError.field('spec.end', `must be after spec.start (${spec.start})`);
  if (end - start > MAX_DURATION_SECONDS * 1000) throw ValidationError.field('spec.end', 'a window is at most 366 days long');
  if (end < now) throw ValidationError.field('spec.end', `is in the past (now is ${new Date(now).toISOString()})`);
  if ((spec.gpus === undefined) === (spec.nodes === undefined)) throw ValidationError.field('spec.gpus', 'give exactly one of spec.gpus (GPUs of a model) and spec.nodes (whole nodes)');
  if (spec.gpus !== undefined && spec.model === undefined) throw ValidationError.field('spec.model', 'is required with spec.gpus: the GPU model to book');
}

/** Loads the calendar: every node that takes bookings, every reservation still holding capacity. */
export async function loadCalendar(tx: StoreTx, now: number): Promise<CapacityCalendar> {
  const nodes = (await tx.list('Node')).items.map(calendarNode).filter((n): n is CalendarNode => n !== undefined);
  const bookings = [...(await tx.list('Reservation')).items, ...(await tx.list('Lease')).items].map((r) => bookingOf(r, now)).filter((b) => b !== undefined);
  return new CapacityCalendar(nodes, bookings);
}

export async function admitReservation(tx: StoreTx, input: ResourceInput, old: Resource | undefined, now: Date, cache?: CalendarCache): Promise<void> {
  const spec = input.spec as unknown as ReservationSpec;
  const oldSpec = old?.spec as ReservationSpec | undefined;
  const phase = old ? phaseOf(old) : 'Pending';
  if (old && (phase === 'Ended' || phase === 'Ending')) {
    if (JSON.stringify(spec) !== JSON.stringify(oldSpec)) throw new ConflictError(`reservation "${old.metadata.name}" has ${phase.toLowerCase()}; its window can no longer change`);
    return;
  }
  if (old && phase === 'Active' && spec.start !== oldSpec!.start) throw ValidationError.field('spec.start', 'cannot change once the reservation is active');
  // Early release of a running one: an end already past (a clock a little behind ours) means now.
  if (old && phase === 'Active' && Date.parse(spec.end) < now.getTime()) spec.end = now.toISOString();
  checkReservationSpec(spec, now.getTime());
  const held = old?.status?.booking as BookingStatus | undefined;
  if (old && held && sameCapacity(spec, oldSpec!) && spec.start === oldSpec!.start && spec.end === oldSpec!.end) return; // nothing to re-book
  const ask = askOf(spec);
  const id = reservationId({ kind: input.kind, metadata: input.metadata } as Resource);
  const decide = (calendar: CapacityCalendar): BookedNode[] | null => {
    // A change keeps the nodes it holds when it can (an active reservation's work is on them).
    const keep = held && sameCapacity(spec, oldSpec!) ? calendar.fit({ ...ask, nodeNames: held.nodes.map((n) => n.node) }, id) : null;
    return keep ?? (phase === 'Active' ? null : calendar.fit(ask, id));
  };
  // The in-memory calendar when it holds exactly what this transaction sees (calendar-cache.ts),
  // and its answer only while the Nodes it rests on are still so; else the calendar from the store.
  let calendar = (await cache?.forTransaction(tx, now.getTime())) ?? null;
  let nodes = calendar ? decide(calendar) : null;
  if (calendar && !(nodes ? await cache!.nodesHold(tx, nodes) : await cache!.nodesCurrent(tx))) calendar = null;
  if (!calendar) {
    calendar = await loadCalendar(tx, now.getTime());
    nodes = decide(calendar);
  }
  if (!nodes) throw refusal(calendar, spec, ask, id, phase === 'Active');
  await checkQuota(tx, input, nodes);
  const booking: BookingStatus = { nodes };
  input.status = { ...(old?.status ?? {}), phase, booking };
}

/**
 * Quota applies to booked capacity as to running work: a project cannot book more GPUs of a model
 * at once than its quota lets it hold (what it books is what its work will run on).
 */
async function checkQuota(tx: StoreTx, input: ResourceInput, nodes: readonly { node: string; gpus: number }[]): Promise<void> {
  const project = await tx.get({ kind: 'Project', name: input.metadata.project ?? '' });
  const quota = (project?.spec as ProjectSpec | undefined)?.quota;
  if (!quota) return;
  const gpus = nodes.reduce((s, n) => s + n.gpus, 0);
  const model = (input.spec as { model?: string }).model ?? ANY_GPU;
  const limit = Math.min(limitOf(`gpu ${model}`, quota), limitOf(`gpu ${ANY_GPU}`, quota));
  if (gpus > limit) {
    const field = (input.spec as { gpus?: number }).gpus !== undefined ? 'spec.gpus' : 'spec.nodes';
    throw new QuotaExceededError(`${field}: books ${gpus} ${model === ANY_GPU ? '' : `${model} `}GPUs; project "${input.metadata.project ?? ''}" may hold at most ${limit}`, [{ field, message: `books ${gpus} GPUs, over the project's quota of ${limit}` }]);
  }
}

function sameCapacity(a: ReservationSpec, b: ReservationSpec): boolean {
  const key = (s: ReservationSpec): string => JSON.stringify([s.gpus, s.nodes, s.model, s.site, s.rack, s.nvlinkDomain, s.nodeNames]);
  return key(a) === key(b);
}

/** 409 naming what does not fit and the earliest window where it would. */
function refusal(calendar: CapacityCalendar, spec: ReservationSpec, ask: CapacityAsk, id: string, active: boolean): ConflictError {
  const what = askText(spec);
  const asked = windowText(ask.start, ask.end);
  if (active) return new ConflictError(`${what} cannot be extended to ${asked}: its nodes are booked by another reservation in that time`);
  const capacity = calendar.capacity(ask);
  const want = ask.gpus ?? ask.nodes ?? 0;
  if (capacity < want) return new ConflictError(`${what} never fits: the fleet has ${capacity} ${ask.gpus !== undefined ? 'GPUs' : 'nodes'} that match, fewer than asked`);
  const w = calendar.earliest(ask, ask.start + SEARCH_HORIZON_MS, id);
  const offer = w ? `; it fits from ${windowText(w.start, w.end)}` : `; it does not fit in the ${SEARCH_HORIZON_MS / (24 * 3600_000)} days after the asked start`;
  return new ConflictError(`${what} is booked out for ${asked}${offer}`);
}

export { reservationId };
