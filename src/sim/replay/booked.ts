// Reservations in a replay: booked in the scheduler's capacity calendar at replay start, then fed
// to every cycle as `SchedulerConfig.bookings`, exactly as the live loop feeds them (the window,
// the booked GPUs per node, and the whole GPUs the owner's work asking for it holds there), so the
// booking rules are the scheduler's own (scheduler/bookings.ts).
//
// What the live reservation controller does besides (control/reservations/controller.ts) is done
// here too, on the replay's clock: while a window is open, work on booked capacity that has no
// right to it — a backfilled gang that overran its declared maxRuntime — is stopped with its grace
// when preemptible, otherwise counted as a conflict; other tenants' preemptible work on idle
// shareWhenIdle capacity stays until the owner has work waiting for the reservation. As in the
// controller, a GPU share or MIG slice counts the GPU it sits on: the owner's whole-GPU work cannot
// use that GPU until it goes.
import { CapacityCalendar, type BookedCapacity, type CalendarNode, type GangRequest, type NodeInput, type RunningReplica } from '../../scheduler/index.js';
import { heldGpus } from './delta.js';
import type { ReplayInput, ReplayReservation } from './types.js';

/** A reservation as booked: what the scheduler reads, and when it was booked. */
export interface ReplayBooking extends BookedCapacity {
  bookedAt: number;
}

/** One replica set of a gang on one node, from its start to its stop. */
export interface BookedRun {
  gang: number;
  node: number;
  gpus: number;
  from: number;
  to: number;
}

const calendarNode = (n: NodeInput): CalendarNode => ({
  name: n.name,
  gpus: n.gpus,
  ...(n.gpuModel !== undefined ? { model: n.gpuModel } : {}),
  ...(n.site !== undefined ? { site: n.site } : {}),
  ...(n.rack !== undefined ? { rack: n.rack } : {}),
  ...(n.nvlinkDomain !== undefined ? { nvlinkDomain: n.nvlinkDomain } : {}),
});

/**
 * Books the reservations in order of booking time (then as listed) in the capacity calendar, as
 * admission would; one that does not fit is an error naming it and the earliest window that fits.
 */
export function bookReservations(nodes: readonly NodeInput[], reservations: readonly ReplayReservation[]): ReplayBooking[] {
  const calendar = new CapacityCalendar(nodes.filter((n) => n.schedulable !== false).map(calendarNode));
  const order = reservations.map((r, i) => ({ r, i })).sort((a, b) => (a.r.bookedAt ?? 0) - (b.r.bookedAt ?? 0) || a.i - b.i);
  const seen = new Set<string>();
  const out: ReplayBooking[] = [];
  for (const { r, i } of order) {
    const id = `${r.project}/${r.name}`;
    if (seen.has(id)) throw new Error(`reservations[${i}]: ${id} is booked twice`);
    seen.add(id);
    const ask = {
      start: r.start, end: r.end, ...(r.gpus !== undefined ? { gpus: r.gpus } : {}), ...(r.nodes !== undefined ? { nodes: r.nodes } : {}),
      ...(r.model !== undefined ? { model: r.model } : {}), ...(r.site !== undefined ? { site: r.site } : {}), ...(r.rack !== undefined ? { rack: r.rack } : {}),
    };
    const booked = calendar.fit(ask);
    if (!booked) {
      const w = calendar.earliest(ask, r.start + 365 * 24 * 3_600_000);
      const offer = w ? `; it fits from ${w.start / 1000} s to ${w.end / 1000} s` : '';
      throw new Error(`reservations[${i}] (${id}): ${r.gpus !== undefined ? `${r.gpus} GPUs` : `${r.nodes} nodes`} do not fit from ${r.start / 1000} s to ${r.end / 1000} s${offer}`);
    }
    calendar.add({ id, start: r.start, end: r.end, nodes: booked });
    out.push({ id, project: r.project, name: r.name, start: r.start, end: r.end, shareWhenIdle: r.shareWhenIdle === true, nodes: booked, bookedAt: r.bookedAt ?? 0 });
  }
  return out;
}

/** What a running gang looks like to the bookings. */
export interface Holder {
  gang: number;
  replicas: readonly RunningReplica[];
}

/** Whole GPUs a replica holds (what the live view counts as the owner's use: no shares, no MIG). */
const wholeGpus = (r: RunningReplica): number => (r.delta.milliPerGpu === 1000 && r.delta.migMask === 0 ? r.delta.gpus.length : 0);
/** GPUs a replica keeps from being fully free: a share or a MIG slice takes its GPU from a whole-GPU owner too. */
const gpusTouched = (r: RunningReplica): number => r.delta.gpus.length;

export class ReplayBookings {
  private readonly nodeIndex: Map<string, number>;
  /** Index of the booking each gang asks for; -1 none. */
  private readonly asks: Int32Array;
  private readonly booked = new Set<number>();
  private readonly open = new Map<string, BookedRun>();
  readonly runs: BookedRun[] = [];
  /** Gang index → whole GPUs of it found on booked capacity it had no right to, unable to be preempted. */
  readonly conflicts = new Map<number, number>();

  constructor(
    readonly bookings: readonly ReplayBooking[],
    private readonly nodes: readonly NodeInput[],
    private readonly gangs: readonly GangRequest[],
  ) {
    this.nodeIndex = new Map(nodes.map((n, i) => [n.name, i]));
    const byId = new Map(bookings.map((b, k) => [b.id, k]));
    this.asks = Int32Array.from(gangs, (g) => (g.reservation === undefined ? -1 : byId.get(`${g.project ?? ''}/${g.reservation}`) ?? -1));
    for (const b of bookings) for (const x of b.nodes) this.booked.add(this.nodeIndex.get(x.node)!);
  }

