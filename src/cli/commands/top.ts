// `weft top nodes|projects`: what is allocated right now, summed from active Allocations.
// `weft top fleet`: the server's fleet summary (GPUs by model and site, Nodes by state, workloads
// by phase), one small request whatever the size of the fleet.
import { Command } from 'commander';
import { getSummary, type FleetSummary } from '../../client/index.js';
import { formatCpuMilli, formatMemoryBytes } from '../../model/quantity.js';
import { connect } from '../connect.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { formatAmount, nodeUsage, percent, projectUsage } from '../output/usage.js';

export function topCommand(): Command {
  return new Command('top')
    .description('GPU, CPU and memory allocation per node, GPU allocation per project against its quota, or the fleet summary')
    .argument('<what>', 'nodes | projects | fleet')
    .option('-l, --selector <selector>', 'nodes only: label selector, e.g. gpu=h100')
    .action(async (what: string, opts: { selector?: string }, self: Command) => {
      const { client } = connect(self);
      if (/^(fleet|summary)$/.test(what)) return void console.log(fleetText(await getSummary(client)));
      const allocs = (await client.list('Allocation', { autoPaginate: true })).items;
      if (/^(nodes?|no)$/.test(what)) {
        const nodes = (await client.list('Node', { labelSelector: opts.selector, autoPaginate: true })).items;
        const rows = nodeUsage(nodes, allocs).sort((a, b) => a.name.localeCompare(b.name));
        if (rows.length === 0) return void console.error('No nodes found.');
        console.log(
          renderTable(
            ['NAME', 'SITE', 'GPU-MODEL', 'GPUS', 'GPU%', 'CPU', 'MEMORY', 'ALLOCS', 'STATE'],
            rows.map((u) => [
              u.name,
              u.site,
              u.model,
              `${formatAmount(u.gpusUsed)}/${u.gpusTotal}`,
              percent(u.gpusUsed, u.gpusTotal),
              `${formatCpuMilli(u.cpuUsedMilli)}/${formatCpuMilli(u.cpuTotalMilli)}`,
              `${formatMemoryBytes(u.memUsed)}/${formatMemoryBytes(u.memTotal)}`,
              String(u.allocations),
              u.state,
            ]),
          ),
        );
        const used = rows.reduce((n, u) => n + u.gpusUsed, 0);
        const total = rows.reduce((n, u) => n + u.gpusTotal, 0);
        console.log(`\n${formatAmount(used)} of ${total} GPUs allocated (${percent(used, total)}) on ${rows.length} nodes.`);
        return;
      }
      if (/^(projects?|proj)$/.test(what)) {
        const projects = (await client.list('Project', { autoPaginate: true })).items;
        const rows = projectUsage(projects, allocs);
        if (rows.length === 0) return void console.error('No GPU quota or allocation in any project you can see.');
        console.log(
          renderTable(
            ['PROJECT', 'GPU-MODEL', 'ALLOCATED', 'QUOTA', 'USE%', 'WORKLOADS'],
            rows.map((r) => [r.project, r.model, formatAmount(r.allocated), r.quota === undefined ? '-' : String(r.quota), r.quota === undefined ? '-' : percent(r.allocated, r.quota), String(r.workloads)]),
          ),
        );
        return;
      }
      throw new CliError(`weft top shows "nodes", "projects" or "fleet", not "${what}"`, 2);
    });
}

/** The summary as a GPU table by model and site, then Nodes by state and workloads by phase. */
export function fleetText(s: FleetSummary): string {
  const lines: string[] = [];
  if (s.gpus.length > 0) {
    lines.push(
      renderTable(
        ['GPU-MODEL', 'SITE', 'GPUS', 'ALLOCATED', 'FRAGMENTED', 'FREE', 'USE%'],
        s.gpus.map((g) => [g.model, g.site || '-', String(g.total), formatAmount(g.allocated), formatAmount(g.fragmented), String(g.free), percent(g.allocated, g.total)]),
      ),
      '',
    );
  }
  const allocated = s.gpus.reduce((n, g) => n + g.allocated, 0);
  const total = s.gpus.reduce((n, g) => n + g.total, 0);
  const nodes = countBy(s.nodes.map((n) => [n.cordoned ? `${n.state}, cordoned` : n.draining ? `${n.state}, draining` : n.state, n.count]));
  const phases = countBy(s.workloads.map((w) => [w.phase, w.count]));
  lines.push(`GPUs:      ${formatAmount(allocated)} of ${total} allocated (${percent(allocated, total)})`);
  lines.push(`Nodes:     ${sum(nodes)}${nodes.length ? ` (${nodes.map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`);
  lines.push(`Workloads: ${sum(phases)}${phases.length ? ` (${phases.map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`);
  return lines.join('\n');
}

function countBy(pairs: Array<[string, number]>): Array<[string, number]> {
  const out = new Map<string, number>();
  for (const [k, n] of pairs) out.set(k, (out.get(k) ?? 0) + n);
  return [...out].sort((a, b) => a[0].localeCompare(b[0]));
}

const sum = (pairs: Array<[string, number]>): number => pairs.reduce((n, [, c]) => n + c, 0);
