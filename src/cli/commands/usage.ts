// `weft usage`: GPU-, core- and GiB-hours and cost per GPU model, queue, workload, site or
// project over a window (default: this month so far), as a table, JSON or CSV.
import { Command } from 'commander';
import { getUsage, type UsageGrouping, type UsageReport } from '../../client/index.js';
import { roundMoney, type ReservationUse } from '../../model/metering.js';
import { connect } from '../connect.js';
import { CliError, EXIT } from '../errors.js';
import { renderTable } from '../output/table.js';
import { parseSince } from './audit.js';

const GROUPINGS: readonly UsageGrouping[] = ['model', 'queue', 'workload', 'site', 'project'];
export const OUTPUTS = ['table', 'json', 'csv'] as const;
export type Output = (typeof OUTPUTS)[number];

interface UsageOptions {
  project?: string;
  from?: string;
  to?: string;
  by: string;
  step?: string;
  output: string;
}

export function parseOutput(text: string): Output {
  if (!(OUTPUTS as readonly string[]).includes(text)) throw new CliError(`unknown output format "${text}"; use ${OUTPUTS.join(', ')}`, EXIT.usage);
  return text as Output;
}

/** RFC 4180 CSV: fields with commas, quotes or line breaks are quoted. */
export function toCsv(headers: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number): string => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers, ...rows].map((r) => r.map(cell).join(',')).join('\n');
}

export const hours = (n: number): string => (Math.round(n * 100) / 100).toFixed(2);

/** Costs at the currency's precision; `-o json` and `-o csv` keep every digit. */
export function usageTable(r: UsageReport): string {
  const table = renderTable(
    [r.by.toUpperCase(), 'GPU-HOURS', 'CPU-CORE-HOURS', 'MEMORY-GIB-HOURS', `COST (${r.currency})`],
    r.rows.map((x) => [x.key, hours(x.gpuHours), hours(x.cpuCoreHours), hours(x.memoryGiBHours), roundMoney(x.cost, r.currency)]),
  );
  return r.reservations && r.reservations.length > 0 ? `${table}\n\n${reservationUseTable(r.reservations)}` : table;
}

/** Each reservation's booked GPU-hours (billed) against the GPU-hours its work used inside its window. */
export function reservationUseTable(uses: readonly ReservationUse[]): string {
  return renderTable(
    ['RESERVATION', 'GPUS', 'WINDOW', 'RESERVED GPU-HOURS', 'USED GPU-HOURS', 'USED'],
    uses.map((u) => [`${u.project}/${u.name}`, `${u.gpus} × ${u.model || 'GPU'}`, `${u.start} – ${u.end}`, hours(u.reservedGpuHours), hours(u.usedGpuHours), u.reservedGpuHours > 0 ? `${Math.round((100 * u.usedGpuHours) / u.reservedGpuHours)}%` : '-']),
  );
}

export function usageCsv(r: UsageReport): string {
  if (r.series) return toCsv(['t', r.by, 'gpuHours', 'cost', 'currency'], r.series.map((p) => [p.t, p.key, p.gpuHours, p.cost, r.currency]));
  return toCsv([r.by, 'gpuHours', 'cpuCoreHours', 'memoryGiBHours', 'cost', 'currency'], r.rows.map((x) => [x.key, x.gpuHours, x.cpuCoreHours, x.memoryGiBHours, x.cost, r.currency]));
}

export function usageCommand(): Command {
  return new Command('usage')
    .description('show metered usage and its cost: GPU-, core- and GiB-hours per model, queue, workload, site or project')
    .option('-p, --project <name>', 'only this project (default: every project you can read)')
    .option('--from <when>', 'window start: an RFC 3339 time or a duration ago (7d); default: start of this month (UTC)')
    .option('--to <when>', 'window end: an RFC 3339 time or a duration ago; default: now')
    .option('--by <key>', `group by ${GROUPINGS.join(', ')}`, 'project')
    .option('--step <step>', 'also break the window into hour or day steps (csv/json)')
    .option('-o, --output <format>', OUTPUTS.join(', '), 'table')
    .action(async (opts: UsageOptions, self: Command) => {
      const output = parseOutput(opts.output);
      if (!(GROUPINGS as readonly string[]).includes(opts.by)) throw new CliError(`--by: must be one of ${GROUPINGS.join(', ')}`, EXIT.usage);
      if (opts.step !== undefined && opts.step !== 'hour' && opts.step !== 'day') throw new CliError('--step: must be hour or day', EXIT.usage);
      const { client } = connect(self);
      const report = await getUsage(client, {
        project: opts.project,
        from: opts.from !== undefined ? parseSince(opts.from) : undefined,
        to: opts.to !== undefined ? parseSince(opts.to) : undefined,
        by: opts.by as UsageGrouping,
        step: opts.step as 'hour' | 'day' | undefined,
      });
      if (output === 'json') console.log(JSON.stringify(report, null, 2));
      else if (output === 'csv') console.log(usageCsv(report));
      else if (report.rows.length === 0) console.error(`No usage from ${report.from} to ${report.to}.`);
      else console.log(usageTable(report));
    });
}
