// Tables round money to the currency's precision; JSON and CSV keep what the server computed.
import { describe, expect, it } from 'vitest';
import type { Invoice, UsageReport } from '../../client/index.js';
import { invoiceCsv, invoiceTable } from './invoice.js';
import { usageCsv, usageTable } from './usage.js';

const report: UsageReport = {
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-07T00:00:00.000Z',
  by: 'model',
  currency: 'EUR',
  rows: [{ key: 'H100-80GB', gpuHours: 2.196667, cpuCoreHours: 26.36, memoryGiBHours: 281.173333, cost: '4.83258' }],
};

const invoice: Invoice = {
  project: 'vision',
  month: '2026-12',
  from: '2026-12-01T00:00:00.000Z',
  to: '2027-01-01T00:00:00.000Z',
  currency: 'EUR',
  lines: [
    { description: 'CPU core-hours', resource: 'cpu', site: 'eu-fra-1', quantity: 0.96536, unit: 'core-hour', unitPrice: '0.04', amount: '0.038614' },
    { description: 'H100-80GB GPU-hours', resource: 'gpu:H100-80GB', site: 'eu-fra-1', quantity: 0.080447, unit: 'GPU-hour', unitPrice: '2.20', amount: '0.176983' },
    { description: 'Memory GiB-hours', resource: 'memory', site: 'eu-fra-1', quantity: 10.297173, unit: 'GiB-hour', unitPrice: '0.005', amount: '0.051486' },
  ],
  total: '0.267083',
};

describe('billing tables', () => {
  it('shows each reservation: booked GPU-hours against used, in usage and on the invoice', () => {
    const uses = [{ project: 'vision', name: 'train', model: 'H100-80GB', gpus: 24, start: '2026-12-08T10:00:00Z', end: '2026-12-08T12:00:00Z', reservedGpuHours: 48, usedGpuHours: 16 }];
    const text = usageTable({ ...report, reservations: uses });
    expect(text).toMatch(/^vision\/train\s+24 × H100-80GB\s+2026-12-08T10:00:00Z – 2026-12-08T12:00:00Z\s+48\.00\s+16\.00\s+33%$/m);
    expect(usageTable(report)).not.toContain('RESERVATION');
    expect(invoiceTable({ ...invoice, reservations: uses })).toContain('Reserved against used:');
  });

  it('usage: cost in cents in the table, every digit in CSV', () => {
    expect(usageTable(report).split('\n')[1]).toMatch(/^H100-80GB\s+2\.20\s+26\.36\s+281\.17\s+4\.83$/);
    expect(usageCsv(report)).toContain(',4.83258,EUR');
  });

  it('invoice: amounts and total in cents, unit prices as priced, every digit in CSV', () => {
    const lines = invoiceTable(invoice).split('\n');
    expect(lines.find((l) => l.startsWith('Memory'))).toMatch(/\s10\.30\s+GiB-hour\s+0\.005\s+0\.05$/);
    expect(lines.find((l) => l.startsWith('TOTAL'))).toMatch(/^TOTAL\s+0\.27$/);
    // 0.04 + 0.18 + 0.05 is 0.27 too: nothing to explain.
    expect(invoiceTable(invoice)).not.toContain('rounded for display');
    expect(invoiceCsv(invoice)).toContain(',0.267083,EUR');
  });

  it('says so when the rounded lines do not add up to the rounded total', () => {
    const lines = [0, 1, 2].map((i) => ({ ...invoice.lines[0]!, description: `line ${i}`, amount: '0.004' }));
    const text = invoiceTable({ ...invoice, lines, total: '0.012' });
    expect(text).toMatch(/^TOTAL\s+0\.01$/m);
    expect(text).toContain('The lines, rounded for display, add up to 0.00; the total adds their exact amounts (0.012) and rounds once.');
  });

  it('uses the precision of the currency billed in', () => {
    expect(usageTable({ ...report, currency: 'JPY', rows: [{ ...report.rows[0]!, cost: '729.5' }] })).toMatch(/\s730$/m);
  });
});
