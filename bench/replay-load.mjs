// Time mode under load (issue #21): each shared Alibaba trace with timestamps replayed through
// `weft sim replay --load` at several offered GPU loads, for weft, fgd and best-fit: mean GPU
// allocation while gangs arrive, queueing delay (mean, p99) and JCT (mean, p99). Each run is its
// own `weft sim replay` process (two at a time). Run with `npm run bench:replay-load` (builds
// first); needs the trace folder beside the repository. Not part of `npm test`.
//
//   node bench/replay-load.mjs [--traces default,cpu050] [--loads 0.8,1,1.2] [--policies weft,fgd,best-fit]
//                              [--arrivals 40000] [--max-run 30m] [--parallel 2] [--json out.json]
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const here = dirname(fileURLToPath(import.meta.url));
const T = resolve(here, '../../shared/traces/alibaba-gpu-2023');
const bin = resolve(here, '../bin/weft.js');
if (!existsSync(resolve(T, 'openb_node_list_gpu_node.csv'))) {
  console.error(`skipped: ${T} not found (the trace folder sits beside the repository)`);
  process.exit(0);
}
// The multigpu files carry no timestamps: every other shared trace.
const traces = (args.traces ?? 'default,gpushare20,gpushare40,gpushare60,gpushare80,gpushare100,cpu050,cpu100,cpu200').split(',');
const loads = (args.loads ?? '0.8,1,1.2').split(',');
const policies = (args.policies ?? 'weft,fgd,best-fit').split(',');
const arrivals = args.arrivals ?? '40000';
const maxRun = args['max-run'] ?? '30m';
const parallel = Number(args.parallel ?? 2);

const jobs = traces.flatMap((trace) => loads.flatMap((load) => policies.map((policy) => ({ trace, load, policy }))));
const scratch = mkdtempSync(join(tmpdir(), 'weft-replay-load-'));
const out = new Map();
let next = 0;
const started = Date.now();
const loadAtStart = loadavg();
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      const dir = join(scratch, `${j.trace}-${j.load}-${j.policy}`);
      await run(process.execPath, [
        bin, 'sim', 'replay', '--pods', resolve(T, `openb_pod_list_${j.trace}.csv`), '--nodes', resolve(T, 'openb_node_list_gpu_node.csv'),
        '--policy', j.policy, '--load', j.load, '--load-by', 'poisson', '--arrivals', arrivals, '--max-run', maxRun, '--out', dir,
      ], { maxBuffer: 1 << 26 });
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      out.set(`${j.trace}|${j.load}|${j.policy}`, {
        alloc: s.arrivalWindow.utilisationPct, waitMean: s.overall.waitSeconds.mean, waitP99: s.overall.waitSeconds.p99,
        jctMean: s.overall.jctSeconds.mean, jctP99: s.overall.jctSeconds.p99, completed: s.overall.completed, submitted: s.overall.submitted,
      });
      process.stderr.write(`[${out.size}/${jobs.length}] ${j.trace} load ${j.load} ${j.policy} (${((Date.now() - started) / 60000).toFixed(1)} min)\n`);
    }
  }),
);
rmSync(scratch, { recursive: true, force: true });

console.log(`# time mode under load — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}; ${arrivals} Poisson arrivals in trace order, run times capped at ${maxRun}; load average ${loadAtStart.map((x) => x.toFixed(1)).join(' ')} at the start\n`);
console.log('| trace | load | policy | mean GPU alloc % | wait mean s | wait p99 s | JCT mean s | JCT p99 s |\n|---|---|---|---|---|---|---|---|');
const worse = [];
for (const trace of traces) {
  for (const load of loads) {
    const w = out.get(`${trace}|${load}|weft`);
    const f = out.get(`${trace}|${load}|fgd`);
    for (const policy of policies) {
      const r = out.get(`${trace}|${load}|${policy}`);
      console.log(`| ${trace} | ${load} | ${policy} | ${r.alloc.toFixed(2)} | ${r.waitMean.toFixed(1)} | ${r.waitP99.toFixed(1)} | ${r.jctMean.toFixed(1)} | ${r.jctP99.toFixed(1)} |`);
    }
    if (w && f) {
      if (w.alloc < f.alloc) worse.push(`${trace} ${load}: allocation ${w.alloc} < ${f.alloc}`);
      for (const k of ['waitMean', 'waitP99', 'jctMean', 'jctP99']) if (w[k] > f[k]) worse.push(`${trace} ${load}: ${k} ${w[k]} > ${f[k]}`);
    }
  }
}
console.log(`\nweft worse than fgd on: ${worse.length ? worse.join('; ') : 'nothing'}`);
console.log(`${((Date.now() - started) / 60000).toFixed(1)} min; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (args.json) writeFileSync(args.json, JSON.stringify(Object.fromEntries(out), null, 2));
