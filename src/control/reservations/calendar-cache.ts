// The capacity calendar kept in memory by each API server, so admitting a reservation does not
// list every Node, Reservation and Lease and rebuild the calendar inside every write.
//
// An informer follows Nodes, Reservations and Leases and keeps the calendar current: a booking is
// added, replaced or removed as its object changes, a Node only when what the calendar reads of it
// (site, rack, NVLink domain, GPUs, cordon) changes. Bookings depend on `now` (calendar-view.ts:
// one that has ended holds nothing; a Lease being cleaned holds its nodes a minute past now), so
// each use drops the bookings that ended since the last (a heap by end) and re-reads the Leases
// being cleaned.
//
// Why it is safe with several API servers and concurrent writes. Every write transaction holds
// the store-wide write lock (docs/store.md): nothing else commits until it does. Inside it,
// admission reads the stamp of Reservations and Leases (their count and newest resourceVersion,
// one cheap query) and uses this calendar only when its own stamp is the same — then it holds
// exactly the committed bookings, and no other reservation can take the capacity before this
// write commits. Otherwise (the watch has not caught up, another server wrote, or an earlier write
// of the same batch booked something) the caller loads the calendar from the transaction, as
// before. Nodes change often (heartbeats) and are checked where they matter: the nodes a booking
// takes are read back in the transaction and must still be what the calendar thought; a refusal
// is trusted only when the Nodes' stamp matches too.
import type { Resource } from '../../model/metadata.js';
import { CapacityCalendar, type BookedNode, type CalendarNode } from '../../scheduler/calendar.js';
import type { Store, StoreTx } from '../../store/types.js';
import { Informer } from '../informer.js';
import { bookingOf, calendarNode, phaseOf, reservationId } from './calendar-view.js';

const BOOKING_KINDS = ['Reservation', 'Lease'] as const;

/** Count and newest resourceVersion of a set of objects: what StoreTx.stamp reports for their kinds. */
class Stamp {
  private readonly rv = new Map<string, bigint>();
  private max = 0n;

  set(key: string, rv: bigint): void {
    this.rv.set(key, rv);
    if (rv > this.max) this.max = rv;
  }

  delete(key: string): void {
    const rv = this.rv.get(key);
    if (!this.rv.delete(key) || rv !== this.max) return;
    this.max = 0n;
    for (const v of this.rv.values()) if (v > this.max) this.max = v;
  }

  toString(): string {
    return `${this.rv.size}:${this.max}`;
  }
}

export class CalendarCache {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private synced = false;
  private readonly nodes = new Map<string, CalendarNode>();
  private readonly nodeStamp = new Stamp();
  private readonly items = new Map<string, Resource>();
  private readonly bookingStamp = new Stamp();
  /** Built on first use and after the node set changed; null until then. */
  private calendar: CapacityCalendar | null = null;
  /** The `now` the calendar's bookings were last read at; time only moves forward between rebuilds. */
  private at = -Infinity;
  /** (end, id) of every booking in the calendar, soonest end first (stale entries are skipped). */
  private readonly ends: { end: number; id: string }[] = [];
  /** Leases being cleaned: their booking's end moves with now. */
  private readonly ending = new Set<string>();
  /** Transactions it answered for, and those it left to the store because it was behind. */
  readonly stats = { served: 0, behind: 0 };

