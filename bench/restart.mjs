// Restart time: a scratch `weft up` (the built CLI, embedded database in a temporary directory)
// is filled through the API with nodes (provider `agent`, so nothing heartbeats them) and
// one-replica Jobs in 5 projects, left to settle, stopped with SIGINT and started again on the
// same data directory. We time, from the second spawn, how long until /readyz answers 200 and
// until the API answers a list of jobs, and print the data directory's size before and after.
// Needs `npm run build`. Not part of `npm test`.
//
//   node bench/restart.mjs [--nodes 1000] [--workloads 5000] [--run-for 150] [--timeout 900]
//   node bench/restart.mjs --keep DIR …                    (fill into DIR and keep it)
//   node bench/restart.mjs --data-dir DIR --token weft_…   (only restart an already filled directory)
//   … --bin PATH/bin/weft.js                             (restart with another build's CLI)
//   … --fill-bin PATH/bin/weft.js                        (fill with another build's CLI)
//   … --cpu-prof DIR                                      (profile the restarted server into DIR)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillFleet } from './fleet-fill.mjs';
import { BIN, bootstrapToken, du, freePort, mib, readyTimes, settle, sleep, spawnWeft, stopProcess } from './server-process.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const NODES = Number(args.nodes ?? 1000);
const WORKLOADS = Number(args.workloads ?? 5000);
const TIMEOUT_MS = Number(args.timeout ?? 900) * 1000;
// How long the first server keeps running after the fill: long enough for the silent agent nodes
// to go NotReady (40 s) and Lost (60 s more), so the store holds what a real restart finds.
const RUN_FOR_MS = Number(args['run-for'] ?? 150) * 1000;
// Another build's CLI for the restart only (to compare before/after on the same data directory).
const RESTART_BIN = args.bin ?? BIN;

async function main() {
  const given = args['data-dir'] ?? args.keep;
  const scratch = given ? undefined : mkdtempSync(join(tmpdir(), 'weft-bench-restart-'));
  const dataDir = given ?? join(scratch, 'data');
  const cwd = scratch ?? mkdtempSync(join(tmpdir(), 'weft-bench-restart-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  console.log(`Restart benchmark: ${cpus().length} CPUs, Node ${process.version}`);
  try {
    let token = args.token;
    if (!token) {
      const first = up(cwd, dataDir, port, undefined, args['fill-bin'] ?? BIN);
      try {
        token = await bootstrapToken(first);
        await ready(url, token, TIMEOUT_MS);
        console.log(`filling ${NODES} nodes, ${WORKLOADS} jobs…`);
        const t0 = performance.now();
        await fillFleet(url, token, { nodes: NODES, workloads: WORKLOADS, log: console.log });
        console.log(`created in ${((performance.now() - t0) / 1000).toFixed(1)} s; waiting for the scheduler to settle…`);
        await settle(url, token);
        const left = RUN_FOR_MS - (performance.now() - t0);
        if (left > 0) await sleep(left);
        console.log(`stopping after ${((performance.now() - t0) / 1000).toFixed(1)} s (admin token ${token})`);
      } finally {
        await stop(first);
      }
    }
    console.log(`data directory before restart: ${mib(du(dataDir))} MiB`);
    const t0 = performance.now();
    const second = up(cwd, dataDir, port, args['cpu-prof'], RESTART_BIN);
    try {
      const t = await ready(url, token, TIMEOUT_MS, t0);
      console.log(`restart: /readyz 200 after ${(t.readyz / 1000).toFixed(2)} s; first list of jobs after ${(t.list / 1000).toFixed(2)} s (listening after ${(t.listening / 1000).toFixed(2)} s)`);
    } finally {
      await stop(second);
    }
    console.log(`data directory after restart: ${mib(du(dataDir))} MiB`);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    else rmSync(cwd, { recursive: true, force: true });
  }
}

function up(cwd, dataDir, port, profile, bin = BIN) {
  const nodeFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  return spawnWeft(cwd, 'up', port, ['--data-dir', dataDir], { bin, nodeFlags });
}

const stop = (child) => stopProcess(child, 'SIGINT');
const ready = (url, token, timeoutMs, t0) => readyTimes(url, token, timeoutMs, t0, '/api/v1/projects/alpha/jobs?limit=50');

await main();
