// The fleet and the bill: the server's fleet summary, free GPUs by model and site, usage and
// cost grouped as asked, and a project's invoice for a month.
import { z } from 'zod';
import { getInvoice, getSummary, getUsage, type FleetSummary } from '../../client/index.js';
import { USAGE_GROUPINGS } from '../../model/metering.js';
import { READ_ONLY, type Register } from '../context.js';
import { LIMITS, guarded, ok } from '../results.js';

const gpuRow = z.object({ model: z.string(), site: z.string(), total: z.number(), allocated: z.number(), fragmented: z.number(), free: z.number() });
const round = (n: number): number => Math.round(n * 1000) / 1000;

export const registerFleetTools: Register = (server, { client }) => {
  server.registerTool(
    'fleet_summary',
    {
      title: 'Fleet summary',
      description:
        'GPUs by model and site (total, allocated, fragmented, free), nodes by state, workloads by kind and phase, and GPUs held per project (only the projects the caller may read). The figures the console overview shows.',
      inputSchema: {},
      outputSchema: {
        generatedAt: z.string(),
        gpus: z.array(gpuRow),
        nodes: z.array(z.object({ state: z.string(), cordoned: z.boolean(), draining: z.boolean(), count: z.number().int() })),
        workloads: z.array(z.object({ kind: z.string(), phase: z.string(), count: z.number().int() })),
        held: z.array(z.object({ project: z.string(), model: z.string(), gpus: z.number() })),
        truncated: z.boolean().describe('True when a list was cut to its first entries'),
      },
      annotations: { ...READ_ONLY, title: 'Fleet summary' },
    },
    () =>
      guarded(async () => {
        const s = await getSummary(client);
        const data = compactSummary(s);
        return ok(summaryText(data), data);
      }),
  );

  server.registerTool(
    'free_capacity',
    {
      title: 'Free GPU capacity',
      description: 'Free GPUs by model and site, largest first: whole GPUs nothing holds, and fragmented capacity (free slivers of partly used GPUs, usable only by shares or MIG slices). Filter by model or site; minFree keeps only places with at least that many whole free GPUs.',
      inputSchema: {
        model: z.string().max(64).optional().describe('GPU model, e.g. H100-80GB'),
        site: z.string().max(253).optional().describe('Site, e.g. eu-fra-1'),
        minFree: z.number().min(0).default(0).describe('Only rows with at least this many whole free GPUs'),
      },
      outputSchema: { rows: z.array(gpuRow), totalFree: z.number() },
      annotations: { ...READ_ONLY, title: 'Free GPU capacity' },
    },
    ({ model, site, minFree }) =>
      guarded(async () => {
        const s = await getSummary(client);
        const rows = s.gpus
          .filter((g) => (!model || g.model === model) && (!site || g.site === site) && g.free >= minFree)
          .map((g) => ({ ...g, allocated: round(g.allocated), fragmented: round(g.fragmented), free: round(g.free) }))
          .sort((a, b) => b.free - a.free || a.model.localeCompare(b.model) || a.site.localeCompare(b.site));
        const totalFree = round(rows.reduce((n, r) => n + r.free, 0));
        const lines = rows.map((r) => `${r.model} at ${r.site}: ${r.free} free of ${r.total} (${r.fragmented} fragmented)`);
        return ok(`${totalFree} whole GPU(s) free${lines.length ? `\n${lines.join('\n')}` : ' where asked'}`, { rows, totalFree });
      }),
  );

  server.registerTool(
    'usage_report',
    {
      title: 'Usage and cost',
      description: 'GPU-, CPU-core- and memory-hours and their cost in a period, grouped by project, model, queue, workload or site (only what the caller may read). Default period: this month so far.',
      inputSchema: {
        by: z.enum(USAGE_GROUPINGS).default('project').describe('What to group by'),
        project: z.string().min(1).max(253).optional().describe('Only this project'),
        from: z.string().max(64).optional().describe('Start (RFC 3339); default: the start of this month'),
        to: z.string().max(64).optional().describe('End (RFC 3339); default: now'),
      },
      outputSchema: {
        from: z.string(),
        to: z.string(),
        by: z.string(),
        currency: z.string(),
        rows: z.array(z.object({ key: z.string(), gpuHours: z.number(), cpuCoreHours: z.number(), memoryGiBHours: z.number(), cost: z.string() })),
        truncated: z.boolean(),
      },
      annotations: { ...READ_ONLY, title: 'Usage and cost' },
    },
    ({ by, project, from, to }) =>
      guarded(async () => {
        const r = await getUsage(client, { by, ...(project ? { project } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) });
        const rows = [...r.rows].sort((a, b) => b.gpuHours - a.gpuHours).slice(0, LIMITS.listMax);
        const lines = rows.map((x) => `${x.key}: ${round(x.gpuHours)} GPU-hours, ${x.cost} ${r.currency}`);
        const data = { from: r.from, to: r.to, by: r.by, currency: r.currency, rows, truncated: rows.length < r.rows.length };
        return ok(`Usage by ${r.by} from ${r.from} to ${r.to}${data.truncated ? ` (the ${rows.length} largest of ${r.rows.length})` : ''}:\n${lines.join('\n') || 'none'}`, data);
      }),
  );

  server.registerTool(
    'invoice',
    {
      title: 'Invoice',
      description: "A project's invoice for one month: a line per resource class and site, and the total.",
      inputSchema: {
        project: z.string().min(1).max(253).describe('Project'),
        month: z.string().regex(/^\d{4}-\d{2}$/).describe('Month, e.g. 2025-06'),
      },
      outputSchema: {
        project: z.string(),
        month: z.string(),
        currency: z.string(),
        lines: z.array(z.object({ description: z.string(), resource: z.string(), site: z.string(), quantity: z.number(), unit: z.string(), unitPrice: z.string(), amount: z.string() })),
        total: z.string(),
      },
      annotations: { ...READ_ONLY, title: 'Invoice' },
    },
    ({ project, month }) =>
      guarded(async () => {
        const inv = await getInvoice(client, project, month);
        const lines = inv.lines.map((l) => `${l.description} (${l.site}): ${l.quantity} ${l.unit} × ${l.unitPrice} = ${l.amount}`);
        const data = { project: inv.project, month: inv.month, currency: inv.currency, lines: inv.lines, total: inv.total };
        return ok(`Invoice of ${inv.project} for ${inv.month}: ${inv.total} ${inv.currency}${lines.length ? `\n${lines.join('\n')}` : ''}`, data);
      }),
  );
};

