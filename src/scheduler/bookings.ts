// Booked capacity (reservations, README "Reservations"): the calendar's bookings as two per-gang
// filters, computed once per cycle from the bookings and `now` — pure data in, no clock.
//
//   before start   a booking holds its GPUs against every gang except one whose declared
//                  maxRuntime ends by the start (backfill); work with no declared run time
//                  never goes there
//   during         only the owner's gangs that ask for it (`reservation`) run on it; with
//                  shareWhenIdle its idle GPUs also take other tenants' preemptible gangs —
//                  unless the owner has a gang asking for it among the pending ones: then the
//                  GPUs the sharers free (the reservation controller evicts them) stay free for
//                  the owner instead of going to the next sharer
//   at/after end   it holds nothing
//
// A gang that asks for a reservation runs only on its nodes, only while it is active, and only
// within the GPUs it booked there. Held GPUs are the booked ones less what the owner's work
// already uses; they must stay fully free, so a node passes `capacity-held` only while its fully
// free GPUs, less those held, still cover the replica. A whole-node booking closes its node.
// Neither filter can be lifted by the preemption search (the reservation controller evicts what
// sits on booked capacity at start).
import type { Filter } from './filters/filter.js';
import { GPU_NONE, GPU_WHOLE, type ReplicaShape } from './request.js';
import type { Snapshot } from './snapshot.js';
import type { BookedCapacity, GangRequest, SchedulingReason } from './types.js';

interface NodeBooking {
  booking: BookedCapacity;
  node: number;
  /** GPUs still held: booked less what the owner's work uses. */
  held: number;
  whole: boolean;
}

/** GPUs a replica takes fully off a node: its whole GPUs, or one for a share or MIG slice (the picker may open a free GPU). */
function gpusTaken(req: ReplicaShape): number {
  if (req.gpuKind === GPU_NONE) return 0;
  return req.gpuKind === GPU_WHOLE ? req.gpuCount : 1;
}

export class Bookings {
  private readonly byId = new Map<string, BookedCapacity>();
  private readonly placed: NodeBooking[] = [];
  private readonly cache = new Map<string, readonly Filter[]>();
  /** Bookings whose owner has a gang waiting for them in this cycle: they share nothing. */
  private readonly ownerWaiting = new Set<string>();
  /**
   * Every node a booking holds GPUs on — the only nodes where capacity-held's answer differs — with
   * what decides that answer there for a gang that asks for no reservation: per booking its start
   * (or "open", and the project when it shares now), GPUs held and wholeness. Nodes alike in this and in state
   * answer alike, so node-classes.ts keys booked nodes by it and the scan still goes by class.
   */
  readonly tags = new Map<number, string>();
  /** Fully free GPUs per node when the cycle began: what this cycle placed since counts against a reservation's room. */
  private readonly startFree: Uint8Array;

  constructor(
    snap: Snapshot,
    bookings: readonly BookedCapacity[],
    private readonly now: number,
    pending: readonly GangRequest[] = [],
  ) {
    for (const g of pending) if (g.reservation !== undefined) this.ownerWaiting.add(`${g.project ?? ''}/${g.reservation}`);
    this.startFree = snap.fullFree.slice();
    const index = new Map(snap.nodeNames.map((n, i) => [n, i]));
    for (const b of bookings) {
      if (b.end <= now) continue;
      this.byId.set(b.id, b);
      for (const x of b.nodes) {
        const node = index.get(x.node);
        if (node === undefined) continue; // a node that left the fleet holds nothing
        this.placed.push({ booking: b, node, held: Math.max(0, x.gpus - (b.used?.[x.node] ?? 0)), whole: x.whole === true });
        // Before its start a booking holds by its start alone; once open, by whom it shares with (if it shares).
        const when = b.start > now ? `${b.start}` : this.shares(b) ? `open/shares/${b.project}` : 'open';
        const tag = `${when}/${x.gpus - (b.used?.[x.node] ?? 0)}/${x.whole === true}`;
        const had = this.tags.get(node);
        this.tags.set(node, had === undefined ? tag : [had, tag].sort().join(' '));
      }
    }
  }

  get empty(): boolean {
    return this.byId.size === 0;
  }

  private active(b: BookedCapacity): boolean {
    return b.start <= this.now && this.now < b.end;
  }

  /** The reservation `gang` asks for, by its project. */
  private own(gang: GangRequest): BookedCapacity | undefined {
    return gang.reservation !== undefined ? this.byId.get(`${gang.project ?? ''}/${gang.reservation}`) : undefined;
  }

