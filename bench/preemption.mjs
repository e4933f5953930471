// Preemption search benchmark: findVictims() time with 10k running gangs on 5k nodes (8 GPUs
// each, every GPU taken), for preemptors of three sizes. Run with `npm run bench:preemption`
// (builds first). Not part of `npm test`.
//
//   node bench/preemption.mjs [--nodes 5000] [--gangs 10000] [--searches 30] [--gang-searches 30] [--policy weft] [--search fast|plain] [--json out.json]
//
// --search plain times the plain search (one full what-if per question, preemption-reference.ts)
// that the fast one must agree with: the "before" figures; its rack gang takes seconds a search.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createPolicy, findVictims as findVictimsFast, schedule, seededRng, Snapshot } from '../dist/scheduler/index.js';
import { findVictimsReference } from '../dist/scheduler/preemption-reference.js';
import { h100Fleet, pct } from './scratch.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const NODES = Number(args.nodes ?? 5000);
const GANGS = Number(args.gangs ?? 10_000);
const SEARCHES = Number(args.searches ?? 30);
// Samples for the multi-node gang (before the bounded search it took seconds each, so fewer).
const GANG_SEARCHES = Number(args['gang-searches'] ?? 30);
const policyName = args.policy ?? 'weft';
const searchName = args.search ?? 'fast';
if (searchName !== 'fast' && searchName !== 'plain') throw new Error(`--search: fast or plain, got ${searchName}`);
const findVictims = searchName === 'plain' ? findVictimsReference : findVictimsFast;
const GIB = 1024 ** 3;
const HOUR = 3_600_000;

const nodes = h100Fleet(NODES);

// The fleet full of running gangs: GANGS / NODES gangs per node, splitting its 8 GPUs evenly,
// with seeded priorities 0..4 and start times over the last day.
function runningFleet(seed) {
  const snap = new Snapshot(nodes);
  const rng = seededRng(seed);
  const perNode = Math.max(1, Math.round(GANGS / NODES));
  const gpusEach = Math.max(1, Math.floor(8 / perNode));
  const running = [];
  for (let n = 0; n < NODES && running.length < GANGS; n++) {
    for (let k = 0; k < perNode && running.length < GANGS; k++) {
      const start = snap.gpuStart[n] + k * gpusEach;
      const delta = { cpuMilli: 8000, memoryBytes: 64 * GIB, gpus: Array.from({ length: gpusEach }, (_, j) => start + j), milliPerGpu: 1000, migMask: 0, shapeClass: gpusEach };
      snap.assume(n, delta);
      running.push({ id: `g${running.length}`, priority: rng.int(5), replicas: [{ node: n, delta }], startedAt: 24 * HOUR - rng.int(24 * HOUR) });
    }
  }
  snap.commit();
  return { snap, running };
}

const preemptors = {
  '1 GPU': { replicas: 1, resources: { cpuMilli: 8000, memoryBytes: 64 * GIB, gpu: { kind: 'whole', count: 1 } } },
  '8 GPUs (one node)': { replicas: 1, resources: { cpuMilli: 32000, memoryBytes: 256 * GIB, gpu: { kind: 'whole', count: 8 } } },
  '4 × 8 GPUs in one rack': { replicas: 4, topology: { within: 'rack', mode: 'required' }, resources: { cpuMilli: 32000, memoryBytes: 256 * GIB, gpu: { kind: 'whole', count: 8 } } },
};

const config = { policy: createPolicy(policyName, { typicalPods: [{ cpuMilli: 8000, gpuMilli: 1000, gpuCount: 4, gpuModels: [], p: 1 }] }), explain: false };
const { snap, running } = runningFleet(1);
// Sanity: the fleet is full, so nothing fits without preemption.
if (schedule(snap, [{ id: 'probe', ...preemptors['1 GPU'] }], config, 0, seededRng(1)).decisions[0].placed) throw new Error('fleet is not full');
snap.rollback(0);

const results = { machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}`, nodes: NODES, running: running.length, policy: policyName, search: searchName, rows: [] };
// The machine may be shared: the load average goes with the figures.
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
results.loadBefore = load();
console.log(`# preemption search — ${results.machine}, load average ${results.loadBefore}\n`);
console.log(`${NODES} nodes × 8 GPUs, ${running.length} running gangs (priorities 0–4), policy ${policyName}, ${searchName} search; each search at a different \`now\`, so with different costs (3 warm-up searches not counted)\n`);
console.log('| preemptor (priority 10) | searches | victims (median) | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|');
for (const [label, shape] of Object.entries(preemptors)) {
  const times = [];
  const victims = [];
  const searches = shape.replicas > 1 ? GANG_SEARCHES : SEARCHES;
  for (let s = 0; s < searches + 3; s++) {
    const gang = { id: `urgent-${s}`, priority: 10, ...shape };
    const t = performance.now();
    const plan = findVictims(snap, gang, running, config, 24 * HOUR + s * 60_000, seededRng(s));
    const dt = performance.now() - t;
    if (!plan) throw new Error(`${label}: no plan`);
    if (s >= 3) {
      times.push(dt);
      victims.push(plan.victims.length);
    }
  }
  const row = { preemptor: label, searches: times.length, victimsMedian: pct(victims, 50), p50ms: pct(times, 50), p99ms: pct(times, 99), maxMs: Math.max(...times) };
  results.rows.push(row);
  console.log(`| ${label} | ${row.searches} | ${row.victimsMedian} | ${row.p50ms.toFixed(2)} | ${row.p99ms.toFixed(2)} | ${row.maxMs.toFixed(2)} |`);
}
results.loadAfter = load();
console.log(`\nload average after: ${results.loadAfter}`);
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
