// Usage and invoice maths on hand-computed scenarios, and properties: an invoice's total is the
// sum of its lines and never negative; splitting a period anywhere never changes its cost.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PriceBookSpec, PriceEntry } from '../../model/kinds/price-book.js';
import type { UsageInterval } from '../../store/usage.js';
import { buildInvoice, monthWindow } from './invoice.js';
import { formatMicros, parseMicros } from './money.js';
import { compilePrices, priceIntervals } from './pricing.js';
import { usageReport } from './report.js';

const H = 3_600_000;
const T = Date.parse('2026-11-14T22:00:00Z');
const GiB = 2 ** 30;

function iv(over: Partial<UsageInterval>): UsageInterval {
  return {
    allocationUid: 'a-1',
    project: 'vision',
    allocation: 'train-0',
    workloadKind: 'Job',
    workloadName: 'train',
    queue: 'team-a',
    node: 'n1',
    site: 'eu-fra-1',
    resourceClass: 'gpu:H100-80GB',
    model: 'H100-80GB',
    profile: '',
    quantity: 1000,
    isolation: 'dedicated',
    priorityClass: '',
    preemptible: false,
    startMs: T,
    endMs: T + H,
    open: false,
    ...over,
  };
}

const book = (prices: PriceEntry[], extra: Partial<PriceBookSpec> = {}): { name: string; spec: PriceBookSpec } => ({
  name: 'list',
  spec: { currency: 'EUR', prices, ...extra },
});

function invoiceOf(intervals: UsageInterval[], prices: PriceEntry[], extra: Partial<PriceBookSpec> = {}) {
  const p = compilePrices([book(prices, extra)]);
  return buildInvoice('vision', '2026-11', priceIntervals(intervals, p), p.currency);
}

