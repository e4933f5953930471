// The capacity calendar: which nodes' GPUs are booked by reservations, and when. Pure data and
// arithmetic, shared by admission (book a reservation or refuse it, naming the earliest window
// where it fits), the scheduler's held-capacity filters (bookings.ts) and the simulator.
//
// A booking holds a number of GPUs on each of its nodes for [start, end), or whole nodes. The
// calendar is never overbooked: at every instant the GPUs booked on a node are at most its GPUs,
// and a whole-node booking shares its node with no other booking. Admission keeps it so by
// booking only on nodes whose free GPUs over the whole window (their GPUs less the peak of what
// overlapping bookings hold) cover the ask. Why the earliest window is a booking's end: moving a
// window earlier only adds load that is already there at its start, unless a booking ends in
// between; so free capacity for a window starting at s can only grow at the ends of bookings.
//
// Cost. Each node keeps its bookings sorted by start, so a node's free GPUs over a window read
// only the few bookings on that node, and the nodes an ask may use are kept per scope. fit() is
// then linear in the eligible nodes and their bookings, not in the calendar. earliest() does not
// try every candidate start against every node: a node's free GPUs over [s, s + length), as s
// moves, change only where one of its bookings ends or where s + length reaches one's start; each
// node contributes those changes as (time, delta) steps, and one sweep over all steps in time
// order finds the first start where the eligible nodes' free GPUs (or untouched nodes) cover the
// ask — the same answer as trying each candidate, in O(B log B) for the B bookings on the
// eligible nodes.

/** A node as the calendar sees it. */
export interface CalendarNode {
  name: string;
  site?: string;
  rack?: string;
  nvlinkDomain?: string;
  /** The node's GPU model (its first GPU's); undefined without GPUs. */
  model?: string;
  gpus: number;
}

export interface BookedNode {
  node: string;
  gpus: number;
  /** The whole node: every GPU, and no other booking beside it. */
  whole?: boolean;
}

export interface Booking {
  /** Unique per booking, e.g. "project/name". */
  id: string;
  /** Milliseconds since the epoch; end is exclusive. */
  start: number;
  end: number;
  nodes: readonly BookedNode[];
}

/** What to book: `gpus` GPUs of `model`, or `nodes` whole nodes, within the optional scope. */
export interface CapacityAsk {
  start: number;
  end: number;
  gpus?: number;
  nodes?: number;
  model?: string;
  site?: string;
  rack?: string;
  nvlinkDomain?: string;
  nodeNames?: readonly string[];
}

export interface Window {
  start: number;
  end: number;
  nodes: BookedNode[];
}

export class CapacityCalendar {
  private readonly nodes: readonly CalendarNode[];
  /** Bookings by node name, sorted by start. */
  private readonly onNode = new Map<string, Held[]>();
  private readonly bookings = new Map<string, Booking>();
  /** Eligible nodes per scope (the nodes never change; bookings do not affect eligibility). */
  private readonly scopes = new Map<string, CalendarNode[]>();

  constructor(nodes: readonly CalendarNode[], bookings: readonly Booking[] = []) {
    this.nodes = nodes;
    for (const b of bookings) this.add(b);
  }

  add(b: Booking): void {
    this.remove(b.id);
    this.bookings.set(b.id, b);
    for (const n of b.nodes) {
      let list = this.onNode.get(n.node);
      if (!list) this.onNode.set(n.node, (list = []));
      const x: Held = { id: b.id, start: b.start, end: b.end, gpus: n.gpus, whole: n.whole === true };
      // Insert in start order (binary search): a node holds few bookings, but they stay sorted.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.start <= x.start) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, x);
    }
  }

  remove(id: string): void {
    const b = this.bookings.get(id);
    if (!b) return;
    this.bookings.delete(id);
    for (const n of b.nodes) {
      const list = this.onNode.get(n.node);
      if (!list) continue;
      const i = list.findIndex((x) => x.id === id);
      if (i >= 0) list.splice(i, 1);
    }
  }

  has(id: string): boolean {
    return this.bookings.has(id);
  }

  /** The end of booking `id`, or undefined when it is not booked. */
  endOf(id: string): number | undefined {
    return this.bookings.get(id)?.end;
  }

  all(): Booking[] {
    return [...this.bookings.values()];
  }

  /** GPUs booked on `node` at instant t. */
  bookedAt(node: string, t: number): number {
    let sum = 0;
    for (const x of this.onNode.get(node) ?? []) {
      if (x.start > t) break;
      if (t < x.end) sum += x.gpus;
    }
    return sum;
  }

  /** Free GPUs of `node` over all of [start, end) (-1 when a whole-node booking overlaps), ignoring booking `skip`. */
  freeOver(node: CalendarNode, start: number, end: number, skip?: string): { free: number; touched: boolean } {
    const list = this.onNode.get(node.name);
    if (!list || list.length === 0) return { free: node.gpus, touched: false };
    return peakOver(list, node.gpus, start, end, skip);
  }

