// The budget controller: every interval, for every Budget, sums the project's usage in the
// current period, writes it onto the Budget's status, and when a threshold is crossed for the
// first time in the period records an Event (in the same transaction as the status) and then
// POSTs an alert to the budget's webhook (bounded timeout, a few retries). The status is written
// first, so an alert goes out at most once per threshold and period even across restarts.
import { setTimeout as delay } from 'node:timers/promises';
import type { BudgetPeriod, BudgetSpec, BudgetStatus } from '../../model/kinds/budget.js';
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { systemClock, type Clock } from '../clock.js';
import { recordEvent } from '../events.js';
import { evaluateBudget, periodWindow, periodWord, usedText, type Used } from './budget.js';
import { divRound } from './money.js';
import { gpuEquivalent, RAW_PER_MICRO } from './pricing.js';
import { pricedUsage } from './service.js';

export interface BudgetControllerOptions {
  store: Store;
  clock?: Clock;
  /** Between evaluations (default 30 s). */
  intervalMs?: number;
  /** Per webhook attempt (default 5 s). */
  webhookTimeoutMs?: number;
  /** Attempts per alert (default 3), with 0.5 s, 1 s, … between them. */
  webhookAttempts?: number;
  log?: (msg: string) => void;
}

export interface BudgetAlert {
  budget: string;
  project: string;
  period: string;
  threshold: number;
  percent: number;
  used: BudgetStatus['used'];
  limit: BudgetSpec['limit'];
  exhausted: boolean;
  message: string;
  time: string;
}

export class BudgetController {
  private readonly clock: Clock;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: BudgetControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? (() => undefined);
  }

  /** Runs until the signal aborts (the control plane's Controller contract). */
  async start(signal: AbortSignal): Promise<void> {
    const every = this.opts.intervalMs ?? 30_000;
    while (!signal.aborted) {
      try {
        await this.evaluateAll();
      } catch (e) {
        if (!signal.aborted) this.log(`budgets: ${(e as Error).message}`);
      }
      await delay(every, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One pass over every Budget; returns the alerts it sent (tests await this directly). */
  async evaluateAll(): Promise<BudgetAlert[]> {
    const { items } = await this.opts.store.list('Budget');
    const alerts: BudgetAlert[] = [];
    for (const b of items) {
      try {
        alerts.push(...(await this.evaluate(b)));
      } catch (e) {
        this.log(`budget ${b.metadata.project}/${b.metadata.name}: ${(e as Error).message}`);
      }
    }
    return alerts;
  }

  private async evaluate(budget: Resource): Promise<BudgetAlert[]> {
    const { store } = this.opts;
    const now = this.clock.now();
    const spec = budget.spec as unknown as BudgetSpec;
    const project = budget.metadata.project!;
    const period: BudgetPeriod = spec.period ?? 'month';
    const window = periodWindow(period, now);
    const { segments, currency } = await pricedUsage(store, { from: window.from, to: window.to, now, project });
    let raw = 0n;
    let gpuHours = 0;
    for (const s of segments) {
      raw += s.raw;
      gpuHours += gpuEquivalent(s.interval) * ((s.endMs - s.startMs) / 3_600_000);
    }
    const used: Used = { gpuHours, amountMicros: divRound(raw, RAW_PER_MICRO), currency };
    const committed = await store.transaction(async (tx) => {
      const cur = await tx.get({ kind: 'Budget', project, name: budget.metadata.name });
      if (!cur || cur.metadata.uid !== budget.metadata.uid) return undefined;
      // Evaluated against the Budget as it is now: its limit may have changed since the list.
      const curSpec = cur.spec as unknown as BudgetSpec;
      const { status, crossed } = evaluateBudget(curSpec, cur.status as Partial<BudgetStatus> | undefined, used, window, now);
      const out: BudgetAlert[] = [];
      for (const threshold of crossed) {
        const exhausted = threshold >= 100;
        const message = `budget "${cur.metadata.name}" of project "${project}" ${exhausted ? 'exhausted' : `passed ${threshold}%`}: ${usedText(curSpec, used)} used ${periodWord(period)} (${window.label})`;
        await recordEvent(tx, cur, { type: 'Warning', reason: exhausted ? 'BudgetExhausted' : 'BudgetThreshold', message, source: 'budget-controller' }, now);
        out.push({ budget: cur.metadata.name, project, period: window.label, threshold, percent: status.percent, used: status.used, limit: curSpec.limit, exhausted: status.exhausted, message, time: now.toISOString() });
      }
      await tx.update({ ...cur, status: status as unknown as Record<string, unknown> }, { resourceVersion: cur.metadata.resourceVersion });
      return { alerts: out, url: curSpec.webhook?.url };
    });
    if (!committed) return [];
    if (committed.url && committed.alerts.length > 0) {
      let outcome = 'not sent';
      for (const a of committed.alerts) outcome = await this.post(committed.url, a);
      await this.noteWebhook(budget, outcome, now);
    }
    return committed.alerts;
  }

  /** POSTs one alert; returns "200" or what went wrong, after the last attempt. */
  private async post(url: string, alert: BudgetAlert): Promise<string> {
    const attempts = this.opts.webhookAttempts ?? 3;
    let last = 'not sent';
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500 * 2 ** (i - 1)));
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'weft-budget-controller' },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(this.opts.webhookTimeoutMs ?? 5_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        last = String(res.status);
        if (res.ok) return last;
        if (res.status < 500 && res.status !== 429) return last; // the receiver refused it: retrying will not help
      } catch (e) {
        last = `error: ${(e as Error).message}`;
      }
    }
    this.log(`budget ${alert.project}/${alert.budget}: webhook failed after ${attempts} attempts (${last})`);
    return last;
  }

  private async noteWebhook(budget: Resource, lastStatus: string, now: Date): Promise<void> {
    await this.opts.store
      .transaction(async (tx) => {
        const cur = await tx.get({ kind: 'Budget', project: budget.metadata.project, name: budget.metadata.name });
        if (!cur) return;
        await tx.update({ ...cur, status: { ...(cur.status ?? {}), webhook: { lastStatus, lastAttempt: now.toISOString() } } }, { resourceVersion: cur.metadata.resourceVersion });
      })
      .catch((e: unknown) => this.log(`budget ${budget.metadata.project}/${budget.metadata.name}: ${(e as Error).message}`));
  }
}
