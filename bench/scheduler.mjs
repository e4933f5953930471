// Scheduler benchmark: decision throughput and latency on synthetic fleets, gang placement time
// and memory per node. Run with `npm run bench:scheduler` (builds first). Not part of `npm test`.
//
//   node bench/scheduler.mjs [--policies weft,fgd,best-fit] [--sizes 1000,5000,12500,20000] [--json out.json]
//                            [--dist DIR]   (the compiled scheduler to measure, default ../dist: another
//                                            build's, to compare before and after in one run)
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { h100Fleet } from './scratch.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const policies = (args.policies ?? 'weft,fgd,best-fit').split(',');
const sizes = (args.sizes ?? '1000,5000,12500,20000').split(',').map(Number);
const dist = args.dist ? pathToFileURL(resolve(args.dist)).href : new URL('../dist', import.meta.url).href;
const { createPolicy, judgeStranding, schedule, seededRng, Snapshot } = await import(`${dist}/scheduler/index.js`);
const GIB = 1024 ** 3;


// A mixed request population for the fragmentation-aware policies' typical-pod set.
const typicalPods = [
  { cpuMilli: 8000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.4 },
  { cpuMilli: 4000, gpuMilli: 250, gpuCount: 1, gpuModels: [], p: 0.3 },
  { cpuMilli: 4000, gpuMilli: 500, gpuCount: 1, gpuModels: [], p: 0.1 },
  { cpuMilli: 64000, gpuMilli: 1000, gpuCount: 8, gpuModels: [], p: 0.1 },
  { cpuMilli: 8000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.1 },
];

const kinds = {
  'single-GPU': { cpuMilli: 8000, memoryBytes: 64 * GIB, gpu: { kind: 'whole', count: 1 } },
  'shared-GPU': { cpuMilli: 4000, memoryBytes: 16 * GIB, gpu: { kind: 'share', milli: 250 } },
  '8-GPU': { cpuMilli: 64000, memoryBytes: 512 * GIB, gpu: { kind: 'whole', count: 8 } },
};
// A stream that cycles through several shapes, so nodes end up in many different states.
const mixed = [
  kinds['single-GPU'],
  kinds['shared-GPU'],
  { cpuMilli: 16000, memoryBytes: 128 * GIB, gpu: { kind: 'whole', count: 2 } },
  { cpuMilli: 6000, memoryBytes: 32 * GIB, gpu: { kind: 'share', milli: 500 } },
  { cpuMilli: 4000, memoryBytes: 16 * GIB, gpu: { kind: 'none' } },
  kinds['8-GPU'],
  { cpuMilli: 32000, memoryBytes: 256 * GIB, gpu: { kind: 'whole', count: 4 } },
];

function pct(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function placements(policyName, nodes, kind) {
  const snap = new Snapshot(h100Fleet(nodes));
  // 'mixed, nodes all different': every node first loses a different sliver of CPU, so no two
  // nodes are in the same state and node classes cannot stand in for many nodes at once.
  if (kind === 'mixed, nodes all different') {
    for (let n = 0; n < nodes; n++) snap.assume(n, { cpuMilli: 1 + n, memoryBytes: 0, gpus: [], milliPerGpu: 0, migMask: 0, shapeClass: -1 });
    snap.commit();
  }
  const config = { policy: createPolicy(policyName, { typicalPods }) };
  const rng = seededRng(1);
  // Enough requests to matter, never more than half the fleet can take.
  const perNode = kind === '8-GPU' ? 1 : kind === 'shared-GPU' ? 32 : kind.startsWith('mixed') ? 3 : 8;
  const n = Math.min(5000, Math.floor((nodes * perNode) / 2));
  const warm = Math.min(200, n / 10);
  const lat = [];
  let placed = 0;
  // weft decides once per (workload mix, fleet) whether its stranding term pays, by a replay
  // (timed on its own below); one throw-away call here keeps it out of the placement timings.
  const mark = snap.mark();
  schedule(snap, [{ id: 'verdict', replicas: 1, resources: kinds['single-GPU'] }], config, 0, rng);
  snap.rollback(mark);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const resources = kind.startsWith('mixed') ? mixed[i % mixed.length] : kinds[kind];
    const r = schedule(snap, [{ id: `r${i}`, replicas: 1, resources }], config, i, rng);
    const dt = performance.now() - t;
    snap.commit();
    if (i >= warm) lat.push(dt);
    if (r.decisions[0].placed) placed++;
  }
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  return { policy: policyName, nodes, kind, requests: n, placed, perSecond: Math.round((n / total) * 1000), p50ms: pct(lat, 0.5), p99ms: pct(lat, 0.99) };
}

