// `weft invoice PROJECT --month 2026-11`: a project's bill for one month (UTC), one line per
// resource, site, tier and price, as a table, JSON or CSV. The total is the sum of the lines.
import { Command } from 'commander';
import { getInvoice, type Invoice } from '../../client/index.js';
import { roundMoney, sumDecimals } from '../../model/metering.js';
import { connect } from '../connect.js';
import { CliError, EXIT } from '../errors.js';
import { renderTable } from '../output/table.js';
import { hours, parseOutput, reservationUseTable, toCsv } from './usage.js';

/**
 * Amounts at the currency's precision (unit prices as the price book states them). The total is
 * the exact sum of the exact amounts, rounded once; where that differs from the sum of the rounded
 * lines (by a cent or so), a note under the table says so. `-o json` and `-o csv` keep every digit.
 */
export function invoiceTable(inv: Invoice): string {
  const money = (a: string): string => roundMoney(a, inv.currency);
  const rows = inv.lines.map((l) => [l.description, l.site || '-', hours(l.quantity), l.unit, l.unitPrice, money(l.amount)]);
  const table = renderTable(['DESCRIPTION', 'SITE', 'QUANTITY', 'UNIT', 'UNIT PRICE', `AMOUNT (${inv.currency})`], [...rows, ['TOTAL', '', '', '', '', money(inv.total)]]);
  const shownSum = money(sumDecimals(inv.lines.map((l) => money(l.amount))));
  const note = shownSum === money(inv.total) ? '' : `\n\nThe lines, rounded for display, add up to ${shownSum}; the total adds their exact amounts (${inv.total}) and rounds once. -o json shows every digit.`;
  const reserved = inv.reservations && inv.reservations.length > 0 ? `\n\nReserved against used:\n${reservationUseTable(inv.reservations)}` : '';
  return `Invoice for project ${inv.project}, ${inv.month} (${inv.from} to ${inv.to})\n\n${table}${note}${reserved}`;
}

export function invoiceCsv(inv: Invoice): string {
  return toCsv(
    ['project', 'month', 'description', 'resource', 'site', 'quantity', 'unit', 'unitPrice', 'amount', 'currency'],
    [...inv.lines.map((l) => [inv.project, inv.month, l.description, l.resource, l.site, l.quantity, l.unit, l.unitPrice, l.amount, inv.currency]), [inv.project, inv.month, 'TOTAL', '', '', '', '', '', inv.total, inv.currency]],
  );
}

export function invoiceCommand(): Command {
  return new Command('invoice')
    .description("show a project's invoice for one month (UTC)")
    .argument('<project>', 'the project billed')
    .option('--month <YYYY-MM>', 'the month (default: the current one)')
    .option('-o, --output <format>', 'table, json, csv', 'table')
    .action(async (project: string, opts: { month?: string; output: string }, self: Command) => {
      const output = parseOutput(opts.output);
      const month = opts.month ?? new Date().toISOString().slice(0, 7);
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new CliError(`--month: "${month}" is not a month in YYYY-MM form`, EXIT.usage);
      const { client } = connect(self);
      const inv = await getInvoice(client, project, month);
      if (output === 'json') console.log(JSON.stringify(inv, null, 2));
      else if (output === 'csv') console.log(invoiceCsv(inv));
      else console.log(invoiceTable(inv));
    });
}
