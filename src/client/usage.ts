// Metering from the client's side: usage reports, invoices and the OpenCost export
// (contract C in docs/metering.md). Money is an exact decimal string, e.g. "12.50".
import type { Invoice, UsageBy, UsageReport, UsageStep } from '../model/metering.js';
import type { WeftClient } from './client.js';

export type { Invoice, InvoiceLine, UsagePoint, UsageReport, UsageRow } from '../model/metering.js';
/** What a usage report groups by. */
export type UsageGrouping = UsageBy;

export interface UsageOptions {
  project?: string;
  /** RFC 3339; default: the start of the current month. */
  from?: string;
  /** RFC 3339; default: now. */
  to?: string;
  by?: UsageGrouping;
  step?: UsageStep;
}

export function getUsage(client: WeftClient, opts: UsageOptions = {}): Promise<UsageReport> {
  return client.request<UsageReport>('GET', '/api/v1/usage', { query: { project: opts.project, from: opts.from, to: opts.to, by: opts.by, step: opts.step } });
}

export function getInvoice(client: WeftClient, project: string, month: string): Promise<Invoice> {
  return client.request<Invoice>('GET', `/api/v1/projects/${encodeURIComponent(project)}/invoices/${encodeURIComponent(month)}`);
}

/** OpenCost's /allocation response: one set of allocations keyed by the aggregate. */
export function getOpenCostAllocation(client: WeftClient, opts: { window?: string; aggregate?: string } = {}): Promise<{ code: number; data: Record<string, Record<string, unknown>>[] }> {
  return client.request('GET', '/api/v1/opencost/allocation', { query: { window: opts.window, aggregate: opts.aggregate } });
}
