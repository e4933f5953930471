// A controller that makes a pass over the store every interval (the reservation and lease
// controllers, whose work is due by time as much as by change): options, and the loop, until the
// control plane's signal aborts (a failed pass is logged; the next one retries).
import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../store/types.js';
import { systemClock, type Clock } from './clock.js';

export interface PollingOptions {
  store: Store;
  clock?: Clock;
  /** Between passes. */
  intervalMs?: number;
  log?: (msg: string) => void;
}

export abstract class PollingController {
  protected readonly clock: Clock;
  protected readonly log: (msg: string) => void;

  constructor(
    protected readonly opts: PollingOptions,
    private readonly what: string,
    private readonly defaultIntervalMs: number,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? (() => undefined);
  }

  /** One pass (tests call it directly). */
  abstract reconcileAll(): Promise<void>;

  async start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.reconcileAll();
      } catch (e) {
        if (!signal.aborted) this.log(`${this.what}: ${(e as Error).message}`);
      }
      await delay(this.opts.intervalMs ?? this.defaultIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
