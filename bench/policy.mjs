// Policy benchmark: API create throughput with 0, 10 and 100 admission policies that all match the
// created Jobs (every validation evaluated, all passing), in one run against one real `weft` API
// server (a child process, so server and load generator each get a core) on PGlite on disk, and on
// PostgreSQL when WEFT_BENCH_DATABASE_URL or WEFT_TEST_DATABASE_URL is set. Each round measures
// every policy count in a fresh project; the second round runs them in the opposite order, so the
// store growing under the run weighs on each count alike. Run with `npm run bench:policy`.
//
//   node bench/policy.mjs [--jobs 2000] [--concurrency 32] [--rounds 2] [--warmup 500] [--counts 0,10,100]
//                         [--engines pglite,postgres] [--seconds 60]
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { load, requester, startApiServer } from './api-server.mjs';
import { scratchEngine } from './scratch.mjs';

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
const policy = (i) => ({
  apiVersion: 'weft/v1',
  kind: 'Policy',
  metadata: { name: `bench-${String(i).padStart(3, '0')}` },
  spec: { match: { kinds: ['Job'] }, validations: [{ expression: EXPRESSIONS[i % EXPRESSIONS.length](i), message: `rule ${i}` }] },
});

const jobBody = (project, i) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name: `job-${String(i).padStart(6, '0')}`, project, labels: { app: `a${i % 7}`, tier: i % 2 ? 'gpu' : 'cpu' } },
  spec: { replicas: 1 + (i % 4), resources: { cpu: '16', memory: '128Gi', gpu: { count: 8, models: ['H100-80GB'] } }, image: 'nvcr.io/nvidia/pytorch:24.05-py3' },
});

async function main() {
  const N = Number(args.jobs ?? 2000);
  const C = Number(args.concurrency ?? 32);
  const ROUNDS = Number(args.rounds ?? 2);
  const WARMUP = Number(args.warmup ?? 500);
  const SECONDS = Number(args.seconds ?? 60);
  const counts = (args.counts ?? '0,10,100').split(',').map(Number);
  const pgUrl = process.env.WEFT_BENCH_DATABASE_URL ?? process.env.WEFT_TEST_DATABASE_URL;
  const engines = (args.engines ?? `pglite${pgUrl ? ',postgres' : ''}`).split(',');
  const load1 = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`Policy benchmark: ${N} Job creates per count, concurrency ${C}, ${ROUNDS} rounds, ${cpus().length} CPUs, Node ${process.version}; load average at start ${load1()}\n`);
  for (const engine of engines) {
    const results = await runEngine(engine, { N, C, ROUNDS, WARMUP, SECONDS, counts, pgUrl });
    const base = median(results.get(counts[0]).map((r) => r.opsPerSec));
    console.log(`### ${engine}\n\n| policies | creates/s (median of rounds) | each round | p50 ms | p99 ms | throughput vs ${counts[0]} |\n|---:|---:|---|---:|---:|---:|`);
    for (const k of counts) {
      const rs = results.get(k);
      const ops = median(rs.map((r) => r.opsPerSec));
      console.log(`| ${k} | ${ops} | ${rs.map((r) => r.opsPerSec).join(', ')} | ${median(rs.map((r) => r.p50)).toFixed(1)} | ${median(rs.map((r) => r.p99)).toFixed(1)} | ${((ops / base) * 100).toFixed(0)}% |`);
    }
    console.log('');
  }
  console.log(`load average at end ${load1()}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function runEngine(engine, o) {
  const { config, cleanup } = await scratchEngine(engine, o.pgUrl, 'policy');
  const server = await startApiServer(config);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.C });
  const request = requester(server.url, server.token, agent);
  try {
    // Warm up (JIT, the engine's caches) before anything is measured.
    await request('POST', '/api/v1/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'warm-up' }, spec: {} });
    await load('warm-up', o.WARMUP, o.C, o.SECONDS, (i) => request('POST', '/api/v1/projects/warm-up/jobs', jobBody('warm-up', i)));
    const results = new Map(o.counts.map((k) => [k, []]));
    let installed = 0;
    for (let round = 0; round < o.ROUNDS; round++) {
      const order = round % 2 === 0 ? o.counts : [...o.counts].reverse();
      for (const k of order) {
        for (; installed < k; installed++) await request('POST', '/api/v1/policies', policy(installed));
        for (; installed > k; installed--) await request('DELETE', `/api/v1/policies/${policy(installed - 1).metadata.name}`);
        const project = `r${round}-p${k}`;
        await request('POST', '/api/v1/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: project }, spec: {} });
        results.get(k).push(await load(`${k} policies`, o.N, o.C, o.SECONDS, (i) => request('POST', `/api/v1/projects/${project}/jobs`, jobBody(project, i))));
      }
    }
    return results;
  } finally {
    agent.destroy();
    await server.stop();
    await cleanup();
  }
}

await main();
