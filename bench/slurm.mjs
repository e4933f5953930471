// Slurm benchmark: the same N one-GPU jobs that run `true`, on the same one-node test cluster
// with 8 GPUs (test/slurm/daemons.ts: real munged, slurmctld, slurmd, slurmrestd), submitted
// three ways in one run:
//   sbatch   straight to Slurm, one `sbatch` per job (as its users do);
//   weft→slurm  through Weft onto Slurm: Weft Jobs placed by Weft's scheduler on the Cluster's node,
//            each submitted by the Slurm provider through slurmrestd;
//   weft→agent  through Weft's own node agent on the same host (8 fake GPUs, a process per job).
// Reports jobs/s from the first submit to the last completion for each, and where the time goes.
// Needs root and Debian's Slurm packages (like the Slurm tests). Not part of `npm test`.
//
//   node bench/slurm.mjs [--jobs 300] [--poll 0.5] [--ways sbatch,weft-slurm,weft-agent]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? 'true' : (all[i + 1] ?? 'true')]] : acc), []));
const N = Number(args.jobs ?? 300);
const POLL = Number(args.poll ?? 0.5);
const WAYS = new Set(String(args.ways ?? 'sbatch,weft-slurm,weft-agent').split(','));
const P = 'bench';

/** The test helper that runs the Slurm daemons, transpiled (it and what it imports) into a scratch directory. */
async function loadDaemons() {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-slurm-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (const rel of ['test/slurm/daemons.ts', 'test/slurm/config.ts', 'test/slurm/mariadb.ts', 'test/slurm/processes.ts', 'src/control/testing/until.ts']) {
    const out = ts.transpileModule(readFileSync(join(ROOT, rel), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    mkdirSync(join(dir, dirname(rel)), { recursive: true });
    writeFileSync(join(dir, rel.replace(/\.ts$/, '.js')), out);
  }
  return { mod: await import(join(dir, 'test/slurm/daemons.js')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const { loadServerConfig } = await import(join(ROOT, 'dist/server/config.js'));
const { startWeftServer } = await import(join(ROOT, 'dist/server/start.js'));
const { WeftClient } = await import(join(ROOT, 'dist/client/index.js'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const s = (ms) => (ms / 1000).toFixed(1);

async function weftServer() {
  const config = loadServerConfig({ command: 'server', env: {}, flags: { port: '0', dataDir: 'memory://', logLevel: 'silent' } });
  const server = await startWeftServer(config);
  const client = new WeftClient({ server: server.url, token: server.bootstrapToken });
  await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
  return { server, client };
}

/** Submits N Weft Jobs (16 requests in flight) and waits until all have Succeeded; phase timings from their status. */
async function runWeft(client, label) {
  const t0 = performance.now();
  const wall0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < N) {
        const i = next++;
        await client.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: `j${i}`, project: P }, spec: { replicas: 1, backoffLimit: 0, command: ['true'], resources: { cpu: '1', memory: '100Mi', gpu: { count: 1 } } } });
      }
    }),
  );
  const submitted = performance.now() - t0;
  let done = 0;
  for (;;) {
    const jobs = (await client.list('Job', { project: P })).items;
    const failed = jobs.filter((j) => j.status?.phase === 'Failed');
    if (failed.length > 0) throw new Error(`${label}: ${failed.length} jobs failed, e.g. ${JSON.stringify(failed[0].status)}`);
    done = jobs.filter((j) => j.status?.phase === 'Succeeded').length;
    if (done === N) break;
    await sleep(200);
  }
  const elapsed = performance.now() - t0;
  // Where the time went, per job, from the allocations' own timestamps.
  const allocs = (await client.list('Allocation', { project: P })).items;
  const created = (a) => Date.parse(a.metadata.creationTimestamp);
  const bound = allocs.map((a) => created(a) - wall0);
  const startLag = allocs.map((a) => Date.parse(a.status.startedAt ?? a.status.finishedAt) - created(a));
  const run = allocs.map((a) => Date.parse(a.status.finishedAt) - Date.parse(a.status.startedAt ?? a.status.finishedAt));
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Weft places a job only on a GPU its ledger has free: how long after a job ended the next
  // one was placed (the last end before each placement, for the placements after the first 8).
  const ends = allocs.map((a) => Date.parse(a.status.finishedAt)).sort((x, y) => x - y);
  const refill = allocs.map(created).sort((x, y) => x - y).slice(8).map((c) => c - Math.max(...ends.filter((e) => e <= c), -Infinity)).filter(Number.isFinite);
  return { label, elapsed, submitted, notes: `submit ${s(submitted)} s; last placed at ${s(Math.max(...bound))} s; median ended→next placed ${s(med(refill))} s, placed→started ${s(med(startLag))} s, started→ended ${s(med(run))} s` };
}

