// Reservations benchmark. Run with `npm run bench:reservations` (builds first). Not part of `npm test`.
//
//   1. Admission against the capacity calendar: 10,000 reservations booked on 5,000 nodes, then
//      1,000 new asks timed one by one — fit() when it fits, else earliest() for the refusal's
//      offered window (what admission runs; one ask in ten wants most of a site), and, apart, building the calendar from its bookings
//      (admission builds it from the store's objects each time).
//   2. Scheduler throughput: the same stream of gangs placed on a 5,000-node fleet with 1,000
//      active reservations and with none, in the same run; the ratio is what booked capacity costs.
//      One placement pass takes ~0.1 s, so on a shared machine each is repeated (--rounds,
//      alternating with and without) and the medians are compared.
//
//   node bench/reservations.mjs [--nodes 5000] [--reservations 10000] [--asks 1000] [--active 1000] [--gangs 3000] [--rounds 9]
import { loadavg, cpus } from 'node:os';
import { h100Fleet, pct } from './scratch.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const NODES = Number(args.nodes ?? 5000);
const RESERVATIONS = Number(args.reservations ?? 10_000);
const ASKS = Number(args.asks ?? 1000);
const ACTIVE = Number(args.active ?? 1000);
const GANGS = Number(args.gangs ?? 3000);
const ROUNDS = Number(args.rounds ?? 9);
const { CapacityCalendar, createPolicy, schedule, seededRng, Snapshot } = await import('../dist/scheduler/index.js');

const HOUR = 3_600_000;
const SITES = 5;
const rng = seededRng(17);
const fleet = h100Fleet(NODES).map((n, i) => ({ ...n, site: `site-${i % SITES}` }));
const calendarNodes = fleet.map((n) => ({ name: n.name, site: n.site, rack: n.rack, model: n.gpuModel, gpus: n.gpus }));

/** A random ask over the next 30 days: 1–64 GPUs (sometimes 1–4 whole nodes), in one site, 2–48 h long. */
function randomAsk() {
  const start = rng.int(30 * 24) * HOUR;
  const end = start + (2 + rng.int(47)) * HOUR;
  const site = `site-${rng.int(SITES)}`;
  return rng.int(10) === 0 ? { start, end, nodes: 1 + rng.int(4), model: 'H100-80GB', site } : { start, end, gpus: 1 + rng.int(64), model: 'H100-80GB', site };
}

// 1. Admission.
const calendar = new CapacityCalendar(calendarNodes);
let booked = 0;
for (let tries = 0; booked < RESERVATIONS && tries < RESERVATIONS * 3; tries++) {
  const ask = randomAsk();
  const nodes = calendar.fit(ask);
  if (nodes) calendar.add({ id: `r${booked++}`, start: ask.start, end: ask.end, nodes });
}
const fitMs = [];
const refuseMs = [];
for (let i = 0; i < ASKS; i++) {
  // One ask in ten wants most of a site (up to 8,000 GPUs): those are often refused, and the refusal searches for its window.
  const ask = i % 10 === 0 ? { ...randomAsk(), nodes: undefined, gpus: 5000 + rng.int(3000) } : randomAsk();
  const t = performance.now();
  const nodes = calendar.fit(ask);
  if (!nodes) calendar.earliest(ask, ask.start + 90 * 24 * HOUR);
  (nodes ? fitMs : refuseMs).push(performance.now() - t);
}
const all = [...fitMs, ...refuseMs];
const bookings = calendar.all();
const buildMs = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  new CapacityCalendar(calendarNodes, bookings);
  buildMs.push(performance.now() - t);
}

// 2. Scheduler throughput with and without active reservations.
const NOW = 100 * HOUR;
const active = Array.from({ length: ACTIVE }, (_, i) => ({
  id: `p${i % 50}/r${i}`,
  project: `p${i % 50}`,
  name: `r${i}`,
  start: NOW - HOUR,
  end: NOW + 8 * HOUR,
  nodes: [{ node: fleet[(i * 5) % NODES].name, gpus: 4 }],
  used: {},
}));
const shapes = [
  { cpuMilli: 8000, memoryBytes: 64 * 1024 ** 3, gpu: { kind: 'whole', count: 1 } },
  { cpuMilli: 16000, memoryBytes: 128 * 1024 ** 3, gpu: { kind: 'whole', count: 2 } },
  { cpuMilli: 4000, memoryBytes: 16 * 1024 ** 3, gpu: { kind: 'share', milli: 250 } },
  { cpuMilli: 64000, memoryBytes: 512 * 1024 ** 3, gpu: { kind: 'whole', count: 8 } },
];
const gangs = Array.from({ length: GANGS }, (_, i) => ({ id: `g${i}`, replicas: 1, project: `t${i % 20}`, resources: shapes[i % shapes.length], ...(i % 3 === 0 ? { maxRuntimeMs: 4 * HOUR } : {}) }));
const policy = createPolicy('best-fit');
function throughput(bookingsFor) {
  const snap = new Snapshot(fleet);
  const t = performance.now();
  const { decisions } = schedule(snap, gangs, { policy, bookings: bookingsFor }, NOW, seededRng(1));
  const ms = performance.now() - t;
  return { perSecond: (decisions.length / ms) * 1000, placed: decisions.filter((d) => d.placed).length };
}
throughput([]); // warm up
const rounds = [];
for (let i = 0; i < ROUNDS; i++) rounds.push({ none: throughput([]), withActive: throughput(active) });
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const none = med(rounds.map((r) => r.none.perSecond));
const withActive = med(rounds.map((r) => r.withActive.perSecond));

const f = (x) => x.toFixed(2);
console.log(`# reservations benchmark — ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`calendar: ${NODES} nodes, ${bookings.length} reservations booked`);
console.log(`admission of ${ASKS} asks (${fitMs.length} fit, ${refuseMs.length} refused with an offered window), ms: p50 ${f(pct(all, 50))}, p99 ${f(pct(all, 99))}, max ${f(Math.max(...all))}`);
if (fitMs.length) console.log(`  fit: p50 ${f(pct(fitMs, 50))}, p99 ${f(pct(fitMs, 99))}`);
if (refuseMs.length) console.log(`  refused (earliest window): p50 ${f(pct(refuseMs, 50))}, p99 ${f(pct(refuseMs, 99))}`);
console.log(`building the calendar from ${bookings.length} bookings, ms: p50 ${f(pct(buildMs, 50))}, p99 ${f(pct(buildMs, 99))}`);
console.log(`scheduler: ${GANGS} gangs on ${NODES} nodes (best-fit), decisions/s (median of ${ROUNDS}): none ${none.toFixed(0)} (placed ${rounds[0].none.placed}), ${ACTIVE} active reservations ${withActive.toFixed(0)} (placed ${rounds[0].withActive.placed}); ratio ${(withActive / none).toFixed(2)}`);
