// The replay's event queue: a binary min-heap ordered by (time, kind, sequence), so events at the
// same virtual instant are handled in a fixed order — departures and releases before arrivals,
// then reservations opening or closing, and the scheduling cycle last — and ties keep insertion order. That order is what makes a
// replay deterministic.

export const EV_FINISH = 0;
export const EV_RELEASE = 1;
export const EV_ARRIVE = 2;
/** A reservation is booked, opens or closes: what the bookings hold changes. */
export const EV_BOOKING = 3;
export const EV_CYCLE = 4;

export interface ReplayEvent {
  t: number;
  kind: number;
  /** Gang index (unused by cycles). */
  gang: number;
  /** Attempt the event belongs to: a finish of an attempt that was preempted is stale. */
  attempt: number;
  seq: number;
}

function before(a: ReplayEvent, b: ReplayEvent): boolean {
  return a.t < b.t || (a.t === b.t && (a.kind < b.kind || (a.kind === b.kind && a.seq < b.seq)));
}

export class EventQueue {
  private readonly heap: ReplayEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(t: number, kind: number, gang = -1, attempt = 0): void {
    const h = this.heap;
    h.push({ t, kind, gang, attempt, seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  peek(): ReplayEvent | undefined {
    return this.heap[0];
  }

  pop(): ReplayEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
