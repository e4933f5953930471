// Invoices: a project's priced usage for one calendar month (UTC), one line per resource class,
// site, isolation tier and effective unit price — so a price change mid-month or a preemptible
// discount shows as its own line. Each line is rounded to micro-units once; the total is the sum
// of the rounded lines, so an invoice always adds up.
import { ValidationError } from '../../model/errors.js';
import type { Invoice, InvoiceLine } from '../../model/metering.js';
import { divRound, formatMicros } from './money.js';
import { RAW_PER_MICRO, unitHours, unitName, type PricedSegment } from './pricing.js';

export type { Invoice, InvoiceLine } from '../../model/metering.js';

/** "2026-11" → [2026-11-01T00:00Z, 2026-12-01T00:00Z). */
export function monthWindow(month: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw ValidationError.field('month', `"${month}" is not a month in YYYY-MM form`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { from: new Date(Date.UTC(y, mo, 1)), to: new Date(Date.UTC(y, mo + 1, 1)) };
}

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

function describeClass(resourceClass: string): string {
  const [kind, model, profile] = resourceClass.split(':');
  switch (kind) {
    case 'gpu':
      return `${model}`;
    case 'mig':
      return `${model} MIG ${profile}`;
    case 'share':
      return `${model} shared`;
    case 'cpu':
      return 'CPU';
    default:
      return 'Memory';
  }
}

interface LineAcc {
  line: Omit<InvoiceLine, 'quantity' | 'amount'>;
  hours: number;
  raw: bigint;
}

/** Builds the invoice from priced segments (already restricted to the project and month). */
export function buildInvoice(project: string, month: string, segments: readonly PricedSegment[], currency: string): Invoice {
  const { from, to } = monthWindow(month);
  const acc = new Map<string, LineAcc>();
  for (const s of segments) {
    const iv = s.interval;
    if (iv.quantity === 0 || s.endMs <= s.startMs) continue;
    const price = s.entry ? divRound(s.entry.priceMicros * (10_000n - s.entry.discountBps), 10_000n) : 0n;
    const discount = s.entry && s.entry.discountBps > 0n ? `preemptible −${Number(s.entry.discountBps) / 100}%` : '';
    const tags = [iv.isolation, iv.site, discount].filter((t) => t !== '').join(', ');
    const reservation = iv.workloadKind === 'Reservation' || iv.workloadKind === 'Lease' ? `${iv.workloadKind} ${iv.workloadName} (${iv.model || 'GPU'})` : '';
    const covered = iv.coveredBy !== undefined ? ` — in reservation ${iv.coveredBy}, covered by its charge` : s.entry ? '' : ' — no price';
    const description = `${reservation || describeClass(iv.resourceClass)} ${unitName(iv.resourceClass)}s${tags ? ` (${tags})` : ''}${covered}`;
    const key = [iv.resourceClass, reservation, iv.coveredBy ?? '', iv.site, iv.isolation, price.toString(), s.entry?.discountBps.toString() ?? '-', s.entry ? '1' : '0'].join('|');
    let a = acc.get(key);
    if (!a) {
      a = { line: { description, resource: iv.resourceClass, site: iv.site, unit: unitName(iv.resourceClass), unitPrice: formatMicros(price) }, hours: 0, raw: 0n };
      acc.set(key, a);
    }
    a.hours += unitHours(iv.resourceClass, iv.quantity, s.endMs - s.startMs);
    a.raw += s.raw;
  }
  let total = 0n;
  const lines = [...acc.values()]
    .sort((x, y) => x.line.resource.localeCompare(y.line.resource) || x.line.site.localeCompare(y.line.site) || x.line.description.localeCompare(y.line.description) || x.line.unitPrice.localeCompare(y.line.unitPrice))
    .map((a) => {
      const micros = divRound(a.raw, RAW_PER_MICRO);
      total += micros;
      return { ...a.line, quantity: round6(a.hours), amount: formatMicros(micros) };
    });
  return { project, month, from: from.toISOString(), to: to.toISOString(), currency, lines, total: formatMicros(total) };
}
