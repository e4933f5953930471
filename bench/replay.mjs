// Replay benchmark: the default Alibaba trace (openb_pod_list_default, 8152 pods on 1213 nodes)
// in time mode — arrivals at creation_time, trace run times — per policy: wall time, events,
// cycles and peak memory. Each policy runs in a fresh child process so peak RSS is its own.
// Run with `npm run bench:replay` (builds first). Not part of `npm test`. Needs the trace folder
// beside the repository (../shared/traces/alibaba-gpu-2023).
//
//   node bench/replay.mjs [--policies weft,fgd,best-fit] [--pods openb_pod_list_default.csv] [--json out.json]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const here = dirname(fileURLToPath(import.meta.url));
const traces = resolve(here, '../../shared/traces/alibaba-gpu-2023');
const podsFile = resolve(traces, args.pods ?? 'openb_pod_list_default.csv');
const nodesFile = resolve(traces, 'openb_node_list_gpu_node.csv');

if (args.child) {
  // One run, in this process: print one JSON line.
  const { parseAlibabaNodes } = await import('../dist/sim/alibaba.js');
  const { parseAlibabaTimedPods, runReplay } = await import('../dist/sim/replay/index.js');
  const t0 = performance.now();
  const nodes = parseAlibabaNodes(readFileSync(nodesFile, 'utf8'));
  const gangs = parseAlibabaTimedPods(readFileSync(podsFile, 'utf8'));
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const r = runReplay({ nodes, gangs }, { policy: args.child, seed: 1, fairShare: false });
  const replayMs = performance.now() - t1;
  const o = r.overall;
  console.log(
    JSON.stringify({
      policy: args.child, pods: gangs.length, events: r.events, cycles: r.cycles, loadMs, replayMs,
      eventsPerSecond: Math.round(r.events / (replayMs / 1000)), peakRssMiB: process.resourceUsage().maxRSS / 1024,
      virtualHours: r.end / 3_600_000, utilisationPct: r.utilisationPct, waitP99s: o.waitSeconds.p99, jctP50s: o.jctSeconds.p50, unstarted: o.submitted - o.started,
    }),
  );
  process.exit(0);
}

if (!existsSync(podsFile)) {
  console.error(`skipped: ${podsFile} not found (the trace folder sits beside the repository)`);
  process.exit(0);
}
const policies = (args.policies ?? 'weft,fgd,best-fit').split(',');
const results = { machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}`, pods: podsFile.split('/').pop(), runs: [] };
console.log(`# replay benchmark — ${results.machine}\n`);
console.log(`${results.pods} on openb_node_list_gpu_node.csv, time mode, 10 s cycles\n`);
console.log('| policy | pods | events | cycles | load s | replay s | events/s | peak RSS MiB | virtual h | mean util % | wait p99 s |\n|---|---|---|---|---|---|---|---|---|---|---|');
for (const p of policies) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', p, ...(args.pods ? ['--pods', args.pods] : [])], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop());
  results.runs.push(r);
  console.log(
    `| ${p} | ${r.pods} | ${r.events} | ${r.cycles} | ${(r.loadMs / 1000).toFixed(2)} | ${(r.replayMs / 1000).toFixed(2)} | ${r.eventsPerSecond} | ${r.peakRssMiB.toFixed(0)} | ${r.virtualHours.toFixed(0)} | ${r.utilisationPct} | ${r.waitP99s} |`,
  );
}
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
