// Budgets, the pure part: which calendar period (UTC) an instant falls in, how much of a limit
// is used, and which alert thresholds are newly crossed. The controller does the I/O.
import type { BudgetPeriod, BudgetSpec, BudgetStatus } from '../../model/kinds/budget.js';
import { formatMicros, parseMicros } from './money.js';

export const DEFAULT_THRESHOLDS = [50, 80, 100];
const DAY = 86_400_000;

export interface PeriodWindow {
  /** "2026-11", "2026-11-24" or the Monday's date prefixed "week-" ("week-2026-11-23"). */
  label: string;
  from: Date;
  to: Date;
}

export function periodWindow(period: BudgetPeriod, now: Date): PeriodWindow {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const day = Math.floor(now.getTime() / DAY) * DAY;
  if (period === 'day') return { label: new Date(day).toISOString().slice(0, 10), from: new Date(day), to: new Date(day + DAY) };
  if (period === 'week') {
    const monday = day - ((now.getUTCDay() + 6) % 7) * DAY;
    return { label: `week-${new Date(monday).toISOString().slice(0, 10)}`, from: new Date(monday), to: new Date(monday + 7 * DAY) };
  }
  return { label: `${y}-${String(m + 1).padStart(2, '0')}`, from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
}

export const periodWord = (p: BudgetPeriod): string => (p === 'day' ? 'today' : `this ${p}`);

export interface Used {
  gpuHours: number;
  amountMicros: bigint;
  currency: string;
}

export interface Evaluation {
  status: BudgetStatus;
  /** Thresholds crossed now for the first time in this period (ascending). */
  crossed: number[];
}

/** Percent of the limit used, to two decimals (exact for money). */
export function percentUsed(spec: BudgetSpec, used: Used): number {
  if ('amount' in spec.limit) {
    const limit = parseMicros(spec.limit.amount, 'spec.limit.amount');
    if (limit === 0n) return used.amountMicros > 0n ? Infinity : 0;
    return Number((used.amountMicros * 10_000n) / limit) / 100;
  }
  return Math.floor((used.gpuHours / spec.limit.gpuHours) * 10_000) / 100;
}

/** "12.5 of 100 GPU-hours" or "EUR 1200.00 of EUR 1000.00". */
export function usedText(spec: BudgetSpec, used: Used): string {
  if ('amount' in spec.limit) return `${used.currency} ${formatMicros(used.amountMicros)} of ${used.currency} ${spec.limit.amount}`;
  return `${Math.round(used.gpuHours * 100) / 100} of ${spec.limit.gpuHours} GPU-hours`;
}

export function evaluateBudget(spec: BudgetSpec, previous: Partial<BudgetStatus> | undefined, used: Used, window: PeriodWindow, now: Date): Evaluation {
  const percent = percentUsed(spec, used);
  const samePeriod = previous?.period === window.label;
  const alerted = samePeriod && Array.isArray(previous?.alerted) ? [...previous.alerted] : [];
  const thresholds = [...new Set(spec.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  const crossed = thresholds.filter((t) => percent >= t && !alerted.includes(t));
  return {
    crossed,
    status: {
      period: window.label,
      periodStart: window.from.toISOString(),
      periodEnd: window.to.toISOString(),
      used: { gpuHours: Math.round(used.gpuHours * 1e6) / 1e6, amount: formatMicros(used.amountMicros), currency: used.currency },
      percent: Number.isFinite(percent) ? percent : 100,
      alerted: [...alerted, ...crossed].sort((a, b) => a - b),
      exhausted: percent >= 100,
      lastEvaluated: now.toISOString(),
      ...(samePeriod && previous?.webhook ? { webhook: previous.webhook } : {}),
    },
  };
}
