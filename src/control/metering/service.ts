// The metering service: reads usage intervals and price books from the store and hands priced
// segments to the report, invoice and OpenCost builders. Routes and controllers call this.
import type { PriceBookSpec } from '../../model/kinds/price-book.js';
import type { Store, UsageQuery } from '../../store/types.js';
import { buildInvoice, monthWindow, type Invoice } from './invoice.js';
import { openCostAllocation, type OpenCostAggregate, type OpenCostResponse } from './opencost.js';
import { compilePrices, priceIntervals, type PricedSegment, type Prices } from './pricing.js';
import { usageReport, type UsageBy, type UsageReport, type UsageStep } from './report.js';

export async function loadPrices(store: Store): Promise<Prices> {
  const { items } = await store.list('PriceBook');
  return compilePrices(items.map((b) => ({ name: b.metadata.name, spec: b.spec as unknown as PriceBookSpec })));
}

export async function pricedUsage(store: Store, q: UsageQuery): Promise<{ segments: PricedSegment[]; currency: string }> {
  const [prices, intervals] = await Promise.all([loadPrices(store), store.usage.intervals(q)]);
  return { segments: priceIntervals(intervals, prices), currency: prices.currency };
}

export async function usageFor(store: Store, q: UsageQuery & { by: UsageBy; step?: UsageStep }): Promise<UsageReport> {
  const { segments, currency } = await pricedUsage(store, q);
  return usageReport(segments, { from: q.from, to: q.to, by: q.by, currency, step: q.step });
}

export async function invoiceFor(store: Store, project: string, month: string, now: Date): Promise<Invoice> {
  const { from, to } = monthWindow(month);
  const { segments, currency } = await pricedUsage(store, { from, to, now, project });
  return buildInvoice(project, month, segments, currency);
}

export async function openCostFor(store: Store, q: UsageQuery & { aggregate: OpenCostAggregate[] }): Promise<OpenCostResponse> {
  const { segments } = await pricedUsage(store, q);
  return openCostAllocation(segments, { from: q.from, to: q.to, aggregate: q.aggregate });
}
