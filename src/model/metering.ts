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
  /** How much of each started reservation was used in the window (present when there are any). */
  reservations?: ReservationUse[];
}

/** One reservation in a usage window: booked GPU-hours charged, and GPU-hours its work used inside its window. */
export interface ReservationUse {
  project: string;
  name: string;
  model: string;
  gpus: number;
  start: string;
  end: string;
  reservedGpuHours: number;
  usedGpuHours: number;
}

export interface InvoiceLine {
  description: string;
  /** Resource class: gpu:<model>, mig:<model>:<profile>, share:<model>, cpu, memory, reservation:<model>. */
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
  /** Reserved against used hours of each reservation billed this month (present when there are any). */
  reservations?: ReservationUse[];
}

/** Digits after the point a currency is written with (EUR 2, JPY 0, BHD 3), from the ISO 4217 data Intl carries. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2; // not a well-formed currency code: cents are the common case
  }
}

/**
 * An exact decimal amount rounded (half away from zero) to its currency's precision, without a
 * symbol or grouping: "0.013646" EUR → "0.01". Formatting the string itself keeps every digit
 * exact; no float ever holds the amount.
 */
export function roundMoney(amount: string, currency: string): string {
  if (!/^-?\d+(\.\d+)?$/.test(amount)) return amount;
  const digits = currencyDigits(currency);
  const format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
  return format.format(amount as Intl.StringNumericLiteral);
}

/** The exact sum of decimal amounts ("0.12" + "1.005" = "1.125"), in integers scaled to the longest fraction. */
export function sumDecimals(amounts: readonly string[]): string {
  const parsed = amounts.map((a) => /^(-?)(\d+)(?:\.(\d+))?$/.exec(a.trim())).filter((m): m is RegExpExecArray => m !== null);
  const scale = Math.max(0, ...parsed.map((m) => (m[3] ?? '').length));
  let total = 0n;
  for (const m of parsed) {
    const v = BigInt(`${m[2]}${(m[3] ?? '').padEnd(scale, '0')}`);
    total += m[1] ? -v : v;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