/** weft's one-time replay of the mix on the fleet (weft-calibration.ts), timed alone. */
function verdictTime(nodes) {
  const snap = new Snapshot(h100Fleet(nodes));
  const t = performance.now();
  const v = judgeStranding(typicalPods, typicalPods, snap);
  return { nodes, ms: performance.now() - t, hosts: v.nodes, pays: v.pays, shareFill: v.shareFill };
}

function gang(policyName, nodes) {
  const snap = new Snapshot(h100Fleet(nodes));
  const config = { policy: createPolicy(policyName, { typicalPods }) };
  const rng = seededRng(1);
  // Warm the workspace with one small request so the timing is the gang itself.
  schedule(snap, [{ id: 'warm', replicas: 1, resources: kinds['single-GPU'] }], config, 0, rng);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const mark = snap.mark();
    const t = performance.now();
    const r = schedule(snap, [{ id: `g${i}`, replicas: 64, resources: kinds['8-GPU'] }], config, i, rng);
    times.push(performance.now() - t);
    if (!r.decisions[0].placed) throw new Error('gang did not fit');
    snap.rollback(mark);
  }
  times.sort((a, b) => a - b);
  return { policy: policyName, nodes, gangMs: times[2] };
}

/**
 * Full collections, with a pause after each: V8 releases dead ArrayBuffers' memory in a sweep that
 * can finish after gc() returns, so memoryUsage() read at once may still count the buffers of
 * garbage (for weft, one run in three here: the empty fleet copies of its one-time replay).
 */
async function settledGc() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function heapPer10k(policyName) {
  await settledGc();
  const before = process.memoryUsage();
  const snap = new Snapshot(h100Fleet(10_000));
  const config = { policy: createPolicy(policyName, { typicalPods }) };
  for (const [i, resources] of Object.values(kinds).entries()) schedule(snap, [{ id: `h${i}`, replicas: 1, resources }], config, 0, seededRng(1));
  await settledGc();
  const after = process.memoryUsage();
  const mb = (x) => Math.round((x / 2 ** 20) * 10) / 10;
  const heap = after.heapUsed - before.heapUsed;
  const buffers = after.arrayBuffers - before.arrayBuffers;
  const result = { policy: policyName, heapMiB: mb(heap), arrayBuffersMiB: mb(buffers), totalMiB: mb(heap + buffers) };
  if (!snap) throw new Error('unreachable'); // keep the snapshot alive until measured
  return result;
}

const results = { machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}`, dist: args.dist ?? 'dist', loadAverage: loadavg().map((x) => +x.toFixed(2)), placements: [], gangs: [], heap: [] };
console.log(`# scheduler benchmark — ${results.machine}; ${results.dist}; load average ${results.loadAverage.join(' ')}\n`);
console.log('| policy | JS heap per 10k nodes (MiB) | typed arrays per 10k nodes (MiB) | total (MiB) |\n|---|---|---|---|');
// Measured once, first, while nothing else is allocated: later measurements would be skewed by
// the garbage of earlier runs.
for (const p of policies.slice(0, 1)) {
  const r = await heapPer10k(p);
  results.heap.push(r);
  console.log(`| ${p} | ${r.heapMiB} | ${r.arrayBuffersMiB} | ${r.totalMiB} |`);
}
console.log('');
console.log('| policy | nodes × 8 GPUs | request | requests | placements/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|');
for (const p of policies) {
  for (const nodes of sizes) {
    for (const kind of [...Object.keys(kinds), 'mixed', 'mixed, nodes all different']) {
      const r = placements(p, nodes, kind);
      results.placements.push(r);
      console.log(`| ${p} | ${nodes} | ${kind} | ${r.requests} | ${r.perSecond} | ${r.p50ms.toFixed(3)} | ${r.p99ms.toFixed(3)} |`);
    }
  }
}
console.log('\n| policy | nodes × 8 GPUs | 64 × 8-GPU gang (median of 5) ms |\n|---|---|---|');
for (const p of policies) {
  for (const nodes of sizes) {
    const r = gang(p, nodes);
    results.gangs.push(r);
    console.log(`| ${p} | ${nodes} | ${r.gangMs.toFixed(2)} |`);
  }
}
if (policies.includes('weft') && judgeStranding) {
  console.log('\n| nodes × 8 GPUs | hosts replayed | weft verdict (keeps the stranding term? share fill?) | replay ms |\n|---|---|---|---|');
  for (const nodes of sizes) {
    const r = verdictTime(nodes);
    results.verdicts = [...(results.verdicts ?? []), r];
    console.log(`| ${nodes} | ${r.hosts} | ${r.pays ? (r.shareFill ? 'yes, with share fill' : 'yes') : 'no'} | ${r.ms.toFixed(0)} |`);
  }
}
console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
