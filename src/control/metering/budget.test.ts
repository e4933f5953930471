// Budget maths: calendar periods in UTC, percent of a GPU-hour or money limit, and thresholds
// alerted once per period (and again in the next one).
import { describe, expect, it } from 'vitest';
import type { BudgetSpec } from '../../model/kinds/budget.js';
import { evaluateBudget, percentUsed, periodWindow } from './budget.js';

const at = (iso: string): Date => new Date(iso);

describe('budget periods', () => {
  it('are UTC calendar months, ISO weeks from Monday, and days', () => {
    const t = at('2026-11-25T13:00:00Z'); // a Wednesday
    expect(periodWindow('month', t)).toEqual({ label: '2026-11', from: at('2026-11-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') });
    expect(periodWindow('week', t)).toEqual({ label: 'week-2026-11-23', from: at('2026-11-23T00:00:00Z'), to: at('2026-11-30T00:00:00Z') });
    expect(periodWindow('day', t)).toEqual({ label: '2026-11-25', from: at('2026-11-25T00:00:00Z'), to: at('2026-11-26T00:00:00Z') });
    expect(periodWindow('month', at('2026-12-31T23:59:59Z')).to).toEqual(at('2027-01-01T00:00:00Z'));
    expect(periodWindow('week', at('2026-11-29T23:00:00Z')).label).toBe('week-2026-11-23'); // Sunday
  });
});

describe('budget evaluation', () => {
  const money: BudgetSpec = { limit: { amount: '1000.00' }, thresholds: [50, 80, 100] };
  const used = (micros: number) => ({ gpuHours: 0, amountMicros: BigInt(micros), currency: 'EUR' });

  it('computes percent exactly for money and GPU-hours', () => {
    expect(percentUsed(money, used(333_333_333))).toBe(33.33);
    expect(percentUsed({ limit: { gpuHours: 8 } }, { gpuHours: 6, amountMicros: 0n, currency: 'EUR' })).toBe(75);
  });

  it('alerts each threshold once per period and again in the next period', () => {
    const nov = periodWindow('month', at('2026-11-10T00:00:00Z'));
    const first = evaluateBudget(money, undefined, used(850_000_000), nov, at('2026-11-10T00:00:00Z'));
    expect(first.crossed).toEqual([50, 80]);
    expect(first.status).toMatchObject({ period: '2026-11', percent: 85, alerted: [50, 80], exhausted: false, used: { amount: '850.00', currency: 'EUR' } });
    const again = evaluateBudget(money, first.status, used(990_000_000), nov, at('2026-11-11T00:00:00Z'));
    expect(again.crossed).toEqual([]);
    const over = evaluateBudget(money, again.status, used(1_000_000_000), nov, at('2026-11-12T00:00:00Z'));
    expect(over.crossed).toEqual([100]);
    expect(over.status.exhausted).toBe(true);
    const dec = periodWindow('month', at('2026-12-01T00:00:00Z'));
    const fresh = evaluateBudget(money, over.status, used(600_000_000), dec, at('2026-12-02T00:00:00Z'));
    expect(fresh.crossed).toEqual([50]);
    expect(fresh.status).toMatchObject({ period: '2026-12', alerted: [50], exhausted: false });
  });
});
