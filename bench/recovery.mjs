// Recovery (issue 22, item 11): how long a large store takes to be ready again after `kill -9`,
// and how long a graceful stop takes, at rest and in the middle of a burst of writes. A scratch
// `weft server` (embedded database, or PostgreSQL with --database-url) is filled with --objects
// stored objects: through the API 1,000 nodes (provider `agent`, kept Ready by a 24 h heartbeat
// limit), 8,000 running one-GPU Jobs with their Allocations and 2,000 waiting Jobs with their
// FailedScheduling Events; then, with the server stopped, suspended Jobs for the rest, created
// in-process through the same admission code. Then, on the same store:
//   1. SIGTERM at rest (time to exit), start again (time to /readyz 200);
//   2. --kills times: a burst of creates and deletes (~50 writes/s), kill -9 after 10 s, start
//      again (time to listening and to /readyz 200);
//   3. SIGTERM in the middle of a burst (time to exit), start again.
// After each start: time until the port accepts, until /readyz says 200, and until the server is
// at rest (five /healthz answers in a row under 20 ms: the controllers' first pass is over).
//
//   npm run build && node bench/recovery.mjs [--objects 100000] [--kills 3]
//        [--keep DIR | --data-dir DIR --token T] [--database-url postgres://…] [--bin PATH/bin/weft.js]
//        [--log FILE]   (the server's JSON log; each stop logs how long each of its steps took)
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, pool } from './fleet-fill.mjs';
import { BIN, bootstrapToken, cpuSeconds, createRetrying, du, freePort, mib, readyTimes, settle, sleep, spawnWeft, stopProcess } from './server-process.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const OBJECTS = Number(args.objects ?? 100_000);
const KILLS = Number(args.kills ?? 3);
const DB_URL = args['database-url'];
const NODES = 1000;
const RUNNING = NODES * 8;
const WAITING = 2000;
const PROJECTS = ['alpha', 'beta', 'gamma', 'delta'];
const LOG = args.log;
// With --log, info: each stop then logs how long each of its steps took.
const FLAGS = ['--node-not-ready-after', '24h', '--node-lost-after', '24h', '--log-level', LOG ? 'info' : 'warn'];

const job = (name, extra = {}) => ({ kind: 'Job', metadata: { name }, spec: { resources: { cpu: '4', memory: '16Gi', gpu: { count: 1 } }, ...extra } });
const jobsPath = (i) => `/api/v1/projects/${PROJECTS[i % PROJECTS.length]}/jobs`;

async function fill(url, token) {
  for (const p of PROJECTS) await createRetrying(url, token, '/api/v1/projects', { kind: 'Project', metadata: { name: p }, spec: {} });
  await pool(NODES, 16, (i) =>
    createRetrying(url, token, '/api/v1/nodes', {
      kind: 'Node',
      metadata: { name: `node-${String(i).padStart(4, '0')}` },
      spec: { cpu: '224', memory: '2Ti', provider: 'agent', site: `site-${i % 4}`, rack: `rack-${Math.floor(i / 25)}`, gpus: Array.from({ length: 8 }, (_, g) => ({ index: g, model: 'H100-80GB' })) },
    }),
  );
  await pool(RUNNING, 16, (i) => createRetrying(url, token, jobsPath(i), job(`run-${String(i).padStart(5, '0')}`)));
  await pool(WAITING, 16, (i) => createRetrying(url, token, jobsPath(i), job(`wait-${String(i).padStart(5, '0')}`)));
}

/**
 * The suspended Jobs that make up the rest, written with the server stopped straight through the
 * store and the same admission the API runs (HTTP would take an hour on a loaded machine).
 */
async function fillSuspended(where, n) {
  const { openStore } = await import('../dist/store/index.js');
  const { createResource } = await import('../dist/control/resources.js');
  const { kindDef } = await import('../dist/model/registry.js');
  const store = await openStore(where);
  const t0 = performance.now();
  try {
    await pool(n, 256, async (i) => {
      if (i > 0 && i % 10_000 === 0) console.log(`  ${i} suspended jobs (${((i / (performance.now() - t0)) * 1000).toFixed(0)}/s)`);
      const project = PROJECTS[i % PROJECTS.length];
      await createResource(store, kindDef('Job'), job(`held-${String(i).padStart(6, '0')}`, { suspend: true }), { project });
    });
  } finally {
    await store.close();
  }
}

