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
  /** Bookings by node name. */
  private readonly onNode = new Map<string, { id: string; start: number; end: number; gpus: number; whole: boolean }[]>();
  private readonly bookings = new Map<string, Booking>();

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
      list.push({ id: b.id, start: b.start, end: b.end, gpus: n.gpus, whole: n.whole === true });
    }
  }

  remove(id: string): void {
    const b = this.bookings.get(id);
    if (!b) return;
    this.bookings.delete(id);
    for (const n of b.nodes) {
      const list = this.onNode.get(n.node);
      if (list) this.onNode.set(n.node, list.filter((x) => x.id !== id));
    }
  }

  all(): Booking[] {
    return [...this.bookings.values()];
  }

  /** GPUs booked on `node` at instant t. */
  bookedAt(node: string, t: number): number {
    let sum = 0;
    for (const x of this.onNode.get(node) ?? []) if (x.start <= t && t < x.end) sum += x.gpus;
    return sum;
  }

  /** Free GPUs of `node` over all of [start, end) (-1 when a whole-node booking overlaps), ignoring booking `skip`. */
  freeOver(node: CalendarNode, start: number, end: number, skip?: string): { free: number; touched: boolean } {
    const list = this.onNode.get(node.name);
    if (!list || list.length === 0) return { free: node.gpus, touched: false };
    // Peak load over the window: it is reached at the start of the window or of some booking in it.
    // Loops without allocating: earliest() calls this for every node at every candidate start.
    let touched = false;
    let peak = 0;
    for (let i = -1; i < list.length; i++) {
      const t = i < 0 ? start : list[i]!.start;
      if (i >= 0 && (t <= start || t >= end)) continue;
      let load = 0;
      for (const x of list) {
        if (x.id === skip || !(x.start < end && start < x.end)) continue;
        touched = true;
        if (x.whole) return { free: -1, touched: true };
        if (x.start <= t && t < x.end) load += x.gpus;
      }
      if (load > peak) peak = load;
    }
    return { free: node.gpus - peak, touched };
  }

  /** Whether the eligible nodes' free GPUs (or untouched nodes) over the window could cover the ask: fit()'s cheap first pass. */
  private enough(ask: CapacityAsk, eligible: readonly CalendarNode[], skip?: string): boolean {
    const want = ask.gpus ?? ask.nodes ?? 0;
    let have = 0;
    for (const n of eligible) {
      const f = this.freeOver(n, ask.start, ask.end, skip);
      have += ask.nodes !== undefined ? (f.touched ? 0 : 1) : Math.max(0, f.free);
      if (have >= want) return true;
    }
    return false;
  }

  /** Nodes the ask may use at all (its model and scope), in name order. */
  eligible(ask: CapacityAsk): CalendarNode[] {
    const names = ask.nodeNames ? new Set(ask.nodeNames) : null;
    return this.nodes
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
  }

  /**
   * Where the ask fits for its own window, or null. GPUs go to the nodes with the most free first
   * (a 16-GPU booking takes two empty 8-GPU hosts, not scraps of six), ties by name.
   */
  fit(ask: CapacityAsk, skip?: string, eligible: readonly CalendarNode[] = this.eligible(ask)): BookedNode[] | null {
    if (ask.nodes !== undefined) {
      const free = eligible.filter((n) => !this.freeOver(n, ask.start, ask.end, skip).touched);
      return free.length >= ask.nodes ? free.slice(0, ask.nodes).map((n) => ({ node: n.name, gpus: n.gpus, whole: true })) : null;
    }
    let want = ask.gpus ?? 0;
    const frees = eligible.map((n) => ({ n, free: this.freeOver(n, ask.start, ask.end, skip).free })).filter((x) => x.free > 0);
    frees.sort((a, b) => b.free - a.free);
    const out: BookedNode[] = [];
    for (const { n, free } of frees) {
      if (want <= 0) break;
      const take = Math.min(free, want);
      out.push({ node: n.name, gpus: take });
      want -= take;
    }
    return want <= 0 ? out : null;
  }

  /**
   * The earliest window of the ask's length, starting at or after its start and before `until`,
   * where it fits; null when there is none. Candidate starts: the ask's own, then the ends of the
   * bookings on the eligible nodes (see the file header).
   */
  earliest(ask: CapacityAsk, until: number, skip?: string): Window | null {
    const eligible = this.eligible(ask);
    const length = ask.end - ask.start;
    const starts = new Set<number>([ask.start]);
    for (const n of eligible) for (const x of this.onNode.get(n.name) ?? []) if (x.id !== skip && x.end > ask.start && x.end < until) starts.add(x.end);
    for (const start of [...starts].sort((a, b) => a - b)) {
      const at = { ...ask, start, end: start + length };
      if (!this.enough(at, eligible, skip)) continue;
      const nodes = this.fit(at, skip, eligible);
      if (nodes) return { start, end: start + length, nodes };
    }
    return null;
  }

  /** The most the ask could ever get here, with nothing booked: GPUs, or whole nodes. */
  capacity(ask: CapacityAsk): number {
    const eligible = this.eligible(ask);
    return ask.nodes !== undefined ? eligible.length : eligible.reduce((s, n) => s + n.gpus, 0);
  }
}