  /** Instants where what the bookings hold changes: booked, window start, window end. */
  times(): number[] {
    return [...new Set(this.bookings.flatMap((b) => [b.bookedAt, b.start, b.end]))].sort((a, b) => a - b);
  }

  /** Index of the booking gang i asks for, or -1. */
  askedBy(i: number): number {
    return this.asks[i]!;
  }

  /** The bookings the scheduler holds at `now`, with what each owner's running work uses per node. */
  at(now: number, running: Iterable<Holder>): BookedCapacity[] {
    const live = this.bookings.map((b, k) => ({ b, k })).filter(({ b }) => b.bookedAt <= now && now < b.end);
    if (live.length === 0) return [];
    const used = new Map<number, Record<string, number>>();
    for (const h of running) {
      const k = this.asks[h.gang]!;
      if (k < 0) continue;
      const perNode = used.get(k) ?? {};
      for (const r of h.replicas) perNode[this.nodes[r.node]!.name] = (perNode[this.nodes[r.node]!.name] ?? 0) + wholeGpus(r);
      used.set(k, perNode);
    }
    return live.map(({ b, k }) => {
      const { bookedAt: _, ...capacity } = b;
      return { ...capacity, used: used.get(k) ?? {} };
    });
  }

  /** Records where a started gang sits on booked nodes. */
  started(gang: number, replicas: readonly RunningReplica[], now: number): void {
    for (const r of replicas) {
      if (!this.booked.has(r.node)) continue;
      const key = `${gang}:${r.node}`;
      const run = this.open.get(key);
      if (run) run.gpus += heldGpus(r.delta);
      else this.open.set(key, { gang, node: r.node, gpus: heldGpus(r.delta), from: now, to: now });
    }
  }

  /** Closes a gang's runs when it releases its resources. */
  stopped(gang: number, replicas: readonly RunningReplica[], now: number): void {
    for (const r of replicas) {
      const key = `${gang}:${r.node}`;
      const run = this.open.get(key);
      if (!run) continue;
      this.open.delete(key);
      run.to = now;
      this.runs.push(run);
    }
  }

  /** Every run, those still open ending at `end`. */
  allRuns(end: number): BookedRun[] {
    return [...this.runs, ...[...this.open.values()].map((r) => ({ ...r, to: end }))];
  }

  /**
   * The controller's sweep over open windows: gangs to stop (preemptible work on booked capacity
   * with no right to it, beyond the node's unbooked GPUs), and conflicts recorded for the rest.
   * `waiting(k)`: the owner of booking k has work pending for it.
   */
  sweep(now: number, running: readonly Holder[], preemptible: (gang: number) => boolean, waiting: (k: number) => boolean): number[] {
    const active = this.bookings.map((b, k) => ({ b, k })).filter(({ b }) => b.start <= now && now < b.end);
    if (active.length === 0) return [];
    const onNode = new Map<number, { gang: number; gpus: number }[]>();
    for (const h of running) {
      for (const r of h.replicas) {
        if (!this.booked.has(r.node)) continue;
        const list = onNode.get(r.node) ?? [];
        list.push({ gang: h.gang, gpus: gpusTouched(r) });
        onNode.set(r.node, list);
      }
    }
    const evict = new Set<number>();
    for (const { b, k } of active) {
      for (const x of b.nodes) {
        const node = this.nodeIndex.get(x.node)!;
        // GPUs booked on this node by every open window, and whose work runs in one of them.
        const here = active.filter((a) => a.b.nodes.some((y) => y.node === x.node));
        const bookedHere = here.reduce((s, a) => s + (a.b.nodes.find((y) => y.node === x.node)!.whole ? Infinity : a.b.nodes.find((y) => y.node === x.node)!.gpus), 0);
        const outsiders = (onNode.get(node) ?? []).filter((o) => !here.some((a) => a.k === this.asks[o.gang]) && !evict.has(o.gang));
        let over = x.whole ? Infinity : outsiders.reduce((s, o) => s + o.gpus, 0) - Math.max(0, this.nodes[node]!.gpus - bookedHere);
        outsiders.sort((p, q) => Number(!preemptible(p.gang)) - Number(!preemptible(q.gang)));
        for (const o of outsiders) {
          if (over <= 0) break;
          const gpus = x.whole ? Math.max(1, o.gpus) : o.gpus;
          if (gpus === 0) continue;
          const mayGo = preemptible(o.gang);
          const borrower = b.shareWhenIdle === true && mayGo && this.gangs[o.gang]!.project !== b.project;
          if (!mayGo) this.conflicts.set(o.gang, Math.max(this.conflicts.get(o.gang) ?? 0, gpus));
          else if (!borrower || waiting(k)) evict.add(o.gang);
          over -= gpus;
        }
      }
    }
    return [...evict];
  }
}

/** The same replay without reservations: none booked, and the owners' work asks for none (it runs as any other). */
export function withoutReservations(input: ReplayInput): ReplayInput {
  const { reservations: _, ...rest } = input;
  return {
    ...rest,
    gangs: input.gangs.map((g) => {
      if (g.gang.reservation === undefined) return g;
      const { reservation: __, ...gang } = g.gang;
      return { ...g, gang };
    }),
  };
}
