// `weft top nodes|projects`: what is allocated right now, summed from active Allocations.
import { Command } from 'commander';
import { formatCpuMilli, formatMemoryBytes } from '../../model/quantity.js';
import { connect } from '../connect.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { formatAmount, nodeUsage, percent, projectUsage } from '../output/usage.js';

export function topCommand(): Command {
  return new Command('top')
    .description('GPU, CPU and memory allocation per node, or GPU allocation per project against its quota')
    .argument('<what>', 'nodes | projects')
    .option('-l, --selector <selector>', 'nodes only: label selector, e.g. gpu=h100')
    .action(async (what: string, opts: { selector?: string }, self: Command) => {
      const { client } = connect(self);
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
      throw new CliError(`weft top shows "nodes" or "projects", not "${what}"`, 2);
    });
}
