// API benchmark: a loopback load generator against a real `weft` API server (started in a child
// process by api-server.mjs, so that server and generator each get a core). Measures create / get / list of 10k
// objects / watch fan-out on PGlite (on disk, as `weft up` runs it) and on PostgreSQL when
// WEFT_BENCH_DATABASE_URL or WEFT_TEST_DATABASE_URL is set (a scratch database is created and
// dropped). Run with `npm run bench:api` (builds first). Not part of `npm test`.
//
//   node bench/api.mjs [--objects 10000] [--concurrency 32] [--watchers 50] [--events 500]
//                      [--engines pglite,postgres] [--seconds 60]
import http from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { load, requester, startApiServer } from './api-server.mjs';
import { pct, scratchEngine } from './scratch.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);

// ---- load generator ----------------------------------------------------------------------------
async function main() {
  const N = Number(args.objects ?? 10_000);
  const C = Number(args.concurrency ?? 32);
  const WATCHERS = Number(args.watchers ?? 50);
  const EVENTS = Number(args.events ?? 500);
  const SECONDS = Number(args.seconds ?? 60); // time bound per measured phase
  const pgUrl = process.env.WEFT_BENCH_DATABASE_URL ?? process.env.WEFT_TEST_DATABASE_URL;
  const engines = (args.engines ?? `pglite${pgUrl ? ',postgres' : ''}`).split(',');

  console.log(`API benchmark: ${N} objects, concurrency ${C}, ${WATCHERS} watchers × ${EVENTS} events, ${cpus().length} CPUs, Node ${process.version}\n`);
  for (const engine of engines) {
    const rows = await runEngine(engine, { N, C, WATCHERS, EVENTS, SECONDS, pgUrl });
    console.log(`### ${engine}\n\n| operation | count | ops/s | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|`);
    for (const r of rows) console.log(`| ${r.name} | ${r.count} | ${fmt(r.opsPerSec)} | ${fmt(r.p50)} | ${fmt(r.p99)} |`);
    console.log('');
  }
}

const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : (v ?? ''));

async function runEngine(engine, o) {
  const { config, cleanup } = await scratchEngine(engine, o.pgUrl, 'api');
  const nodeFlags = (process.env.WEFT_BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const server = await startApiServer(config, nodeFlags);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.C });
  const api = client(server.url, server.token, agent);
  try {
    return await phases(api, o);
  } finally {
    agent.destroy();
    await server.stop();
    await cleanup();
  }
}

function client(base, token, agent) {
  const request = requester(base, token, agent);
  /** Opens an SSE watch on its own connection; calls onEvent for every data frame. */
  const watch = (path, onEvent) => {
    const req = http.request(new URL(path, base), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    req.on('response', (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (frame.includes('data:')) onEvent(frame);
        }
      });
    });
    req.on('error', () => undefined);
    req.end();
    return () => req.destroy();
  };
  return { request, watch };
}

const jobName = (i) => `job-${String(i).padStart(6, '0')}`;
const jobBody = (project, i) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name: jobName(i), project, labels: { app: `a${i % 7}`, tier: i % 2 ? 'gpu' : 'cpu' } },
  spec: { replicas: 1 + (i % 4), resources: { cpu: '16', memory: '128Gi', gpu: { count: 8, models: ['H100-80GB'] } }, image: 'nvcr.io/nvidia/pytorch:24.05-py3' },
});

async function phases(api, { N, C, WATCHERS, EVENTS, SECONDS }) {
  const rows = [];
  for (const p of ['bench', 'fanout']) await api.request('POST', '/api/v1/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: p }, spec: {} });
  const jobs = '/api/v1/projects/bench/jobs';

  const created = await load('create (POST Job)', N, C, SECONDS, (i) => api.request('POST', jobs, jobBody('bench', i)));
  rows.push(created);
  const n = created.count;
  rows.push(await load('get (GET Job)', N, C, SECONDS, (i) => api.request('GET', `${jobs}/${jobName((i * 7919) % n)}`)));

  const lists = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    const body = JSON.parse(await api.request('GET', jobs));
    lists.push(performance.now() - t);
    if (body.items.length !== n) throw new Error(`list returned ${body.items.length} of ${n}`);
  }
  rows.push({ name: `list ${n} Jobs (one response)`, count: 5, p50: pct(lists, 50), p99: Math.max(...lists) });
  const paged = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    let cont;
    do {
      const body = JSON.parse(await api.request('GET', `${jobs}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`));
      cont = body.metadata.continue;
    } while (cont);
    paged.push(performance.now() - t);
  }
  rows.push({ name: `list ${n} Jobs (pages of 500)`, count: 3, p50: pct(paged, 50), p99: Math.max(...paged) });
  rows.push(await load('list with label selector (app=a3,tier=gpu)', 50, 4, SECONDS, () => api.request('GET', `${jobs}?labelSelector=${encodeURIComponent('app=a3,tier=gpu')}`)));

  // Watch fan-out: WATCHERS SSE streams on one project, EVENTS creates; each event's latency is
  // measured from just before its POST to its arrival at each watcher.
  const rv = JSON.parse(await api.request('GET', '/api/v1/projects/fanout/jobs?limit=1')).metadata.resourceVersion;
  const sentAt = new Map();
  const lat = [];
  let received = 0;
  let allDone;
  const finished = new Promise((r) => (allDone = r));
  const closers = Array.from({ length: WATCHERS }, () =>
    api.watch(`/api/v1/projects/fanout/jobs?watch=true&resourceVersion=${rv}`, (frame) => {
      const m = /"name":"(job-\d+)"/.exec(frame);
      const s = m && sentAt.get(m[1]);
      if (s !== undefined) lat.push(performance.now() - s);
      if (++received === WATCHERS * EVENTS) allDone();
    }),
  );
  await new Promise((r) => setTimeout(r, 1000)); // let every stream connect
  const t0 = performance.now();
  await load('(fan-out writes)', EVENTS, C, SECONDS, (i) => {
    sentAt.set(jobName(i), performance.now());
    return api.request('POST', '/api/v1/projects/fanout/jobs', jobBody('fanout', i));
  });
  await Promise.race([finished, new Promise((r) => setTimeout(r, SECONDS * 1000))]);
  const secs = (performance.now() - t0) / 1000;
  closers.forEach((c) => c());
  rows.push({ name: `watch fan-out (${WATCHERS} watchers × ${EVENTS} events, delivered)`, count: received, opsPerSec: Math.round(received / secs), p50: pct(lat, 50), p99: pct(lat, 99) });
  return rows;
}

await main();
