// The metering service: reads usage intervals and price books from the store and hands priced
// segments to the report, invoice and OpenCost builders. Routes and controllers call this.
import type { PriceBookSpec } from '../../model/kinds/price-book.js';
import type { Store, UsageQuery } from '../../store/types.js';
import { buildInvoice, monthWindow, type Invoice } from './invoice.js';
import { openCostAllocation, type OpenCostAggregate, type OpenCostResponse } from './opencost.js';
import { compilePrices, priceIntervals, type PricedSegment, type Prices } from './pricing.js';
import { usageReport, type UsageBy, type UsageReport, type UsageStep } from './report.js';
import { withReservations, type ReservationUse } from './reservations.js';

export async function loadPrices(store: Store): Promise<Prices> {
  const { items } = await store.list('PriceBook');
  return compilePrices(items.map((b) => ({ name: b.metadata.name, spec: b.spec as unknown as PriceBookSpec })));
}

/** Priced usage with the reservations' charges (reservations.ts), and how much of each reservation was used. */
export async function pricedUsage(store: Store, q: UsageQuery): Promise<{ segments: PricedSegment[]; currency: string; reservations: ReservationUse[] }> {
  const [prices, usage] = await Promise.all([loadPrices(store), store.usage.intervals(q)]);
  const { intervals, uses } = await withReservations(store, q, usage);
  return { segments: priceIntervals(intervals, prices), currency: prices.currency, reservations: uses };
}

export async function usageFor(store: Store, q: UsageQuery & { by: UsageBy; step?: UsageStep }): Promise<UsageReport> {
  const { segments, currency, reservations } = await pricedUsage(store, q);
  const report = usageReport(segments, { from: q.from, to: q.to, by: q.by, currency, step: q.step });
  return reservations.length > 0 ? { ...report, reservations } : report;
}

export async function invoiceFor(store: Store, project: string, month: string, now: Date): Promise<Invoice> {
  const { from, to } = monthWindow(month);
  const { segments, currency, reservations } = await pricedUsage(store, { from, to, now, project });
  const invoice = buildInvoice(project, month, segments, currency);
  return reservations.length > 0 ? { ...invoice, reservations } : invoice;
}

export async function openCostFor(store: Store, q: UsageQuery & { aggregate: OpenCostAggregate[] }): Promise<OpenCostResponse> {
  const { segments } = await pricedUsage(store, q);
  return openCostAllocation(segments, { from: q.from, to: q.to, aggregate: q.aggregate });
}