  /** Whether booking b keeps `gang` off the GPUs it holds. */
  private holdsAgainst(b: BookedCapacity, gang: GangRequest): boolean {
    if (this.now < b.start) return !(gang.maxRuntimeMs !== undefined && this.now + gang.maxRuntimeMs <= b.start);
    if (b === this.own(gang)) return false;
    return !(this.shares(b) && gang.preemptible === true && b.project !== gang.project);
  }

  /** Whether the booking's idle GPUs take other tenants' preemptible work now. */
  private shares(b: BookedCapacity): boolean {
    return b.shareWhenIdle === true && !this.ownerWaiting.has(b.id);
  }

  /** The filters `gang` runs under besides `base`; cached per way a gang can relate to the bookings. */
  filtersFor(gang: GangRequest, base: readonly Filter[]): readonly Filter[] {
    if (this.empty && gang.reservation === undefined) return base;
    const key = `${gang.maxRuntimeMs ?? ''}|${gang.preemptible === true}|${gang.project ?? ''}|${gang.reservation ?? ''}`;
    let extra = this.cache.get(key);
    if (!extra) this.cache.set(key, (extra = this.build(gang)));
    return extra.length === 0 ? base : [...extra, ...base];
  }

  private build(gang: GangRequest): Filter[] {
    // GPUs held per node against this gang (0: none; CLOSED: the whole node), as a typed array:
    // the filter runs on every class's node for every replica.
    let held: Int32Array | null = null;
    for (const x of this.placed) {
      if (!this.holdsAgainst(x.booking, gang) || (!x.whole && x.held <= 0)) continue;
      held ??= new Int32Array(this.startFree.length);
      held[x.node] = x.whole ? CLOSED : held[x.node] === CLOSED ? CLOSED : held[x.node]! + x.held;
    }
    const out: Filter[] = [];
    if (gang.reservation !== undefined) out.push(reservationOnly(this.ownNodes(gang), this.startFree));
    // Asking for a reservation, a gang's own booking holds nothing against it: that reads the booking itself, not the tags.
    if (held) out.push(capacityHeld(held, gang.reservation === undefined ? this.tags : undefined));
    return out;
  }

  /** Room per node of the gang's own reservation (Infinity on a whole node); empty when it is not active. */
  private ownNodes(gang: GangRequest): Map<number, number> {
    const own = this.own(gang);
    const room = new Map<number, number>();
    if (!own || !this.active(own)) return room;
    for (const x of this.placed) if (x.booking === own) room.set(x.node, x.whole ? Infinity : x.held);
    return room;
  }

  /** Why a gang that asks for a reservation cannot use it now, if that is the reason; null otherwise. */
  reason(gang: GangRequest): SchedulingReason | null {
    if (gang.reservation === undefined) return null;
    const own = this.own(gang);
    const name = gang.reservation;
    if (!own) return { code: 'ReservationInactive', message: `reservation ${name} holds no capacity (it does not exist, was not booked, or has ended)`, data: { reservation: name } };
    if (this.now < own.start) return { code: 'ReservationInactive', message: `reservation ${name} starts at ${new Date(own.start).toISOString()}`, data: { reservation: name, start: own.start } };
    return null;
  }
}

/**
 * Keeps a gang on its reservation's nodes, within the GPUs it booked on each. GPUs taken on a node
 * since the cycle began count against its room, so a gang's replicas never outgrow the booking.
 */
function reservationOnly(room: ReadonlyMap<number, number>, startFree: Uint8Array): Filter {
  return {
    name: 'reservation-only',
    reason: 'OutsideReservation',
    reads: 'node',
    resolvable: false,
    filter(snap, req, nodes, count) {
      const need = gpusTaken(req);
      let k = 0;
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        const r = room.get(n);
        if (r !== undefined && r - (startFree[n]! - snap.fullFree[n]!) >= need) nodes[k++] = n;
      }
      return k;
    },
  };
}

/** Keeps a gang off GPUs (and whole nodes) that bookings hold against it. */
const CLOSED = -1;

function capacityHeld(held: Int32Array, tags: ReadonlyMap<number, string> | undefined): Filter {
  return {
    name: 'capacity-held',
    reason: 'CapacityReserved',
    reads: 'node',
    ...(tags ? { differsOn: tags } : {}), // nothing is held on a node no booking touches
    resolvable: false, // evicting work does not lift a booking
    filter(snap, req, nodes, count) {
      const need = gpusTaken(req);
      let k = 0;
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        const h = held[n]!;
        if (h === CLOSED || (h > 0 && need > 0 && snap.fullFree[n]! - h < need)) continue;
        nodes[k++] = n;
      }
      return k;
    },
  };
}