  constructor(
    private readonly store: Store,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** Resolves once every Node, Reservation and Lease has been read once. */
  async start(): Promise<void> {
    const informer = new Informer({
      store: this.store,
      sources: [{ kind: 'Node' }, ...BOOKING_KINDS.map((kind) => ({ kind }))],
      log: (m) => this.log(`calendar: ${m}`),
      onEvent: (ev) => {
        if (ev.type !== 'SYNC') this.apply(ev.type === 'DELETED', ev.object);
      },
    });
    this.loop = informer.run(this.abort.signal);
    await informer.synced;
    this.synced = true;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }

  private apply(deleted: boolean, o: Resource): void {
    if (o.kind === 'Node') {
      const name = o.metadata.name;
      const before = this.nodes.get(name);
      const after = deleted ? undefined : calendarNode(o);
      if (deleted) this.nodeStamp.delete(name);
      else this.nodeStamp.set(name, BigInt(o.metadata.resourceVersion));
      if (JSON.stringify(before) === JSON.stringify(after)) return;
      if (after) this.nodes.set(name, after);
      else this.nodes.delete(name);
      this.calendar = null; // the node set changed: rebuild on next use
      return;
    }
    const id = reservationId(o);
    if (deleted) {
      this.items.delete(id);
      this.bookingStamp.delete(id);
    } else {
      this.items.set(id, o);
      this.bookingStamp.set(id, BigInt(o.metadata.resourceVersion));
    }
    if (this.calendar) this.rebook(id, deleted ? undefined : o, this.at);
  }

  /** Puts object o's booking as of `now` in the calendar (or takes it out). */
  private rebook(id: string, o: Resource | undefined, now: number): void {
    const cal = this.calendar!;
    cal.remove(id);
    this.ending.delete(id);
    const b = o ? bookingOf(o, now) : undefined;
    if (!b) return;
    cal.add(b);
    if (o!.kind === 'Lease' && phaseOf(o!) === 'Ending') this.ending.add(id);
    heapPush(this.ends, { end: b.end, id });
  }

  /** The calendar as of `now`, kept in step with the watch; null before the first list. */
  private current(now: number): CapacityCalendar | null {
    if (!this.synced) return null;
    if (!this.calendar || now < this.at) {
      this.calendar = new CapacityCalendar([...this.nodes.values()]);
      this.ends.length = 0;
      this.ending.clear();
      this.at = now;
      for (const [id, o] of this.items) this.rebook(id, o, now);
      return this.calendar;
    }
    this.at = now;
    const cal = this.calendar;
    // Drop what has ended (an entry is stale when its booking was replaced since).
    while (this.ends.length > 0 && this.ends[0]!.end <= now) {
      const { end, id } = heapPop(this.ends);
      if (cal.endOf(id) === end) cal.remove(id);
    }
    for (const id of [...this.ending]) this.rebook(id, this.items.get(id), now);
    return cal;
  }

  /**
   * The calendar for a write transaction at `now`, when it holds exactly the bookings the
   * transaction sees (see the file header); null when the caller must load it from the transaction.
   */
  async forTransaction(tx: StoreTx, now: number): Promise<CapacityCalendar | null> {
    if (!this.synced) return null;
    const stamp = await tx.stamp(BOOKING_KINDS);
    if (stamp !== this.bookingStamp.toString()) {
      this.stats.behind++;
      return null;
    }
    this.stats.served++;
    return this.current(now);
  }

  /** Whether the nodes a booking takes are, in the transaction, what the calendar booked them as. */
  async nodesHold(tx: StoreTx, booked: readonly BookedNode[]): Promise<boolean> {
    const stored = await tx.getMany(booked.map((b) => ({ kind: 'Node', name: b.node })));
    return stored.every((o, i) => o !== undefined && JSON.stringify(calendarNode(o)) === JSON.stringify(this.nodes.get(booked[i]!.node)));
  }

  /** Whether the calendar's node set is the transaction's (for trusting a refusal). */
  async nodesCurrent(tx: StoreTx): Promise<boolean> {
    return (await tx.stamp(['Node'])) === this.nodeStamp.toString();
  }
}

type End = { end: number; id: string };

function heapPush(h: End[], x: End): void {
  let i = h.length;
  h.push(x);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]!.end <= x.end) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = x;
}

function heapPop(h: End[]): End {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length === 0) return top;
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= h.length) break;
    if (c + 1 < h.length && h[c + 1]!.end < h[c]!.end) c++;
    if (h[c]!.end >= last.end) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
  return top;
}
