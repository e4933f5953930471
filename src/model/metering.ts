// Metering on the wire (contract C in docs/metering.md): the usage report and invoice shapes the
// control plane computes and the client reads. Money is an exact decimal string, e.g. "12.50".

export const USAGE_GROUPINGS = ['model', 'queue', 'workload', 'site', 'project'] as const;
/** What a usage report groups by. */
export type UsageBy = (typeof USAGE_GROUPINGS)[number];
export type UsageStep = 'hour' | 'day';

export interface UsageRow {
  key: string;
  gpuHours: number;
  cpuCoreHours: number;
  memoryGiBHours: number;
  cost: string;
}

export interface UsagePoint {
  t: string;
  key: string;
  gpuHours: number;
  cost: string;
}

export interface UsageReport {
  from: string;
  to: string;
  by: UsageBy;
  currency: string;
  rows: UsageRow[];
  series?: UsagePoint[];
}

export interface InvoiceLine {
  description: string;
  /** Resource class: gpu:<model>, mig:<model>:<profile>, share:<model>, cpu, memory. */
  resource: string;
  site: string;
  /** In `unit`s, rounded to 6 decimals. */
  quantity: number;
  unit: string;
  /** Per unit, after any discount. */
  unitPrice: string;
  amount: string;
}

export interface Invoice {
  project: string;
  month: string;
  from: string;
  to: string;
  currency: string;
  lines: InvoiceLine[];
  total: string;
}
