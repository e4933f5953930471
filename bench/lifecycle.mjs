// Lifecycle benchmark: end to end from `POST /jobs` to the Allocation committed by the scheduling
// loop, seen by a client watching Allocations, on a fleet of simulated nodes (default 5,000 × 8
// H100). The server (API + control plane with the `weft` policy) runs in a child process so
// server and load generator each get a core. Two phases per engine:
//   - latency: jobs submitted at a steady rate well below capacity → p50 / p99 submit→bound;
//   - throughput: jobs submitted as fast as `--concurrency` requests allow → sustained jobs/s
//     placed (first submit to last bound) and the latency under that load.
// Runs on PGlite (on disk, as `weft up` does) and on PostgreSQL when WEFT_BENCH_DATABASE_URL or
// WEFT_TEST_DATABASE_URL is set (a scratch database is created and dropped). Not part of `npm test`.
//
//   node bench/lifecycle.mjs [--nodes 5000] [--rate 200] [--latency-jobs 2000] [--jobs 10000]
//                            [--concurrency 64] [--engines pglite,postgres] [--policy weft]
//                            [--cpu-prof DIR]   (write a CPU profile of the server process into DIR)
// The throughput phase also reports CPU time per placed job: the server process, this generator
// and, on a local PostgreSQL, the backends serving the server's connections to the scratch
// database (read from /proc while the phase runs; one that exits mid-phase is not counted, and
// autovacuum is left out: it runs when it will, and made repeated runs hard to compare).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pct, scratchEngine } from './scratch.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const PROJECT = 'bench';

async function main() {
  const o = {
    nodes: Number(args.nodes ?? 5000),
    rate: Number(args.rate ?? 200),
    latencyJobs: Number(args['latency-jobs'] ?? 2000),
    jobs: Number(args.jobs ?? 10_000),
    C: Number(args.concurrency ?? 64),
    policy: args.policy ?? 'weft',
    pgUrl: process.env.WEFT_BENCH_DATABASE_URL ?? process.env.WEFT_TEST_DATABASE_URL,
  };
  const engines = (args.engines ?? `pglite${o.pgUrl ? ',postgres' : ''}`).split(',');
  console.log(
    `Lifecycle benchmark: ${o.nodes} simulated nodes × 8 H100, policy ${o.policy}; latency phase ${o.latencyJobs} jobs at ${o.rate}/s; ` +
      `throughput phase ${o.jobs} jobs, ${o.C} in flight; ${cpus().length} CPUs, Node ${process.version}\n`,
  );
  console.log('| engine | phase | jobs | placed jobs/s | p50 submit→bound ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|---:|');
  for (const engine of engines) {
    for (const r of await runEngine(engine, o)) {
      console.log(`| ${engine} | ${r.phase} | ${r.jobs} | ${fmt(r.rate)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} |`);
    }
  }
}

const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : (v ?? ''));

async function runEngine(engine, o) {
  const { config, cleanup } = await scratchEngine(engine, o.pgUrl, 'lifecycle');
  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
  const child = spawn(process.execPath, [...prof, fileURLToPath(import.meta.url), '--serve', JSON.stringify({ ...config, nodes: o.nodes, policy: o.policy })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let cycles;
  let cpuReply;
  const { url, token } = await new Promise((resolve, reject) => {
    let buf = '';
    let started = false;
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        if (!started) {
          started = true;
          resolve(JSON.parse(l));
        } else if (l.startsWith('{"cycles"')) cycles = JSON.parse(l).cycles;
        else if (l.startsWith('{"cpu"')) cpuReply?.(JSON.parse(l).cpu);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.C });
  const serverCpu = () =>
    new Promise((resolve) => {
      cpuReply = resolve;
      child.stdin.write('cpu\n');
    });
  const cpu = await cpuMeter(serverCpu, engine === 'postgres' ? config.url : undefined);
  try {
    return await phases(url, token, agent, o, cpu);
  } finally {
    await cpu.close();
    agent.destroy();
    child.stdin.end();
    await new Promise((r) => child.on('exit', r));
    await cleanup();
    if (cycles?.count) {
      const per = (k) => (cycles[k] / cycles.placed).toFixed(3);
      console.error(
        `${engine}: ${cycles.count} cycles placed ${cycles.placed} jobs (${(cycles.placed / cycles.count).toFixed(1)} a cycle); per placed job ms: ` +
          `cycle ${per('ms')} = demand ${per('demand')} + schedule ${per('schedule')} + commit ${per('commit')} + preempt/status ${per('preempt')}`,
      );
    }
  }
}

function post(base, token, agent, path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      new URL(path, base),
      { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`POST ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`)) : resolve()));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Follows Allocations over SSE; calls onBound(jobName) for each new one. */
