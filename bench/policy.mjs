// Policy benchmark: API create throughput with 0, 10 and 100 admission policies matching the
// created Jobs (every validation evaluated, all passing), in one run against one real `weft` API
// server (a child process, so server and load generator each get a core) on PGlite on disk, and on
// PostgreSQL when WEFT_BENCH_DATABASE_URL or WEFT_TEST_DATABASE_URL is set. All 100 policies stay
// installed; each one selects projects by label, so a project labelled policies=p0, p10 or p100 is
// matched by 0, 10 or 100 of them. The counts take turns in short slices, in rotating order, so a
// machine whose load changes during the run weighs on each count alike. Then the evaluation alone,
// in process, in CPU time. Run with `npm run bench:policy`.
//
//   node bench/policy.mjs [--jobs 1500] [--slices 10] [--concurrency 32] [--warmup 500] [--counts 0,10,100]
//                         [--engines pglite,postgres] [--seconds 60]
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { load, requester, startApiServer } from './api-server.mjs';
import { pct, scratchEngine } from './scratch.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);

/**
 * Policy i: one validation of the kinds a platform team writes (a required label, a bound on the
 * request, a comprehension over a list), each policy its own expression so nothing is shared.
 */
const EXPRESSIONS = [
  (i) => `has(object.metadata.labels) && "app" in object.metadata.labels && object.metadata.labels["app"] != "forbidden-${i}"`,
  (i) => `object.spec.replicas <= ${100 + i} && request.gpus <= ${1000 + i}.0`,
  (i) => `object.spec.resources.gpu.models.all(m, m != "forbidden-${i}")`,
];
const COUNTS = (args.counts ?? '0,10,100').split(',').map(Number);
/** The first 10 policies match projects labelled p10 or p100, the other 90 only p100. */
const policy = (i) => ({
  apiVersion: 'weft/v1',
  kind: 'Policy',
  metadata: { name: `bench-${String(i).padStart(3, '0')}` },
  spec: {
    match: { kinds: ['Job'], projectSelector: i < 10 ? 'policies in (p10,p100)' : 'policies=p100' },
    validations: [{ expression: EXPRESSIONS[i % EXPRESSIONS.length](i), message: `rule ${i}` }],
  },
});

const jobBody = (project, i) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name: `job-${String(i).padStart(6, '0')}`, project, labels: { app: `a${i % 7}`, tier: i % 2 ? 'gpu' : 'cpu' } },
  spec: { replicas: 1 + (i % 4), resources: { cpu: '16', memory: '128Gi', gpu: { count: 8, models: ['H100-80GB'] } }, image: 'nvcr.io/nvidia/pytorch:24.05-py3' },
});

async function main() {
  const N = Number(args.jobs ?? 1500);
  const SLICES = Number(args.slices ?? 10);
  const C = Number(args.concurrency ?? 32);
  const WARMUP = Number(args.warmup ?? 500);
  const SECONDS = Number(args.seconds ?? 60);
  const pgUrl = process.env.WEFT_BENCH_DATABASE_URL ?? process.env.WEFT_TEST_DATABASE_URL;
  const engines = (args.engines ?? `pglite${pgUrl ? ',postgres' : ''}`).split(',');
  const load1 = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`Policy benchmark: ${N} Job creates per count in ${SLICES} slices, concurrency ${C}, ${cpus().length} CPUs, Node ${process.version}; load average at start ${load1()}\n`);
  for (const engine of engines) {
    const results = await runEngine(engine, { N, SLICES, C, WARMUP, SECONDS, pgUrl });
    const base = results.get(COUNTS[0]).opsPerSec;
    console.log(`### ${engine}\n\n| matching policies | creates | creates/s | p50 ms | p99 ms | throughput vs ${COUNTS[0]} |\n|---:|---:|---:|---:|---:|---:|`);
    for (const k of COUNTS) {
      const r = results.get(k);
      console.log(`| ${k} | ${r.count} | ${r.opsPerSec} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${((r.opsPerSec / base) * 100).toFixed(0)}% |`);
    }
    console.log('');
  }
  console.log(`### evaluation alone (in process, CPU time)\n\n| matching policies | CPU µs per create | wall µs per create |\n|---:|---:|---:|`);
  for (const k of COUNTS.filter((x) => x > 0)) {
    const r = await evaluationCost(k);
    console.log(`| ${k} | ${r.cpu.toFixed(1)} | ${r.wall.toFixed(1)} |`);
  }
  console.log(`\nload average at end ${load1()}`);
}

