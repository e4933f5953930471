// Pricing: which PriceBook entry applies to a piece of usage at each instant, and what that piece
// costs, exactly. An interval is split wherever an applicable entry starts or stops being
// effective, so a price change mid-period bills each side at its own price.
//
// Costs are exact rationals over one common denominator (RAW_PER_MICRO): quantity units (milli or
// bytes) × milliseconds × price (micro-units per hour) × (10000 − discount in basis points). Raw
// amounts add without loss, so splitting a period anywhere never changes its total; rounding to
// micro-units happens once per invoice line.
import { GPU_MILLI, migMilli } from '../../model/allocation-rules.js';
import type { PriceBookSpec, PricedResource } from '../../model/kinds/price-book.js';
import type { UsageInterval } from '../../store/usage.js';
import { parseMicros } from './money.js';

const MS_PER_HOUR = 3_600_000n;
const BYTES_PER_GIB = 1n << 30n;
const MILLI = 1000n;
const BPS = 10_000n;
/** Raw units in one micro-unit of money. */
export const RAW_PER_MICRO = MILLI * BYTES_PER_GIB * MS_PER_HOUR * BPS;

export interface PriceBookInput {
  name: string;
  spec: PriceBookSpec;
}

export interface PriceEntryRef {
  book: string;
  resource: PricedResource;
  /** List price per unit-hour, micro-units. */
  priceMicros: bigint;
  /** Discount applied to this piece (basis points); 0 unless the work was preemptible. */
  discountBps: bigint;
  currency: string;
}

interface CompiledEntry extends Omit<PriceEntryRef, 'discountBps'> {
  model?: string;
  profile?: string;
  isolation?: string;
  site?: string;
  fromMs: number;
  untilMs: number;
  preemptibleDiscountBps: bigint;
  specificity: number;
  order: number;
}

export interface Prices {
  entries: readonly CompiledEntry[];
  currency: string;
}

/** One priced piece of an interval: [startMs, endMs) at one entry (or unpriced). */
export interface PricedSegment {
  interval: UsageInterval;
  startMs: number;
  endMs: number;
  entry?: PriceEntryRef;
  /** Cost × RAW_PER_MICRO (exact). */
  raw: bigint;
}

const time = (iso: string | undefined, fallback: number): number => (iso === undefined ? fallback : Date.parse(iso));

/** Flattens price books into one list of entries; the first book's currency names the bill's. */
export function compilePrices(books: readonly PriceBookInput[]): Prices {
  const sorted = [...books].sort((a, b) => a.name.localeCompare(b.name));
  const entries: CompiledEntry[] = [];
  let order = 0;
  for (const b of sorted) {
    const bps = BigInt(Math.round((b.spec.preemptibleDiscountPercent ?? 0) * 100));
    b.spec.prices.forEach((p, i) => {
      entries.push({
        book: b.name,
        resource: p.resource,
        priceMicros: parseMicros(p.pricePerHour, `spec.prices.${i}.pricePerHour`),
        currency: b.spec.currency ?? 'USD',
        ...(p.model !== undefined ? { model: p.model } : {}),
        ...(p.profile !== undefined ? { profile: p.profile } : {}),
        ...(p.isolation !== undefined ? { isolation: p.isolation } : {}),
        ...(p.site !== undefined ? { site: p.site } : {}),
        fromMs: time(p.effectiveFrom, -Infinity),
        untilMs: time(p.effectiveUntil, Infinity),
        preemptibleDiscountBps: bps,
        specificity: [p.model, p.profile, p.isolation, p.site].filter((v) => v !== undefined).length,
        order: order++,
      });
    });
  }
  return { entries, currency: sorted[0]?.spec.currency ?? 'USD' };
}

/** "gpu:H100-80GB" → gpu; "mig:A100-80GB:1g.10gb" → mig; "cpu" → cpu. */
export function resourceKind(resourceClass: string): PricedResource {
  const k = resourceClass.split(':')[0];
  return k === 'gpu' || k === 'mig' || k === 'share' || k === 'cpu' || k === 'memory' || k === 'reservation' || k === 'lease' ? k : 'cpu';
}