function watchAllocations(base, token, onBound) {
  const req = http.request(new URL(`/api/v1/projects/${PROJECT}/allocations?watch=true&resourceVersion=0`, base), {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  req.on('response', (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const line = frame.split('\n').find((l) => l.startsWith('data:'));
        if (!line) continue;
        const ev = JSON.parse(line.slice(5));
        if (ev.type === 'ADDED') onBound(ev.object.metadata.labels['weft.dev/workload']);
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

// A mix of whole-GPU gangs of one replica and GPU shares; ~2 GPUs per job on average.
const SHAPES = [{ count: 1 }, { count: 1 }, { count: 1 }, { count: 1 }, { count: 2 }, { count: 2 }, { count: 4 }, { count: 8 }, { share: 0.5 }, { share: 0.25 }];
const jobBody = (name, i) => ({ kind: 'Job', metadata: { name }, spec: { resources: { cpu: '4', memory: '32Gi', gpu: SHAPES[i % SHAPES.length] } } });

/** CPU seconds used so far by the server, this generator and the scratch database's backends. */
async function cpuMeter(serverCpu, dbUrl) {
  const client = dbUrl && ['127.0.0.1', 'localhost'].includes(new URL(dbUrl).hostname) ? new pg.Client({ connectionString: dbUrl }) : undefined;
  await client?.connect();
  const ticks = 100; // USER_HZ
  const backends = async () => {
    if (!client) return undefined;
    const { rows } = await client.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
    const per = new Map();
    for (const { pid } of rows) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
      if (!stat) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      per.set(pid, (Number(f[11]) + Number(f[12])) / ticks);
    }
    return per;
  };
  return {
    async sample() {
      const s = await serverCpu();
      const g = process.cpuUsage();
      return { server: (s.user + s.system) / 1e6, generator: (g.user + g.system) / 1e6, db: await backends() };
    },
    close: async () => client?.end(),
  };
}

/** CPU ms per job between two samples; a backend that started meanwhile counts from zero. */
function cpuPerJob(a, b, jobs) {
  const ms = (x) => ((x * 1000) / jobs).toFixed(2);
  let db;
  if (a.db && b.db) {
    db = 0;
    for (const [pid, t] of b.db) db += t - (a.db.get(pid) ?? 0);
  }
  const server = b.server - a.server;
  const generator = b.generator - a.generator;
  return `server ${ms(server)} + generator ${ms(generator)}${db !== undefined ? ` + postgres ${ms(db)} = ${ms(server + generator + db)}` : ''}`;
}

async function phases(url, token, agent, o, cpu) {
  const submitted = new Map();
  const bound = new Map();
  let waiter;
  const stop = watchAllocations(url, token, (name) => {
    if (bound.has(name) || !submitted.has(name)) return;
    bound.set(name, performance.now());
    waiter?.();
  });
  await new Promise((r) => setTimeout(r, 300));
  const until = (names) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${names.filter((n) => bound.has(n)).length}/${names.length} placed`)), 120_000);
      waiter = () => {
        if (names.every((n) => bound.has(n))) {
          clearTimeout(t);
          resolve();
        }
      };
      waiter();
    });
  const result = (phase, names) => {
    const lat = names.map((n) => bound.get(n) - submitted.get(n));
    const first = Math.min(...names.map((n) => submitted.get(n)));
    const last = Math.max(...names.map((n) => bound.get(n)));
    return { phase, jobs: names.length, rate: (names.length / (last - first)) * 1000, p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat) };
  };
  const rows = [];
  try {
    // Warm-up: a few jobs so the first real measurement does not pay for JIT and caches.
    const warm = Array.from({ length: 50 }, (_, i) => `warm-${i}`);
    await Promise.all(warm.map((n, i) => (submitted.set(n, performance.now()), post(url, token, agent, `/api/v1/projects/${PROJECT}/jobs`, jobBody(n, i)))));
    await until(warm);

    const steady = Array.from({ length: o.latencyJobs }, (_, i) => `lat-${i}`);
    const t0 = performance.now();
    const sends = [];
    for (let i = 0; i < steady.length; i++) {
      const due = t0 + (i * 1000) / o.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      submitted.set(steady[i], performance.now());
      sends.push(post(url, token, agent, `/api/v1/projects/${PROJECT}/jobs`, jobBody(steady[i], i)));
    }
    await Promise.all(sends);
    await until(steady);
    rows.push(result(`latency (${o.rate}/s offered)`, steady));

    const burst = Array.from({ length: o.jobs }, (_, i) => `thr-${i}`);
    const cpuBefore = await cpu.sample();
    let next = 0;
    await Promise.all(
      Array.from({ length: o.C }, async () => {
        while (next < burst.length) {
          const i = next++;
          submitted.set(burst[i], performance.now());
          await post(url, token, agent, `/api/v1/projects/${PROJECT}/jobs`, jobBody(burst[i], i));
        }
      }),
    );
    await until(burst);
    const cpuAfter = await cpu.sample();
    rows.push(result(`throughput (${o.C} in flight)`, burst));
    console.error(`CPU per placed job in the throughput phase, ms: ${cpuPerJob(cpuBefore, cpuAfter, burst.length)}`);
  } finally {
    stop();
  }
  return rows;
}

// ---- server (child process) ----------------------------------------------------------------------
async function serve() {
  const cfg = JSON.parse(args.serve);
  const { openStore } = await import('../dist/store/index.js');
  const { startServer } = await import('../dist/api/server.js');
  const { ensureBootstrapAdmin } = await import('../dist/api/auth.js');
  const { startControlPlane } = await import('../dist/control/control-plane.js');
  const store = await openStore(cfg);
  const { token } = await ensureBootstrapAdmin(store);
  await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
  // The fleet: 5,000 simulated hosts in racks of 20 and sites of 1,000.
  const creates = [];
  for (let i = 0; i < cfg.nodes; i++) {
    creates.push(
      store.create({
        apiVersion: 'weft/v1',
        kind: 'Node',
        metadata: { name: `sim-${i}`, labels: { 'weft.dev/simulated': 'true' } },
        spec: {
          cpu: '224',
          memory: '2Ti',
          provider: 'sim',
          site: `site-${Math.floor(i / 1000)}`,
          rack: `rack-${Math.floor(i / 20)}`,
          nvlinkDomain: `nvl-${i}`,
          gpus: Array.from({ length: 8 }, (_, g) => ({ index: g, uuid: `GPU-${i}-${g}`, model: 'H100-80GB' })),
        },
      }),
    );
    if (creates.length === 500) await Promise.all(creates.splice(0));
  }
  await Promise.all(creates);
  const server = await startServer({ store, port: 0, host: '127.0.0.1', logger: false });
  // Where the scheduling loop's time goes: summed per phase over the cycles that placed something.
  const cycles = { count: 0, placed: 0, ms: 0, demand: 0, schedule: 0, commit: 0, preempt: 0 };
  const onCycle = (s) => {
    if (!s.placed || !s.phases) return;
    cycles.count++;
    cycles.placed += s.placed;
    cycles.ms += s.durationMs ?? 0;
    for (const k of ['demand', 'schedule', 'commit', 'preempt']) cycles[k] += s.phases[k];
  };
  const cp = startControlPlane({ store, policy: cfg.policy, onCycle, log: (m) => process.stderr.write(`${m}\n`) });
  await cp.leading;
  process.stdout.write(JSON.stringify({ url: server.url, token }) + '\n');
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    for (const line of d.split('\n')) if (line === 'cpu') process.stdout.write(JSON.stringify({ cpu: process.cpuUsage() }) + '\n');
  });
  process.stdin.on('end', async () => {
    process.stdout.write(JSON.stringify({ cycles }) + '\n');
    await cp.stop();
    await server.close();
    await store.close();
    process.exit(0);
  });
}

// Top-level dispatch comes last, after every declaration above is initialised.
if (args.serve) await serve();
else await main();