/** 1. sbatch, straight to Slurm, one process per job. */
async function sbatchWay(slurm) {
  // A busy slurmctld may time out a submission (MessageTimeout): submitted again, as a user's
  // script would, and counted.
  const t0 = performance.now();
  let retries = 0;
  for (let i = 0; i < N; i++) {
    for (let attempt = 0; ; attempt++) {
      const r = slurm.run('/usr/bin/sbatch', ['--parsable', '-n', '1', '--mem=100', '--gres=gpu:h100:1', '-o', '/dev/null', '--wrap', 'true'], 'slurm');
      if (r.status === 0) break;
      if (attempt === 5) throw new Error(`sbatch (job ${i + 1} of ${N}): ${r.stderr}\n${readFileSync(join(slurm.logDir, 'slurmctld.log'), 'utf8').split('\n').slice(-30).join('\n')}`);
      retries++;
    }
  }
  const submitted = performance.now() - t0;
  while (slurm.run('/usr/bin/squeue', ['-h', '-o', '%i']).stdout.trim() !== '') await sleep(200);
  return { label: 'sbatch', elapsed: performance.now() - t0, notes: `submit ${s(submitted)} s (one sbatch process per job; ${retries} submissions timed out and were sent again)` };
}

/** 2. Weft onto Slurm: Weft's scheduler places, the Slurm provider submits through slurmrestd. */
async function weftSlurmWay(mod, slurm) {
  const a = await weftServer();
  try {
    await a.client.create(mod.clusterManifest('bench', slurm, { pollSeconds: POLL }));
    for (;;) {
      const n = await a.client.get('Node', `bench-${slurm.node}`).catch(() => undefined);
      if (n?.status?.state === 'Ready') break;
      await sleep(100);
    }
    return await runWeft(a.client, 'weft→slurm');
  } finally {
    await a.server.stop();
  }
}

/** 3. Weft's own agent on this host (8 fake GPUs, a process per job). */
async function agentWay() {
  const b = await weftServer();
  const stateDir = mkdtempSync(join(tmpdir(), 'weft-bench-agent-'));
  const join_ = (await b.client.tokens.create({ join: true })).token;
  const agent = spawn(process.execPath, [join(ROOT, 'bin/weft.js'), 'agent', '--server', b.server.url, '--name', 'bench-agent', '--state-dir', stateDir, '--fake-gpus', '8xH100-80GB', '--token', join_], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise((ok) => agent.stdout.on('data', (d) => String(d).includes('Weft agent running') && ok()));
    return await runWeft(b.client, 'weft→agent');
  } finally {
    agent.kill('SIGTERM');
    await b.server.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main() {
  const { mod, cleanup } = await loadDaemons();
  const absent = mod.slurmAbsent();
  if (absent) throw new Error(absent);
  console.log(`Slurm benchmark: ${N} one-GPU \`true\` jobs, one node with 8 GPUs (16 CPUs), Slurm with Debian's defaults; Weft looks at slurmrestd every ${POLL} s; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
  const results = [];
  try {
    const slurm = await mod.startSlurm();
    try {
      if (WAYS.has('sbatch')) results.push(await sbatchWay(slurm));
      if (WAYS.has('weft-slurm')) results.push(await weftSlurmWay(mod, slurm));
    } finally {
      await slurm.stop();
    }
    if (WAYS.has('weft-agent')) results.push(await agentWay());
  } finally {
    cleanup();
  }

  const base = results.find((r) => r.label === 'sbatch')?.elapsed;
  console.log('| way | jobs | first submit → last completion s | jobs/s | vs sbatch | where the time goes |\n|---|---:|---:|---:|---:|---|');
  for (const r of results) console.log(`| ${r.label} | ${N} | ${s(r.elapsed)} | ${(N / (r.elapsed / 1000)).toFixed(2)} | ${base ? `${(base / r.elapsed).toFixed(2)}×` : '—'} | ${r.notes} |`);
  console.log(`\nload average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