async function count(url, token, path) {
  let n = 0;
  let cont;
  do {
    const page = await api(url, token, 'GET', `${path}?limit=5000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    n += page.items.length;
    cont = page.metadata?.continue;
  } while (cont);
  return n;
}

/**
 * Milliseconds from t0 until the server is at rest: five /healthz answers in a row under 20 ms
 * (its start-up work, the controllers' first pass over every workload, is done). Gives up after 10 min.
 */
async function atRest(url, t0) {
  let fast = 0;
  while (fast < 5 && performance.now() - t0 < 600_000) {
    const s = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.arrayBuffer(), () => undefined);
    fast = performance.now() - s < 20 ? fast + 1 : 0;
    await sleep(200);
  }
  return performance.now() - t0;
}

/** Creates and deletes jobs at ~50 writes/s until stop() (errors ignored: the server may be down). */
function writeBurst(url, token) {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const i = n++;
      const name = `burst-${process.pid}-${i}`;
      const t0 = performance.now();
      await fetch(`${url}${jobsPath(i)}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(job(name, { suspend: true })) }).then((r) => r.arrayBuffer(), () => undefined);
      if (i % 2 === 1) await fetch(`${url}${jobsPath(i - 1)}/burst-${process.pid}-${i - 1}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer(), () => undefined);
      await sleep(Math.max(0, 30 - (performance.now() - t0)));
    }
  })();
  return { stop: async () => ((running = false), await loop, n) };
}

async function main() {
  const given = args['data-dir'] ?? args.keep;
  const scratch = given ? undefined : mkdtempSync(join(tmpdir(), 'weft-bench-recovery-'));
  const dataDir = given ?? join(scratch, 'data');
  const cwd = mkdtempSync(join(tmpdir(), 'weft-bench-recovery-cwd-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const where = DB_URL ? ['--database-url', DB_URL] : ['--data-dir', dataDir];
  const bin = args.bin ?? BIN;
  const start = () => {
    const child = spawnWeft(cwd, 'server', port, [...where, ...FLAGS], { bin, quiet: true });
    if (LOG) child.stderr.on('data', (d) => appendFileSync(LOG, d));
    return child;
  };
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`Recovery benchmark: ${cpus().length} CPUs, Node ${process.version}, ${DB_URL ? 'PostgreSQL' : 'embedded'}, ${bin}`);
  let server;
  const rows = [];
  try {
    let token = args.token;
    server = start();
    if (!token) {
      token = await bootstrapToken(server);
      await readyTimes(url, token, 300_000);
      const t0 = performance.now();
      console.log(`filling ${OBJECTS} objects…`);
      await fill(url, token);
      console.log(`fleet and ${RUNNING + WAITING} jobs in ${((performance.now() - t0) / 1000).toFixed(0)} s; waiting for the store to settle`);
      await settle(url, token);
      const suspended = Math.max(0, OBJECTS - (PROJECTS.length + NODES + 2 * RUNNING + 2 * WAITING));
      if (suspended > 0) {
        await stopProcess(server, 'SIGTERM');
        await fillSuspended(DB_URL ? { url: DB_URL } : { dataDir }, suspended);
        server = start();
        await readyTimes(url, token, 600_000);
      }
      console.log(`filled in ${((performance.now() - t0) / 1000).toFixed(0)} s (admin token ${token})`);
    } else await readyTimes(url, token, 600_000);
    const counts = {};
    for (const k of ['nodes', 'jobs', 'allocations', 'events']) counts[k] = await count(url, token, `/api/v1/${k}`);
    console.log(`stored: ${JSON.stringify(counts)} (${Object.values(counts).reduce((a, b) => a + b, 0)} objects); ${DB_URL ? '' : `data directory ${mib(du(dataDir))} MiB`}`);

    const restart = async (what, stopMs, signal) => {
      const t0 = performance.now();
      server = start();
      const t = await readyTimes(url, token, 600_000, t0);
      // CPU the server used until then: on a loaded machine wall time says more about the load.
      const cpu = cpuSeconds(server.pid);
      const restMs = await atRest(url, t0);
      rows.push({ what, signal, stopMs, listeningMs: t.listening, readyMs: t.readyz, cpu, restMs, load: load() });
      console.log(`${what}: ${signal === 'SIGKILL' ? 'killed' : `stopped in ${(stopMs / 1000).toFixed(2)} s`}; listening after ${(t.listening / 1000).toFixed(2)} s, /readyz 200 after ${(t.readyz / 1000).toFixed(2)} s (${cpu.toFixed(2)} s of CPU), at rest after ${(restMs / 1000).toFixed(1)} s (load ${load()})`);
    };

    await sleep(5000);
    await restart('at rest', await stopProcess(server, 'SIGTERM'), 'SIGTERM');
    for (let k = 0; k < KILLS; k++) {
      const burst = writeBurst(url, token);
      await sleep(10_000);
      await stopProcess(server, 'SIGKILL');
      await burst.stop();
      await restart(`kill -9 during a burst (${k + 1})`, 0, 'SIGKILL');
    }
    const burst = writeBurst(url, token);
    await sleep(10_000);
    const stopMs = await stopProcess(server, 'SIGTERM');
    await burst.stop();
    await restart('during a burst', stopMs, 'SIGTERM');
    console.log('\n| case | stop | listening | /readyz 200 | server CPU until ready | at rest | load average |\n|---|---:|---:|---:|---:|---:|---|');
    for (const r of rows) console.log(`| ${r.what} | ${r.signal === 'SIGKILL' ? 'kill -9' : `${(r.stopMs / 1000).toFixed(2)} s`} | ${(r.listeningMs / 1000).toFixed(2)} s | ${(r.readyMs / 1000).toFixed(2)} s | ${r.cpu.toFixed(2)} s | ${(r.restMs / 1000).toFixed(1)} s | ${r.load} |`);
    if (!DB_URL) console.log(`data directory: ${mib(du(dataDir))} MiB`);
  } catch (e) {
    if (server?.errTail.length) console.error(`server log, last lines:\n${server.errTail.slice(-20).join('\n')}`);
    throw e;
  } finally {
    if (server) await stopProcess(server, 'SIGTERM');
    rmSync(cwd, { recursive: true, force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