export interface CompactSummary extends Record<string, unknown> {
  generatedAt: string;
  gpus: FleetSummary['gpus'];
  nodes: FleetSummary['nodes'];
  workloads: { kind: string; phase: string; count: number }[];
  held: FleetSummary['held'];
  truncated: boolean;
}

/** The summary with workloads counted by kind and phase, and every list bounded. */
export function compactSummary(s: FleetSummary): CompactSummary {
  const byPhase = new Map<string, { kind: string; phase: string; count: number }>();
  for (const w of s.workloads) {
    const key = `${w.kind}/${w.phase}`;
    const row = byPhase.get(key) ?? { kind: w.kind, phase: w.phase, count: 0 };
    row.count += w.count;
    byPhase.set(key, row);
  }
  const cap = <T>(xs: T[]): T[] => xs.slice(0, LIMITS.listMax);
  const held = [...s.held].sort((a, b) => b.gpus - a.gpus).map((h) => ({ ...h, gpus: round(h.gpus) }));
  const gpus = s.gpus.map((g) => ({ ...g, allocated: round(g.allocated), fragmented: round(g.fragmented), free: round(g.free) }));
  const truncated = [gpus, s.nodes, held].some((xs) => xs.length > LIMITS.listMax) || byPhase.size > LIMITS.listMax;
  return { generatedAt: s.generatedAt, gpus: cap(gpus), nodes: cap(s.nodes), workloads: cap([...byPhase.values()]), held: cap(held), truncated };
}

export function summaryText(s: CompactSummary): string {
  const total = round(s.gpus.reduce((n, g) => n + g.total, 0));
  const allocated = round(s.gpus.reduce((n, g) => n + g.allocated, 0));
  const free = round(s.gpus.reduce((n, g) => n + g.free, 0));
  const nodes = s.nodes.reduce((n, x) => n + x.count, 0);
  const lines = [`${allocated} of ${total} GPUs allocated, ${free} free, on ${nodes} nodes.`];
  for (const g of s.gpus) lines.push(`${g.model} at ${g.site}: ${g.allocated} allocated, ${g.free} free, ${g.fragmented} fragmented of ${g.total}`);
  for (const n of s.nodes) lines.push(`nodes ${n.state}${n.cordoned ? ' (cordoned)' : ''}${n.draining ? ' (draining)' : ''}: ${n.count}`);
  for (const w of s.workloads) lines.push(`${w.kind} ${w.phase}: ${w.count}`);
  return lines.join('\n');
}
