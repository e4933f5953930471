// The live tail of the change log, shared by every watch in this process.
//
// One reader follows the `changes` table (woken by local commits, by NOTIFY from other
// processes, and by a slow poll as a safety net) and hands each new change to the subscribers
// whose filter matches. `head` is the highest resourceVersion handed out; a subscriber that
// joins learns head atomically with joining, reads (from, head] from the table itself and takes
// everything after head from its buffer: nothing is missed, nothing repeated.
import { GoneError } from '../model/errors.js';
import type { Resource } from '../model/metadata.js';
import type { Sql } from './driver.js';
import type { WatchEvent, WatchEventType } from './types.js';

export interface FeedEvent {
  rv: bigint;
  kind: string;
  project: string;
  event: WatchEvent;
}

export type EventFilter = (e: FeedEvent) => boolean;

export interface ChangeRow {
  floor: string;
  rv: string | null;
  type: WatchEventType;
  kind: string;
  project: string;
  object: Resource;
}

export function toFeedEvent(row: ChangeRow): FeedEvent {
  const rv = row.rv as string;
  row.object.metadata.resourceVersion = rv;
  return { rv: BigInt(rv), kind: row.kind, project: row.project, event: { type: row.type, object: row.object } };
}

/** Changes after `after` (and up to `upTo`), with the compaction floor read in the same snapshot. */
export function changesQuery(where: string, limit: number): string {
  return `SELECT s.compacted_rv::text AS floor, c.rv::text AS rv, c.type, c.kind, c.project, c.object
            FROM weft_state s
            LEFT JOIN LATERAL (
              SELECT rv, type, kind, project, object FROM changes WHERE ${where} ORDER BY rv LIMIT ${limit}
            ) c ON true
           ORDER BY c.rv`;
}

export function goneError(from: bigint, floor: bigint): GoneError {
  return new GoneError(`resourceVersion ${from} is too old: changes up to ${floor} have been compacted; list again and watch from the list's resourceVersion`);
}

/** One watch's mailbox. Buffers at most `limit` events; past that it is dropped and must catch up from the table. */
export class Subscriber {
  private items: FeedEvent[] = [];
  private first = 0;
  private waiter: (() => void) | undefined;
  overflowed = false;
  closed = false;
  error: unknown;

  constructor(
    readonly filter: EventFilter,
    private readonly limit: number,
  ) {}

  push(e: FeedEvent): boolean {
    if (this.items.length - this.first >= this.limit) {
      this.overflowed = true;
      this.items = [];
      this.first = 0;
      this.wake();
      return false;
    }
    this.items.push(e);
    this.wake();
    return true;
  }

  take(): FeedEvent | undefined {
    if (this.first >= this.items.length) return undefined;
    const e = this.items[this.first++];
    // Drop consumed entries now and then instead of shifting on every take.
    if (this.first > 1024 && this.first * 2 > this.items.length) {
      this.items = this.items.slice(this.first);
      this.first = 0;
    }
    return e;
  }

  /** Resolves when something happens: an event, overflow, close or error. */
  wait(): Promise<void> {
    if (this.first < this.items.length || this.overflowed || this.closed || this.error !== undefined) return Promise.resolve();
    return new Promise((r) => (this.waiter = r));
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

export interface FeedOptions {
  sql: Sql;
  /** Poll interval (ms) while anyone watches; 0 disables (single-process engines need none). */
  pollMs: number;
  log: (msg: string) => void;
  /** Events a subscriber may have waiting before it is switched back to reading the table. */
  maxBuffered?: number;
}

const PAGE = 1000;

export class ChangeFeed {
  private subs = new Set<Subscriber>();
  /** Highest rv dispatched to the current subscribers. */
  private head: bigint | undefined;
  /** Set when the last subscriber left: nobody followed the log since, so head must be re-read. */
  private stale = true;
  private chain: Promise<unknown> = Promise.resolve();
  private pumpQueued = false;
  private timer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(private readonly opts: FeedOptions) {}

  /** Something was committed (here or elsewhere): read the log's new tail soon. */
  notify(): void {
    if (this.closed || this.subs.size === 0 || this.pumpQueued) return;
    this.pumpQueued = true;
    void this.serial(async () => {
      this.pumpQueued = false;
      await this.pump();
    });
  }

  /** Joins the feed; returns the head at joining (events after it arrive in the subscriber's buffer). */
  subscribe(filter: EventFilter): Promise<{ sub: Subscriber; head: bigint }> {
    return this.serial(async () => {
      const sub = new Subscriber(filter, this.opts.maxBuffered ?? 10_000);
      if (this.closed) {
        sub.closed = true;
        return { sub, head: 0n };
      }
      if (this.stale || this.head === undefined) {
        this.head = await this.readHead();
        this.stale = false;
      }
      this.subs.add(sub);
      this.startPolling();
      return { sub, head: this.head };
    });
  }

  unsubscribe(sub: Subscriber): void {
    this.subs.delete(sub);
    sub.closed = true;
    sub.wake();
    if (this.subs.size === 0) {
      this.stale = true;
      this.stopPolling();
    }
  }

  close(): void {
    this.closed = true;
    this.stopPolling();
    for (const s of [...this.subs]) this.unsubscribe(s);
  }

  /** Runs fn after every earlier pump/subscribe, so dispatch and joining never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async readHead(): Promise<bigint> {
    const [row] = await this.opts.sql.query<{ rv: string }>('SELECT rv::text AS rv FROM weft_state', [], 'weft_state_rv');
    return BigInt(row.rv);
  }

  private async pump(): Promise<void> {
    if (this.closed || this.stale || this.head === undefined) return;
    try {
      for (;;) {
        if (this.subs.size === 0) return;
        const rows = await this.opts.sql.query<ChangeRow>(changesQuery('rv > $1', PAGE), [this.head.toString()], 'weft_feed_tail');
        const floor = BigInt(rows[0].floor);
        if (floor > this.head) {
          // Another process compacted past changes we never read: those watches cannot be gap-free.
          const err = goneError(this.head, floor);
          for (const s of [...this.subs]) {
            s.error = err;
            this.unsubscribe(s);
          }
          this.stale = true;
          return;
        }
        let n = 0;
        for (const row of rows) {
          if (row.rv === null) continue;
          n++;
          const e = toFeedEvent(row);
          this.head = e.rv;
          for (const s of this.subs) if (s.filter(e) && !s.push(e)) this.subs.delete(s);
        }
        // Everyone overflowed: nobody follows the log now, so the next subscriber re-reads head.
        if (this.subs.size === 0) this.stale = true;
        if (n < PAGE) return;
      }
    } catch (e) {
      // A failed read is retried by the next notification or poll; watchers just wait a little.
      this.opts.log(`store: reading the change log failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private startPolling(): void {
    if (this.timer || this.opts.pollMs <= 0) return;
    this.timer = setInterval(() => this.notify(), this.opts.pollMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
