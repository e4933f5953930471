// Keeps the store from growing without bound while this process leads: every write appends the
// whole object to the change log, and nothing else ever removes those entries, so a busy store
// carried every version of every Job forever (hundreds of MB for a few thousand Jobs), and each
// restart had to step over all of it. Periodically the log is compacted to its newest entries
// (a watch that has fallen further behind gets 410 and lists again, as watches must anyway) and
// the store is vacuumed (the embedded engine has no autovacuum; on PostgreSQL it is a no-op).
// Events past their TTL are deleted first, so the same pass reclaims their space.
import { sleep } from '../model/abort.js';
import type { Store } from '../store/types.js';
import { systemClock, type Clock } from './clock.js';
import type { Controller } from './control-plane.js';
import { DEFAULT_EVENT_TTL_MS, expireEvents } from './event-expiry.js';

/** Change-log entries kept: minutes of heavy activity, enough for any live watch to keep up. */
export const DEFAULT_KEEP_CHANGES = 20_000;
/** Time between passes (real time: the store's size does not follow a simulated clock). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 5 * 60_000;

export interface StoreMaintenanceOptions {
  store: Store;
  keepChanges?: number;
  intervalMs?: number;
  /** Delay before the first pass (default: one interval), so it does not compete with start-up. */
  firstPassAfterMs?: number;
  /** Events last seen longer ago than this are deleted (default 1 h). */
  eventTtlMs?: number;
  /** Judges the Events' age (their times come from the same clock). */
  clock?: Clock;
  log?: (msg: string) => void;
}

export class StoreMaintenanceController implements Controller {
  private readonly keep: number;
  private readonly intervalMs: number;
  private readonly firstMs: number;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: StoreMaintenanceOptions) {
    this.keep = opts.keepChanges ?? DEFAULT_KEEP_CHANGES;
    this.intervalMs = opts.intervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS;
    this.firstMs = opts.firstPassAfterMs ?? this.intervalMs;
    this.log = opts.log ?? (() => undefined);
  }

  async start(signal: AbortSignal): Promise<void> {
    let wait = this.firstMs;
    while (await sleep(wait, signal)) {
      try {
        await this.runOnce();
      } catch (err) {
        // A failed pass (e.g. the store closing) is retried next time; it must not end the term.
        if (!signal.aborted) this.log(`store maintenance: ${(err as Error).message}`);
      }
      wait = this.intervalMs;
    }
  }

  /** One pass: expire old Events, compact the change log to its newest entries, then vacuum. */
  async runOnce(): Promise<void> {
    const expired = await expireEvents(this.opts.store, (this.opts.clock ?? systemClock).now(), this.opts.eventTtlMs ?? DEFAULT_EVENT_TTL_MS);
    if (expired > 0) this.log(`store maintenance: ${expired} events older than the event TTL deleted`);
    await this.opts.store.compact(this.keep);
    await this.opts.store.vacuum();
  }
}