async function runEngine(engine, o) {
  const { config, cleanup } = await scratchEngine(engine, o.pgUrl, 'policy');
  const server = await startApiServer(config, (process.env.WEFT_BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean));
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.C });
  const request = requester(server.url, server.token, agent);
  const project = (name, label) => request('POST', '/api/v1/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name, labels: { policies: label } }, spec: {} });
  try {
    for (let i = 0; i < 100; i++) await request('POST', '/api/v1/policies', policy(i));
    // Warm up (JIT, the engine's caches) before anything is measured.
    await project('warm-up', 'p100');
    await load('warm-up', o.WARMUP, o.C, o.SECONDS, (i) => request('POST', '/api/v1/projects/warm-up/jobs', jobBody('warm-up', i)));
    for (const k of COUNTS) await project(`p${k}`, `p${k}`);
    const per = Math.ceil(o.N / o.SLICES);
    const samples = new Map(COUNTS.map((k) => [k, { lat: [], secs: 0, next: 0 }]));
    for (let s = 0; s < o.SLICES; s++) {
      const order = COUNTS.map((_, i) => COUNTS[(i + s) % COUNTS.length]);
      for (const k of order) {
        const acc = samples.get(k);
        const first = acc.next;
        const r = await load(`${k}`, per, o.C, o.SECONDS, (i) => request('POST', `/api/v1/projects/p${k}/jobs`, jobBody(`p${k}`, first + i)));
        acc.lat.push(...r.latencies);
        acc.secs += r.seconds;
        acc.next += r.count;
      }
    }
    return new Map(
      COUNTS.map((k) => {
        const a = samples.get(k);
        return [k, { count: a.lat.length, opsPerSec: Math.round(a.lat.length / a.secs), p50: pct(a.lat, 50), p99: pct(a.lat, 99) }];
      }),
    );
  } finally {
    agent.destroy();
    await server.stop();
    await cleanup();
  }
}

/**
 * What evaluating k policies costs one create, without HTTP or the database: the compiled
 * policies over the benchmark's Job, as admission runs them. CPU time (process.cpuUsage) rather
 * than wall time, so a loaded machine disturbs it less.
 */
async function evaluationCost(k) {
  const { compilePolicy } = await import('../dist/control/policy/compile.js');
  const { Bindings, mutate, selects, validate } = await import('../dist/control/policy/evaluate.js');
  const policies = Array.from({ length: k }, (_, i) => compilePolicy('Policy', policy(i).metadata.name, undefined, policy(i).spec));
  const user = { name: 'admin', kind: 'user', projectRole: 'admin', roles: [], labels: {}, gpus: 0 };
  const job = { ...jobBody('p', 1), spec: { ...jobBody('p', 1).spec, gang: { minAvailable: 2 }, isolation: 'dedicated' } };
  const once = () => {
    const req = { operation: 'CREATE', kind: 'Job', name: 'j', project: 'p', object: job, oldObject: null, projectObject: { metadata: { name: 'p', labels: { policies: 'p100' } }, spec: {} }, gpus: 16, dataClass: '' };
    const chosen = policies.filter((p) => selects(p, req));
    const b = new Bindings(req, () => user);
    mutate(chosen, req, b);
    b.invalidate();
    const d = validate(chosen, req, b);
    if (d.matched.length !== k || d.violations.length > 0) throw new Error(`expected ${k} policies to match and pass`);
  };
  for (let i = 0; i < 2000; i++) once();
  const N = 10_000;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) once();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / N, wall: ((performance.now() - t0) * 1000) / N };
}

await main();

