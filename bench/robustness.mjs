// Robustness grid (issue #21): weft against fgd on every shared Alibaba workload and on variants
// of the default mix along the four axes `weft sim synth` spans (CPU-only share, model-constrained
// share, multi-GPU share, GPU-sharing share), extremes and combinations included. The FGD paper's
// fill experiment, tune 1.3, mean over the seeds of allocation at 100% and 130% arrival. Run with
// `npm run bench:robustness` (builds first); needs the trace folder beside the repository. Not
// part of `npm test` (src/sim/robustness.test.ts keeps a small version of this grid).
//
//   node bench/robustness.mjs [--seeds 42-51] [--workers 2] [--only cpu,model] [--json out.json]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const here = dirname(fileURLToPath(import.meta.url));
const T = resolve(here, '../../shared/traces/alibaba-gpu-2023');
const { parseCsv } = await import('../dist/sim/csv.js');
const { parseAlibabaNodes, parseAlibabaPodRows } = await import('../dist/sim/alibaba.js');
const { synthesizePods, podMix } = await import('../dist/sim/synth.js');
const { runGrid, summarise } = await import('../dist/sim/index.js');

if (!existsSync(resolve(T, 'openb_node_list_gpu_node.csv'))) {
  console.error(`skipped: ${T} not found (the trace folder sits beside the repository)`);
  process.exit(0);
}

const [a, b] = (args.seeds ?? '42-51').split('-').map(Number);
const seeds = Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
const workers = Number(args.workers ?? 2);

/** The variants of the default mix: every axis alone, its extremes, and combinations. */
const VARIANTS = [
  ...[0, 0.05, 0.25, 0.3, 0.35, 0.4, 0.5].map((v) => ({ cpuOnly: v })),
  ...[0.1, 0.2, 0.25, 0.33, 0.4].map((v) => ({ modelConstrained: v })),
  ...[0.1, 0.25, 0.4].map((v) => ({ modelConstrained: v, modelPick: 'uniform' })),
  ...[0, 0.2, 0.35, 0.5, 0.6].map((v) => ({ multiGpu: v })),
  ...[0, 0.2, 0.5, 0.7, 0.9, 1].map((v) => ({ gpuSharing: v })),
  { cpuOnly: 0.4, modelConstrained: 0.33 },
  { cpuOnly: 0.3, gpuSharing: 0.8 },
  { multiGpu: 0.4, modelConstrained: 0.25 },
  { multiGpu: 0.4, cpuOnly: 0.4 },
  { cpuOnly: 0, multiGpu: 0.5, gpuSharing: 0.5 },
  { gpuSharing: 1, modelConstrained: 0.4, modelPick: 'uniform' },
  { cpuOnly: 0.5, modelConstrained: 0.4, modelPick: 'uniform' },
  { cpuOnly: 0.2, gpuSharing: 0.6, modelConstrained: 0.2 },
];
const TRACES = ['default', 'gpushare20', 'gpushare40', 'gpushare60', 'gpushare80', 'gpushare100', 'multigpu20', 'multigpu30', 'multigpu40', 'cpu050', 'cpu100', 'cpu200'];

const nodes = parseAlibabaNodes(readFileSync(resolve(T, 'openb_node_list_gpu_node.csv'), 'utf8'));
const defaultRows = parseCsv(readFileSync(resolve(T, 'openb_pod_list_default.csv'), 'utf8'));
const label = (axes) => Object.entries(axes).map(([k, v]) => `${k} ${v}`).join(', ');
const workloads = [
  ...VARIANTS.map((axes) => ({ name: label(axes), kind: 'variant', rows: synthesizePods(defaultRows, nodes, axes, 1) })),
  ...TRACES.map((t) => ({ name: t, kind: 'trace', rows: parseCsv(readFileSync(resolve(T, `openb_pod_list_${t}.csv`), 'utf8')) })),
].filter((w) => !args.only || args.only.split(',').some((o) => w.name.includes(o)));

const started = Date.now();
const results = { machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}`, seeds, loadAverage: [loadavg()], rows: [] };
console.log(`# robustness grid — ${results.machine}; seeds ${seeds[0]}–${seeds[seeds.length - 1]}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| workload | CPU-only | sharing | multi-GPU | constrained | fgd @100 | weft @100 | fgd @130 | weft @130 | Δ @100 | Δ @130 | unallocated @130 weft ÷ fgd |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const w of workloads) {
  const pods = parseAlibabaPodRows(w.rows);
  const runs = await runGrid({ workload: { nodes, pods }, policies: ['fgd', 'weft'], seeds, tune: 1.3, workers });
  const s = Object.fromEntries(summarise(runs).map((x) => [x.policy, x]));
  const mix = podMix(w.rows);
  const row = {
    name: w.name, kind: w.kind, mix,
    fgd: [s.fgd.alloc_at_100, s.fgd.alloc_at_130], weft: [s.weft.alloc_at_100, s.weft.alloc_at_130],
  };
  row.delta = [row.weft[0] - row.fgd[0], row.weft[1] - row.fgd[1]];
  row.unallocatedRatio = (100 - row.weft[1]) / (100 - row.fgd[1]);
  results.rows.push(row);
  const f = (x) => x.toFixed(2);
  console.log(
    `| ${w.kind === 'trace' ? `**${w.name}**` : w.name} | ${mix.cpuOnly.toFixed(2)} | ${mix.gpuSharing.toFixed(2)} | ${mix.multiGpu.toFixed(2)} | ${mix.modelConstrained.toFixed(2)} | ` +
      `${f(row.fgd[0])} | ${f(row.weft[0])} | ${f(row.fgd[1])} | ${f(row.weft[1])} | ${row.delta[0] >= 0 ? '+' : ''}${f(row.delta[0])} | ${row.delta[1] >= 0 ? '+' : ''}${f(row.delta[1])} | ${row.unallocatedRatio.toFixed(3)} |`,
  );
}
const worst = Math.min(...results.rows.flatMap((r) => r.delta));
const traces = results.rows.filter((r) => r.kind === 'trace');
const meanRatio = traces.length ? traces.reduce((s, r) => s + r.unallocatedRatio, 0) / traces.length : NaN;
results.loadAverage.push(loadavg());
console.log(
  `\n${results.rows.length} workloads (${results.rows.filter((r) => r.kind === 'variant').length} variants, ${traces.length} shared traces); ` +
    `smallest weft − fgd: ${worst.toFixed(2)} points (tolerance −0.05); mean unallocated @130 weft ÷ fgd over the shared traces: ${meanRatio.toFixed(3)} (bar 0.85); ` +
    `${((Date.now() - started) / 60000).toFixed(1)} min; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
);
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