  /** Nodes the ask may use at all (its model and scope), in name order. */
  eligible(ask: CapacityAsk): CalendarNode[] {
    const key = JSON.stringify([ask.site, ask.rack, ask.nvlinkDomain, ask.model, ask.nodes !== undefined, ask.nodeNames]);
    let out = this.scopes.get(key);
    if (!out) {
      const names = ask.nodeNames ? new Set(ask.nodeNames) : null;
      out = this.nodes
        .filter(
          (n) =>
            (!names || names.has(n.name)) &&
            (ask.site === undefined || n.site === ask.site) &&
            (ask.rack === undefined || n.rack === ask.rack) &&
            (ask.nvlinkDomain === undefined || n.nvlinkDomain === ask.nvlinkDomain) &&
            (ask.model === undefined || n.model === ask.model) &&
            (ask.nodes !== undefined || n.gpus > 0),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (this.scopes.size > 256) this.scopes.clear();
      this.scopes.set(key, out);
    }
    return out;
  }

  /**
   * Where the ask fits for its own window, or null. GPUs go to the nodes with the most free first
   * (a 16-GPU booking takes two empty 8-GPU hosts, not scraps of six), ties by name.
   */
  fit(ask: CapacityAsk, skip?: string, eligible: readonly CalendarNode[] = this.eligible(ask)): BookedNode[] | null {
    if (ask.nodes !== undefined) {
      const out: BookedNode[] = [];
      for (const n of eligible) {
        if (this.freeOver(n, ask.start, ask.end, skip).touched) continue;
        out.push({ node: n.name, gpus: n.gpus, whole: true });
        if (out.length === ask.nodes) return out;
      }
      return null;
    }
    let want = ask.gpus ?? 0;
    const frees: { n: CalendarNode; free: number }[] = [];
    let total = 0;
    for (const n of eligible) {
      const free = this.freeOver(n, ask.start, ask.end, skip).free;
      if (free <= 0) continue;
      frees.push({ n, free });
      total += free;
    }
    if (total < want) return null;
    frees.sort((a, b) => b.free - a.free); // stable: ties stay in name order
    const out: BookedNode[] = [];
    for (const { n, free } of frees) {
      if (want <= 0) break;
      const take = Math.min(free, want);
      out.push({ node: n.name, gpus: take });
      want -= take;
    }
    return out;
  }

  /**
   * The earliest window of the ask's length, starting at or after its start and before `until`,
   * where it fits; null when there is none. One sweep over every eligible node's steps (see the
   * file header), then fit() at the start found.
   */
  earliest(ask: CapacityAsk, until: number, skip?: string): Window | null {
    const eligible = this.eligible(ask);
    const length = ask.end - ask.start;
    const want = ask.gpus ?? ask.nodes ?? 0;
    const byNodes = ask.nodes !== undefined;
    // What a node gives the ask over [s, s + length): its free GPUs (0 if booked whole), or 1 if untouched.
    const gives = (n: CalendarNode, s: number): number => {
      const f = this.freeOver(n, s, s + length, skip);
      return byNodes ? (f.touched ? 0 : 1) : Math.max(0, f.free);
    };
    let have = 0;
    const steps: number[] = []; // flat (time, delta) pairs
    for (const n of eligible) {
      const list = this.onNode.get(n.name);
      const first = gives(n, ask.start);
      have += first;
      if (!list || list.length === 0) continue;
      // Where what this node gives can change, within (ask.start, until): at a booking's end (it
      // may grow), and one millisecond past its start less the length (from there the window
      // overlaps it, so it may shrink). Times are whole milliseconds, so the steps are exact.
      const points: number[] = [];
      for (const x of list) {
        if (x.id === skip) continue;
        if (x.end > ask.start && x.end < until) points.push(x.end);
        const t = x.start - length + 1;
        if (t > ask.start && t < until) points.push(t);
      }
      points.sort((a, b) => a - b);
      let last = first;
      let prev = NaN;
      for (const t of points) {
        if (t === prev) continue;
        prev = t;
        const v = gives(n, t);
        if (v !== last) steps.push(t, v - last);
        last = v;
      }
    }
    if (have >= want) {
      const nodes = this.fit(ask, skip, eligible);
      if (nodes) return { start: ask.start, end: ask.end, nodes };
    }
    // Sweep the steps in time order; all steps at one instant apply before it is judged.
    const order = Array.from({ length: steps.length / 2 }, (_, i) => i).sort((a, b) => steps[2 * a]! - steps[2 * b]!);
    for (let k = 0; k < order.length; ) {
      const t = steps[2 * order[k]!]!;
      while (k < order.length && steps[2 * order[k]!] === t) have += steps[2 * order[k++]! + 1]!;
      if (have < want) continue;
      const at = { ...ask, start: t, end: t + length };
      const nodes = this.fit(at, skip, eligible);
      if (nodes) return { start: t, end: t + length, nodes };
    }
    return null;
  }

  /** The most the ask could ever get here, with nothing booked: GPUs, or whole nodes. */
  capacity(ask: CapacityAsk): number {
    const eligible = this.eligible(ask);
    return ask.nodes !== undefined ? eligible.length : eligible.reduce((s, n) => s + n.gpus, 0);
  }
}

interface Held {
  id: string;
  start: number;
  end: number;
  gpus: number;
  whole: boolean;
}

/**
 * A node's free GPUs over [start, end) from its bookings sorted by start: its GPUs less the peak
 * load, which is reached at the window's start or at the start of a booking inside it. No
 * allocation: earliest() asks this for every node at every step.
 */
function peakOver(list: readonly Held[], gpus: number, start: number, end: number, skip?: string): { free: number; touched: boolean } {
  let touched = false;
  let peak = 0;
  for (let i = -1; i < list.length; i++) {
    const t = i < 0 ? start : list[i]!.start;
    if (t >= end) break;
    if (i >= 0 && t <= start) continue;
    let load = 0;
    for (const x of list) {
      if (x.start >= end) break;
      if (x.id === skip || !(start < x.end)) continue;
      touched = true;
      if (x.whole) return { free: -1, touched: true };
      if (x.start <= t && t < x.end) load += x.gpus;
    }
    if (load > peak) peak = load;
  }
  return { free: gpus - peak, touched };
}
