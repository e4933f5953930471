// A full fleet with a long queue: what 2,000 pending Jobs cost the store and the API (issue 22,
// item 9). A scratch `weft server` (embedded database, or PostgreSQL with --database-url) gets
// NODES simulated 8-GPU nodes, one-GPU Jobs that fill every GPU, and PENDING more that must wait.
// The running Jobs finish after a random time in --churn (so waiting ones start and the queue
// moves), or never with --churn still; once a minute new Jobs top the queue up to PENDING. Once the
// fleet is full (every running Job started) and after a warm-up, for --minutes we sample /healthz every
// 250 ms (one request at a time) and record the store's writes (resourceVersion), the data
// directory's size (or the database's size), the number of Events and the server's CPU time.
//
//   npm run build && node bench/pending.mjs [--nodes 100] [--pending 2000] [--minutes 10]
//        [--churn 5m-20m | still] [--warmup 60] [--database-url postgres://…] [--bin PATH/bin/weft.js]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { api, pool } from './fleet-fill.mjs';
import { pct } from './scratch.mjs';
import { BIN, bootstrapToken, createRetrying, cpuSeconds, du, freePort, mib, readyTimes, sleep, spawnWeft, stopProcess } from './server-process.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const NODES = Number(args.nodes ?? 100);
const PENDING = Number(args.pending ?? 2000);
const MINUTES = Number(args.minutes ?? 10);
const WARMUP_S = Number(args.warmup ?? 60);
const CHURN = args.churn ?? '5m-20m';
const DB_URL = args['database-url'];
const PROJECTS = ['alpha', 'beta', 'gamma', 'delta'];

/** "5m-20m" → a random duration in that range for each running Job; "still" → 24 h. */
function durationOf(i) {
  if (CHURN === 'still') return '24h';
  const [lo, hi] = CHURN.split('-').map((d) => Number(d.replace(/m$/, '')));
  const minutes = lo + ((i * 7919) % 1000) / 1000 * (hi - lo);
  return `${Math.round(minutes * 60)}s`;
}

async function storeBytes(dataDir) {
  if (!DB_URL) return du(dataDir);
  const c = new pg.Client({ connectionString: DB_URL });
  await c.connect();
  try {
    return Number((await c.query('SELECT pg_database_size(current_database())::bigint AS b')).rows[0].b);
  } finally {
    await c.end();
  }
}

/** Events by "reason (source)", and their total: what the Event count is made of. */
async function eventCounts(url, token) {
  const by = {};
  let total = 0;
  let cont;
  do {
    const page = await api(url, token, 'GET', `/api/v1/events?limit=5000${cont ? `&continue=${cont}` : ''}`);
    for (const e of page.items) {
      const key = `${e.spec.reason} (${e.spec.source})`;
      by[key] = (by[key] ?? 0) + 1;
    }
    total += page.items.length;
    cont = page.metadata?.continue;
  } while (cont);
  return { total, by };
}

/** Growth rate (MiB per hour) between the sample nearest the window's middle and the end. */
function secondHalf(sizes, endBytes) {
  const end = performance.now();
  const mid = sizes[0][0] + (end - sizes[0][0]) / 2;
  const [at, bytes] = sizes.reduce((best, s) => (Math.abs(s[0] - mid) < Math.abs(best[0] - mid) ? s : best));
  return (((endBytes - bytes) / 2 ** 20) / ((end - at) / 3_600_000)).toFixed(1);
}

