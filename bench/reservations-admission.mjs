// Live reservation admission against 10,000 reservations on 5,000 nodes. Run with `npm run
// bench:reservations-admission` (builds first). Not part of `npm test`.
//
// An embedded store (PGlite) is seeded with 5,000 Nodes and 10,000 booked Reservations (their
// bookings computed by the calendar, written directly), then new reservations are created through
// admission one by one, as the API creates them: once with the API server's in-memory calendar
// (CalendarCache) and once without it (the calendar loaded from the store in each write). A
// third of the asks want most of a site and are refused with the earliest window. Between two
// timed asks the in-memory calendar is let catch up with the watch, as it does between requests.
//
//   node bench/reservations-admission.mjs [--nodes 5000] [--reservations 10000] [--asks 200]
import { cpus, loadavg } from 'node:os';
import { h100Fleet, pct } from './scratch.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const NODES = Number(args.nodes ?? 5000);
const RESERVATIONS = Number(args.reservations ?? 10_000);
const ASKS = Number(args.asks ?? 200);
const { openStore } = await import('../dist/store/index.js');
const { createResource } = await import('../dist/control/resources.js');
const { ReservationKind } = await import('../dist/model/kinds/reservation.js');
const { CalendarCache } = await import('../dist/control/reservations/calendar-cache.js');
const { CapacityCalendar, seededRng } = await import('../dist/scheduler/index.js');

const HOUR = 3_600_000;
const SITES = 5;
const T0 = Date.parse('2027-01-04T00:00:00Z');
const rng = seededRng(17);
const fleet = h100Fleet(NODES).map((n, i) => ({ ...n, site: `site-${i % SITES}` }));
const iso = (t) => new Date(t).toISOString();

function randomAsk() {
  const start = T0 + rng.int(30 * 24) * HOUR;
  const end = start + (2 + rng.int(47)) * HOUR;
  return { start, end, site: `site-${rng.int(SITES)}`, gpus: 1 + rng.int(64) };
}

const store = await openStore({});
const t0 = performance.now();
await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'p' }, spec: {} });
const nodeBody = (n) => ({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: n.name }, spec: { site: n.site, rack: n.rack, cpu: '128', memory: '1Ti', gpus: Array.from({ length: n.gpus }, (_, i) => ({ index: i, model: 'H100-80GB' })) } });
for (let i = 0; i < fleet.length; i += 500) await Promise.all(fleet.slice(i, i + 500).map((n) => store.create(nodeBody(n))));
const calendar = new CapacityCalendar(fleet.map((n) => ({ name: n.name, site: n.site, rack: n.rack, model: 'H100-80GB', gpus: n.gpus })));
const seeded = [];
for (let tries = 0; seeded.length < RESERVATIONS && tries < RESERVATIONS * 3; tries++) {
  const a = randomAsk();
  const nodes = calendar.fit({ ...a, model: 'H100-80GB' });
  if (!nodes) continue;
  const name = `r${seeded.length}`;
  calendar.add({ id: `p/${name}`, start: a.start, end: a.end, nodes });
  seeded.push({ apiVersion: 'weft/v1', kind: 'Reservation', metadata: { name, project: 'p' }, spec: { start: iso(a.start), end: iso(a.end), gpus: a.gpus, model: 'H100-80GB', site: a.site }, status: { phase: 'Pending', booking: { nodes } } });
}
for (let i = 0; i < seeded.length; i += 500) await Promise.all(seeded.slice(i, i + 500).map((r) => store.create(r)));
const seedS = (performance.now() - t0) / 1000;

const cache = new CalendarCache(store);
await cache.start();
async function caughtUp() {
  for (let i = 0; i < 500; i++) {
    if (await store.transaction(async (tx) => (await cache.forTransaction(tx, T0)) !== null)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function run(label, withCache) {
  const times = { fit: [], refused: [] };
  for (let i = 0; i < ASKS; i++) {
    const a = randomAsk();
    // One ask in three wants 5,000–8,000 GPUs of one site: refused, with the earliest window.
    const gpus = i % 3 === 0 ? 5000 + rng.int(3000) : a.gpus;
    const body = { kind: 'Reservation', metadata: { name: `${label}-${i}` }, spec: { start: iso(a.start), end: iso(a.end), gpus, model: 'H100-80GB', site: a.site } };
    if (withCache) await caughtUp();
    const t = performance.now();
    let ok = true;
    try {
      await createResource(store, ReservationKind, body, { project: 'p' }, { now: new Date(T0), ...(withCache ? { calendar: cache } : {}) });
    } catch (e) {
      if (e.status !== 409) throw e;
      ok = false;
    }
    times[ok ? 'fit' : 'refused'].push(performance.now() - t);
  }
  return times;
}

const load0 = loadavg();
const fromStore = await run('store', false);
const fromMemory = await run('memory', true);
await cache.stop();
await store.close();
const f = (x) => x.toFixed(2);
const line = (label, t) => {
  const all = [...t.fit, ...t.refused];
  return `${label}: all ${all.length} p50 ${f(pct(all, 50))} p99 ${f(pct(all, 99))}; fit ${t.fit.length} p50 ${f(pct(t.fit, 50))} p99 ${f(pct(t.fit, 99))}; refused ${t.refused.length} p50 ${f(pct(t.refused, 50))} p99 ${f(pct(t.refused, 99))}`;
};
console.log(`# live reservation admission — ${cpus().length} cores, load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`);
console.log(`PGlite, ${NODES} nodes, ${seeded.length} reservations (seeded in ${seedS.toFixed(1)} s); ${ASKS} asks each way, ms:`);
console.log(line('calendar loaded from the store in each write', fromStore));
console.log(line('in-memory calendar (CalendarCache)', fromMemory));
console.log(`in-memory calendar answered ${cache.stats.served} transactions, left ${cache.stats.behind} to the store (behind the watch)`);
