// `weft reserve NAME --gpus N --model M | --nodes N --start T --end T|--for D [--site S] …`: books
// capacity ahead (a Reservation); the server's admission books it in the capacity calendar or
// refuses it, naming the earliest window where it fits.
// `weft calendar [--site S] [--model M] [--days N]`: booked capacity as a terminal Gantt chart.
import { Command } from 'commander';
import type { Resource } from '../../model/metadata.js';
import { addScopeOptions, connect, projectOf } from '../connect.js';
import { parseDurationSeconds } from '../duration.js';
import { CliError, EXIT } from '../errors.js';
import { ganttText, type GanttNode, type GanttReservation } from '../output/gantt.js';

interface ReserveOptions {
  gpus?: string;
  nodes?: string;
  model?: string;
  site?: string;
  rack?: string;
  start?: string;
  end?: string;
  for?: string;
  shareWhenIdle?: boolean;
  project?: string;
  allProjects?: boolean;
}

function when(text: string, flag: string): string {
  const t = text === 'now' ? Date.now() : Date.parse(text);
  if (Number.isNaN(t)) throw new CliError(`${flag}: "${text}" is not an RFC 3339 time (or "now")`, EXIT.usage);
  return new Date(t).toISOString();
}

function count(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(text)) throw new CliError(`${flag}: must be a whole number above 0`, EXIT.usage);
  return Number(text);
}

export function reserveCommand(): Command {
  return addScopeOptions(
    new Command('reserve')
      .description('book capacity ahead: N GPUs of a model or N whole nodes for a window (a Reservation); refused with the earliest window that fits when booked out')
      .argument('<name>', 'the reservation\'s name')
      .option('--gpus <n>', 'GPUs of --model to book')
      .option('--nodes <n>', 'whole nodes to book')
      .option('--model <model>', 'GPU model, e.g. H100-80GB (required with --gpus)')
      .option('--site <site>', 'only in this site')
      .option('--rack <rack>', 'only in this rack')
      .option('--start <time>', 'RFC 3339 start, or "now"', 'now')
      .option('--end <time>', 'RFC 3339 end')
      .option('--for <duration>', 'length instead of --end, e.g. 8h, 2d')
      .option('--share-when-idle', "let other projects' preemptible work use idle booked GPUs"),
  ).action(async (name: string, opts: ReserveOptions, self: Command) => {
    const { client, context } = connect(self);
    const project = projectOf(opts, context);
    if (!project) throw new CliError('weft reserve: a project is needed (-p/--project)', EXIT.usage);
    const start = when(opts.start ?? 'now', '--start');
    if ((opts.end === undefined) === (opts.for === undefined)) throw new CliError('give exactly one of --end and --for', EXIT.usage);
    const end = opts.end !== undefined ? when(opts.end, '--end') : new Date(Date.parse(start) + parseDurationSeconds(opts.for!) * 1000).toISOString();
    const spec: Record<string, unknown> = { start, end };
    const gpus = count(opts.gpus, '--gpus');
    const nodes = count(opts.nodes, '--nodes');
    if (gpus !== undefined) spec.gpus = gpus;
    if (nodes !== undefined) spec.nodes = nodes;
    for (const k of ['model', 'site', 'rack'] as const) if (opts[k] !== undefined) spec[k] = opts[k];
    if (opts.shareWhenIdle) spec.shareWhenIdle = true;
    const r = await client.create({ apiVersion: 'weft/v1', kind: 'Reservation', metadata: { name, project }, spec });
    const booked = ((r.status?.booking as { nodes?: { node: string; gpus: number }[] } | undefined)?.nodes ?? []).map((n) => `${n.node} (${n.gpus})`).join(', ');
    console.log(`reservation/${name} booked in project ${project}: ${booked}`);
  });
}

export function calendarCommand(): Command {
  return new Command('calendar')
    .description('booked capacity (Reservations and Leases you can see) over the next days as a Gantt chart: one row per node, one column per time block')
    .option('--site <site>', 'only nodes of this site')
    .option('--model <model>', 'only nodes of this GPU model')
    .option('--days <n>', 'how many days to draw', '3')
    .option('--width <n>', 'columns for the time axis', '72')
    .action(async (opts: { site?: string; model?: string; days: string; width: string }, self: Command) => {
      const { client } = connect(self);
      const days = count(opts.days, '--days')!;
      const width = count(opts.width, '--width')!;
      const nodes: GanttNode[] = (await client.list('Node', { autoPaginate: true })).items.map((n: Resource) => {
        const spec = n.spec as { site?: string; gpus?: { model: string }[] };
        return { name: n.metadata.name, site: spec.site ?? '', model: spec.gpus?.[0]?.model ?? '', gpus: spec.gpus?.length ?? 0 };
      });
      const shown = nodes.filter((n) => (opts.site === undefined || n.site === opts.site) && (opts.model === undefined || n.model === opts.model));
      const booked = [...(await client.list('Reservation', { autoPaginate: true })).items, ...(await client.list('Lease', { autoPaginate: true })).items];
      const reservations: GanttReservation[] = booked.map((r: Resource) => ({
        name: `${r.kind === 'Lease' ? 'lease ' : ''}${r.metadata.project ?? ''}/${r.metadata.name}`,
        start: Date.parse((r.spec as { start: string }).start),
        end: Date.parse((r.spec as { end: string }).end),
        phase: String(r.status?.phase ?? 'Pending'),
        nodes: ((r.status?.booking as { nodes?: { node: string; gpus: number; whole?: boolean }[] } | undefined)?.nodes ?? []),
      }));
      const from = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      console.log(ganttText(shown, reservations, { from, to: from + days * 24 * 3_600_000, width }));
    });
}
