// Metering (usage and invoices) through the client's metering module. The server may not offer
// it: every call resolves to `undefined` on 404 so pages can say so instead of failing.
import { getInvoice, getUsage, WeftApiError, type Invoice, type UsageOptions, type UsageReport, type WeftClient } from '../../src/client/index.js';

export type { Invoice, UsageReport };

async function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WeftApiError && err.status === 404) return undefined;
    throw err;
  }
}

export function usage(client: WeftClient, q: UsageOptions): Promise<UsageReport | undefined> {
  return orMissing(getUsage(client, q));
}

export function invoice(client: WeftClient, project: string, month: string): Promise<Invoice | undefined> {
  return orMissing(getInvoice(client, project, month));
}

export function startOfToday(): string {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return d.toISOString();
}

/**
 * Money arrives as an exact decimal string ("12.50"); it is only formatted here, never summed in
 * floats for a bill. Amounts show the currency's precision; `exact` (unit prices such as 0.005
 * per GiB-hour) keeps up to six decimals.
 */
export function money(amount: string | number, currency: string, exact = false): string {
  const n = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(n)) return `${String(amount)} ${currency}`;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, ...(exact ? { maximumFractionDigits: 6 } : {}) }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
}