/** Entries that could price this interval at some instant (time aside). A share may use a GPU price. */
function candidates(prices: Prices, iv: UsageInterval): CompiledEntry[] {
  const kind = resourceKind(iv.resourceClass);
  const fits = (e: CompiledEntry, as: PricedResource): boolean =>
    e.resource === as &&
    (e.model === undefined || e.model === iv.model) &&
    (e.profile === undefined || e.profile === iv.profile) &&
    (e.isolation === undefined || e.isolation === iv.isolation) &&
    (e.site === undefined || e.site === iv.site);
  const own = prices.entries.filter((e) => fits(e, kind));
  // Without a share price, a share costs its fraction of the GPU price; without a reservation
  // price, booked GPU-hours cost the model's GPU price (leased ones too).
  if (kind === 'share' || kind === 'reservation' || kind === 'lease') return [...own, ...prices.entries.filter((e) => fits(e, 'gpu')).map((e) => ({ ...e, specificity: e.specificity - 10 }))];
  return own;
}

/** The most specific entry in effect at `t`; among equals the latest effective one, then book order. */
function pick(cands: readonly CompiledEntry[], t: number): CompiledEntry | undefined {
  let best: CompiledEntry | undefined;
  for (const e of cands) {
    if (t < e.fromMs || t >= e.untilMs) continue;
    if (!best || e.specificity > best.specificity || (e.specificity === best.specificity && (e.fromMs > best.fromMs || (e.fromMs === best.fromMs && e.order < best.order)))) best = e;
  }
  return best;
}

/** Cost of `quantity` units for `ms` milliseconds at `priceMicros` per hour less `discountBps`, in raw units. */
export function rawCost(resourceClass: string, quantity: number, ms: number, priceMicros: bigint, discountBps: bigint): bigint {
  const scale = resourceKind(resourceClass) === 'memory' ? MILLI : BYTES_PER_GIB;
  return BigInt(quantity) * BigInt(ms) * priceMicros * (BPS - discountBps) * scale;
}

export function priceIntervals(intervals: readonly UsageInterval[], prices: Prices): PricedSegment[] {
  const out: PricedSegment[] = [];
  for (const iv of intervals) {
    // Work inside a reservation's window is paid for by the reservation's own charge.
    if (iv.coveredBy !== undefined) {
      out.push({ interval: iv, startMs: iv.startMs, endMs: iv.endMs, raw: 0n });
      continue;
    }
    const cands = candidates(prices, iv);
    const cuts = new Set<number>([iv.startMs, iv.endMs]);
    for (const e of cands) for (const t of [e.fromMs, e.untilMs]) if (t > iv.startMs && t < iv.endMs) cuts.add(t);
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const startMs = points[i]!;
      const endMs = points[i + 1]!;
      const e = pick(cands, startMs);
      if (!e) {
        out.push({ interval: iv, startMs, endMs, raw: 0n });
        continue;
      }
      const discountBps = iv.preemptible ? e.preemptibleDiscountBps : 0n;
      out.push({
        interval: iv,
        startMs,
        endMs,
        entry: { book: e.book, resource: e.resource, priceMicros: e.priceMicros, discountBps, currency: e.currency },
        raw: rawCost(iv.resourceClass, iv.quantity, endMs - startMs, e.priceMicros, discountBps),
      });
    }
  }
  return out;
}

/**
 * Whole-GPU equivalents held: a whole GPU 1, a share its fraction, a MIG instance its GPU weight
 * (model/allocation-rules.ts: compute slices of 7, 0.428 for a 3g).
 */
export function gpuEquivalent(iv: Pick<UsageInterval, 'resourceClass' | 'profile' | 'quantity'>): number {
  const kind = resourceKind(iv.resourceClass);
  if (kind === 'gpu' || kind === 'share') return iv.quantity / GPU_MILLI;
  if (kind === 'mig') return (iv.quantity / GPU_MILLI) * (migMilli(iv.profile) / GPU_MILLI);
  return 0;
}

/** Hours of the unit a resource is priced in: GPU-, instance-, core- or GiB-hours. */
export function unitHours(resourceClass: string, quantity: number, ms: number): number {
  const perUnit = resourceKind(resourceClass) === 'memory' ? 2 ** 30 : 1000;
  return (quantity / perUnit) * (ms / 3_600_000);
}

export function unitName(resourceClass: string): string {
  switch (resourceKind(resourceClass)) {
    case 'gpu':
    case 'share':
      return 'GPU-hour';
    case 'reservation':
      return 'booked GPU-hour';
    case 'lease':
      return 'leased GPU-hour';
    case 'mig':
      return 'instance-hour';
    case 'cpu':
      return 'core-hour';
    case 'memory':
      return 'GiB-hour';
  }
}