describe('invoices on hand-computed scenarios', () => {
  it('whole GPUs, CPU and memory: 2×H100 for 3 h at 2.50, 4 cores at 0.05, 8 GiB at 0.01', () => {
    const inv = invoiceOf(
      [
        iv({ quantity: 2000, endMs: T + 3 * H }),
        iv({ resourceClass: 'cpu', model: '', quantity: 4000, endMs: T + 3 * H }),
        iv({ resourceClass: 'memory', model: '', quantity: 8 * GiB, endMs: T + 3 * H }),
      ],
      [
        { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50' },
        { resource: 'cpu', pricePerHour: '0.05' },
        { resource: 'memory', pricePerHour: '0.01' },
      ],
    );
    expect(inv.currency).toBe('EUR');
    expect(inv.lines.map((l) => [l.resource, l.quantity, l.unit, l.unitPrice, l.amount])).toEqual([
      ['cpu', 12, 'core-hour', '0.05', '0.60'],
      ['gpu:H100-80GB', 6, 'GPU-hour', '2.50', '15.00'],
      ['memory', 24, 'GiB-hour', '0.01', '0.24'],
    ]);
    expect(inv.total).toBe('15.84');
  });

  it('MIG instances by profile and a shared GPU priced from its GPU price', () => {
    const inv = invoiceOf(
      [
        iv({ resourceClass: 'mig:A100-80GB:1g.10gb', model: 'A100-80GB', profile: '1g.10gb', quantity: 2000, isolation: 'mig', endMs: T + 1.5 * H }),
        iv({ resourceClass: 'share:L4', model: 'L4', quantity: 250, isolation: 'shared', endMs: T + 4 * H }),
      ],
      [
        { resource: 'mig', model: 'A100-80GB', profile: '1g.10gb', pricePerHour: '0.40' },
        { resource: 'gpu', model: 'L4', pricePerHour: '0.80' },
      ],
    );
    // 2 instances × 1.5 h × 0.40 = 1.20; 0.25 GPU × 4 h × 0.80 = 0.80.
    expect(inv.lines.map((l) => [l.resource, l.quantity, l.unitPrice, l.amount])).toEqual([
      ['mig:A100-80GB:1g.10gb', 3, '0.40', '1.20'],
      ['share:L4', 1, '0.80', '0.80'],
    ]);
    expect(inv.total).toBe('2.00');
    // GPU-hours count a 1g MIG instance by its weight, 1 of 7 compute slices rounded down: 0.142.
    const report = usageReport(priceIntervals([iv({ resourceClass: 'mig:A100-80GB:1g.10gb', model: 'A100-80GB', profile: '1g.10gb', quantity: 7000, endMs: T + H })], compilePrices([])), {
      from: new Date(T),
      to: new Date(T + H),
      by: 'model',
      currency: 'EUR',
    });
    expect(report.rows).toEqual([{ key: 'A100-80GB 1g.10gb', gpuHours: 0.994, cpuCoreHours: 0, memoryGiBHours: 0, cost: '0.00' }]);
  });

  it('a price change mid-period bills each side at its own price', () => {
    const cut = '2026-11-15T00:00:00Z';
    const inv = invoiceOf(
      [iv({ endMs: T + 4 * H })],
      [
        { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50', effectiveUntil: cut },
        { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.00', effectiveFrom: cut },
      ],
    );
    // 22:00 → 00:00 at 2.50 (5.00), 00:00 → 02:00 at 2.00 (4.00).
    expect(inv.lines.map((l) => [l.quantity, l.unitPrice, l.amount])).toEqual([
      [2, '2.00', '4.00'],
      [2, '2.50', '5.00'],
    ]);
    expect(inv.total).toBe('9.00');
  });

  it('preemptible work gets the price book discount, on its own line', () => {
    const inv = invoiceOf(
      [iv({ endMs: T + 10 * H, preemptible: true, priorityClass: 'spot' }), iv({ allocationUid: 'a-2', endMs: T + 2 * H })],
      [{ resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50' }],
      { preemptibleDiscountPercent: 30 },
    );
    expect(inv.lines.map((l) => [l.quantity, l.unitPrice, l.amount, /preemptible −30%/.test(l.description)])).toEqual([
      [10, '1.75', '17.50', true],
      [2, '2.50', '5.00', false],
    ]);
    expect(inv.total).toBe('22.50');
  });

  it('per site and per isolation tier: the most specific entry wins', () => {
    const prices: PriceEntry[] = [
      { resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50' },
      { resource: 'gpu', model: 'H100-80GB', site: 'eu-fra-1', pricePerHour: '3.00' },
      { resource: 'gpu', model: 'H100-80GB', site: 'eu-fra-1', isolation: 'exclusive-node', pricePerHour: '3.60' },
    ];
    const inv = invoiceOf([iv({}), iv({ allocationUid: 'b', site: 'us-east-1' }), iv({ allocationUid: 'c', isolation: 'exclusive-node' })], prices);
    expect(inv.lines.map((l) => [l.site, l.unitPrice, l.amount])).toEqual([
      ['eu-fra-1', '3.00', '3.00'],
      ['eu-fra-1', '3.60', '3.60'],
      ['us-east-1', '2.50', '2.50'],
    ]);
    expect(inv.total).toBe('9.10');
  });

  it('usage without a price still shows, at 0, and says so', () => {
    const inv = invoiceOf([iv({ resourceClass: 'gpu:B200', model: 'B200' })], []);
    expect(inv.lines).toHaveLength(1);
    expect(inv.lines[0]).toMatchObject({ amount: '0.00', quantity: 1 });
    expect(inv.lines[0]!.description).toMatch(/no price/);
  });

  it('reports by queue with an hourly series', () => {
    const p = compilePrices([book([{ resource: 'gpu', pricePerHour: '1.00' }])]);
    const r = usageReport(priceIntervals([iv({ startMs: T + H / 2, endMs: T + 2 * H })], p), { from: new Date(T), to: new Date(T + 3 * H), by: 'queue', currency: 'EUR', step: 'hour' });
    expect(r.rows).toEqual([{ key: 'team-a', gpuHours: 1.5, cpuCoreHours: 0, memoryGiBHours: 0, cost: '1.50' }]);
    expect(r.series).toEqual([
      { t: '2026-11-14T22:00:00.000Z', key: 'team-a', gpuHours: 0.5, cost: '0.50' },
      { t: '2026-11-14T23:00:00.000Z', key: 'team-a', gpuHours: 1, cost: '1.00' },
    ]);
  });

  it('names the bad field of a wrong month or price', () => {
    expect(() => monthWindow('2026-13')).toThrow(/month/);
    expect(() => parseMicros('1.2345678', 'spec.prices.0.pricePerHour')).toThrow(/spec\.prices\.0\.pricePerHour/);
    expect(formatMicros(1_234_567n)).toBe('1.234567');
  });
});

const MONTH = monthWindow('2026-11');
const span = MONTH.to.getTime() - MONTH.from.getTime();
const CLASSES = ['gpu:H100-80GB', 'share:L4', 'mig:A100-80GB:1g.10gb', 'cpu', 'memory'] as const;

const intervalArb = fc
  .record({
    cls: fc.constantFrom(...CLASSES),
    start: fc.integer({ min: 0, max: span - 1 }),
    len: fc.integer({ min: 1, max: 5 * 24 * H }),
    qty: fc.integer({ min: 1, max: 8000 }),
    site: fc.constantFrom('eu-fra-1', 'us-east-1'),
    preemptible: fc.boolean(),
  })
  .map(({ cls, start, len, qty, site, preemptible }) => {
    const [, model = '', profile = ''] = cls.split(':');
    const startMs = MONTH.from.getTime() + start;
    return iv({ resourceClass: cls, model, profile, quantity: cls === 'memory' ? qty * 1_000_000 : qty, site, preemptible, startMs, endMs: Math.min(startMs + len, MONTH.to.getTime()) });
  });

const priceArb: fc.Arbitrary<PriceEntry> = fc.record({
  resource: fc.constantFrom('gpu' as const, 'share' as const, 'mig' as const, 'cpu' as const, 'memory' as const),
  pricePerHour: fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 999_999 })).map(([w, f]) => `${w}.${String(f).padStart(6, '0')}`),
  site: fc.option(fc.constantFrom('eu-fra-1', 'us-east-1'), { nil: undefined }),
  effectiveFrom: fc.option(fc.integer({ min: 0, max: span }).map((o) => new Date(MONTH.from.getTime() + o).toISOString()), { nil: undefined }),
});

function clip(ivs: UsageInterval[], from: number, to: number): UsageInterval[] {
  return ivs.flatMap((i) => {
    const s = Math.max(i.startMs, from);
    const e = Math.min(i.endMs, to);
    return e > s ? [{ ...i, startMs: s, endMs: e }] : [];
  });
}

describe('invoice properties', () => {
  it('the total equals the sum of the lines and is never negative', () => {
    fc.assert(
      fc.property(fc.array(intervalArb, { maxLength: 20 }), fc.array(priceArb, { maxLength: 8 }), fc.integer({ min: 0, max: 100 }), (ivs, prices, discount) => {
        const inv = invoiceOf(ivs, prices, { preemptibleDiscountPercent: discount });
        const sum = inv.lines.reduce((n, l) => n + parseMicros(l.amount), 0n);
        expect(parseMicros(inv.total)).toBe(sum);
        for (const l of inv.lines) expect(l.amount.startsWith('-')).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('splitting a period anywhere never changes its exact cost', () => {
    fc.assert(
      fc.property(fc.array(intervalArb, { maxLength: 20 }), fc.array(priceArb, { maxLength: 8 }), fc.integer({ min: 1, max: span - 1 }), (ivs, prices, at) => {
        const p = compilePrices([book(prices, { preemptibleDiscountPercent: 25 })]);
        const cost = (list: UsageInterval[]): bigint => priceIntervals(list, p).reduce((n, s) => n + s.raw, 0n);
        const mid = MONTH.from.getTime() + at;
        expect(cost(clip(ivs, MONTH.from.getTime(), mid)) + cost(clip(ivs, mid, MONTH.to.getTime()))).toBe(cost(ivs));
      }),
      { numRuns: 200 },
    );
  });
});