async function main() {
  const cwd = mkdtempSync(join(tmpdir(), 'weft-bench-pending-'));
  const dataDir = join(cwd, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const where = DB_URL ? ['--database-url', DB_URL] : ['--data-dir', dataDir];
  console.log(`Pending-load benchmark: ${NODES} nodes × 8 GPUs, ${PENDING} pending, churn ${CHURN}, ${MINUTES} min; ${cpus().length} CPUs, Node ${process.version}, ${DB_URL ? 'PostgreSQL' : 'embedded'}`);
  const server = spawnWeft(cwd, 'server', port, [...where, '--log-level', 'warn'], { bin: args.bin ?? BIN, quiet: true });
  try {
    const token = await bootstrapToken(server);
    await readyTimes(url, token, 120_000);
    for (const p of PROJECTS) await createRetrying(url, token, '/api/v1/projects', { kind: 'Project', metadata: { name: p }, spec: {} });
    await pool(NODES, 16, (i) =>
      createRetrying(url, token, '/api/v1/nodes', {
        kind: 'Node',
        metadata: { name: `sim-${String(i).padStart(4, '0')}` },
        spec: { cpu: '224', memory: '2Ti', provider: 'sim', site: `site-${i % 2}`, rack: `rack-${Math.floor(i / 20)}`, gpus: Array.from({ length: 8 }, (_, g) => ({ index: g, model: 'H100-80GB' })) },
      }),
    );
    const job = (name, i, duration) => ({
      kind: 'Job',
      metadata: { name, annotations: { 'weft.dev/sim-duration': duration } },
      spec: { resources: { cpu: '4', memory: '16Gi', gpu: { count: 1 } } },
    });
    const running = NODES * 8;
    await pool(running, 16, (i) => createRetrying(url, token, `/api/v1/projects/${PROJECTS[i % 4]}/jobs`, job(`run-${String(i).padStart(5, '0')}`, i, durationOf(i))));
    await pool(PENDING, 16, (i) => createRetrying(url, token, `/api/v1/projects/${PROJECTS[i % 4]}/jobs`, job(`wait-${String(i).padStart(5, '0')}`, i, '30m')));
    // The window starts once every running Job has started: the simulated fleet takes a while to
    // start 800 replicas, and each Job's one "Running" Event written inside the window would
    // read as growth of a queue that stands still.
    const phaseCount = async (phase) => (await api(url, token, 'GET', '/api/v1/summary')).workloads.filter((w) => w.phase === phase).reduce((n, w) => n + w.count, 0);
    const fullBy = performance.now() + 15 * 60_000;
    while ((await phaseCount('Running')) < running && performance.now() < fullBy) await sleep(2000);
    console.log(`filled: ${await phaseCount('Running')} of ${running} running, ${PENDING} waiting; warming up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);

    // Keep the queue at PENDING: whenever waiting Jobs have started, submit as many new ones.
    let submitted = PENDING;
    const pendingCount = () => phaseCount('Pending');
    const feed = async () => {
      const missing = PENDING - (await pendingCount());
      await pool(Math.max(0, missing), 8, () => {
        const i = submitted++;
        return createRetrying(url, token, `/api/v1/projects/${PROJECTS[i % 4]}/jobs`, job(`wait-${String(i).padStart(5, '0')}`, i, '30m'));
      });
    };
    const rv = async () => BigInt((await api(url, token, 'GET', '/api/v1/nodes?limit=1')).metadata.resourceVersion);
    const start = { at: performance.now(), rv: await rv(), bytes: await storeBytes(dataDir), events: await eventCounts(url, token), cpu: cpuSeconds(server.pid) };
    const latencies = [];
    const sizes = [[start.at, start.bytes]];
    const end = start.at + MINUTES * 60_000;
    let lastReport = start.at;
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (performance.now() - lastReport > 60_000) {
        lastReport = performance.now();
        await feed();
        const m = (lastReport - start.at) / 60_000;
        const bytes = await storeBytes(dataDir);
        sizes.push([lastReport, bytes]);
        console.log(`  ${m.toFixed(0)} min: ${(await rv()) - start.rv} writes, store ${mib(bytes)} MiB, ${submitted - PENDING} more Jobs submitted, /healthz p99 so far ${pct(latencies, 99).toFixed(1)} ms, load ${loadavg()[0].toFixed(2)}`);
      }
      await sleep(Math.max(0, 250 - (performance.now() - t0)));
    }
    const hours = (performance.now() - start.at) / 3_600_000;
    const fin = { rv: await rv(), bytes: await storeBytes(dataDir), events: await eventCounts(url, token), cpu: cpuSeconds(server.pid) };
    const pendingNow = (await api(url, token, 'GET', '/api/v1/summary')).workloads;
    console.log(`
window: ${(hours * 60).toFixed(1)} min, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}
writes: ${fin.rv - start.rv} (${((Number(fin.rv - start.rv) / hours)).toFixed(0)} per hour)
store: ${mib(start.bytes)} → ${mib(fin.bytes)} MiB (${((fin.bytes - start.bytes) / 2 ** 20 / hours).toFixed(1)} MiB per hour over the window; ${secondHalf(sizes, fin.bytes)} MiB per hour over its second half)
events: ${start.events.total} → ${fin.events.total}: ${JSON.stringify(start.events.by)} → ${JSON.stringify(fin.events.by)}
server CPU: ${(((fin.cpu - start.cpu) / (hours * 3600)) * 100).toFixed(1)} % of one core
/healthz (${latencies.length} requests): p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms
workloads now: ${JSON.stringify(pendingNow)}`);
  } finally {
    await stopProcess(server, 'SIGTERM');
    rmSync(cwd, { recursive: true, force: true });
  }
}

await main();
