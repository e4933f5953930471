// Container replicas against process replicas, with the real drivers over a scratch state
// directory (no server: the agent's part of "Allocation → running"). Needs `npm run build`,
// Podman, busybox-static, and for the registry case docker-registry, htpasswd and openssl
// (as .ci/run installs them). Not part of `npm test`.
//
//   node bench/containers.mjs [--runs 10] [--big-mb 100]
//
// 1. cached image: start() → the driver reports running (create + start of the container);
// 2. a --big-mb image from a registry on loopback (basic auth over TLS), removed from the node
//    before each run: start() → running, the pull included;
// 3. the same short command (`true`) as a process and as a container: start() → exited.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDir } from '../dist/agent/state.js';
import { ContainerDriver } from '../dist/agent/drivers/container/container-driver.js';
import { ProcessDriver, SUPERVISOR_SCRIPT } from '../dist/agent/drivers/process/process-driver.js';
import { buildTestImage, podmanMissing, pushImage, registryMissing, startTestPodman, startTestRegistry, TEST_IMAGE } from '../dist/agent/drivers/container/test-podman.js';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const RUNS = Number(args.runs ?? 10);
const BIG_MB = Number(args['big-mb'] ?? 100);
const BIG_IMAGE = `localhost/weft-bench/big:${BIG_MB}mb`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;
let seq = 0;

async function until(driver, uid, want) {
  for (;;) {
    const st = await driver.inspect(uid);
    if (st.state === want) return st;
    if (st.state === 'exited' && want !== 'exited') throw new Error(`${uid} ended: ${JSON.stringify(st.exit)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** ms from start() until the replica is `want`, for one launch. */
async function timeOne(state, driver, launch, want) {
  const uid = `bench-${process.pid}-${++seq}`;
  state.claim({ uid, project: 'b', allocation: uid, workload: { kind: 'Job', name: 'b', uid: 'b' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() });
  const t0 = performance.now();
  await driver.start({ uid, env: {}, devices: [], limits: { cpuMilli: 0, memoryBytes: 0 }, maxLogBytes: 1 << 20, ...launch });
  await until(driver, uid, want);
  const ms = performance.now() - t0;
  await driver.kill(uid);
  await until(driver, uid, 'exited');
  await driver.remove(uid);
  return ms;
}

async function main() {
  const why = podmanMissing();
  if (why) throw new Error(why);
  console.log(`Container benchmark: ${cpus().length} CPUs, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${RUNS} runs each (medians)`);
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-containers-'));
  const state = new StateDir(dir);
  const podman = await startTestPodman();
  let registry;
  try {
    await buildTestImage(podman.docker);
    const ctr = new ContainerDriver(state, { owner: `bench-${process.pid}`, stateDir: dir, socket: podman.socket, pull: { attempts: 1, backoffMs: 0 } });
    const proc = new ProcessDriver(state, undefined, SUPERVISOR_SCRIPT);
    const rows = [];

    const cached = [];
    for (let i = 0; i < RUNS; i++) cached.push(await timeOne(state, ctr, { image: TEST_IMAGE, command: ['sleep', '30'] }, 'running'));
    rows.push(['cached image: start → running', median(cached)]);

    const noRegistry = registryMissing();
    if (noRegistry) console.log(`skipping the registry case: ${noRegistry}`);
    else {
      registry = await startTestRegistry();
      await buildTestImage(podman.docker, BIG_IMAGE, BIG_MB << 20);
      const ref = await pushImage(podman.docker, BIG_IMAGE, registry, `weft/big:${BIG_MB}mb`);
      // Nothing of the big layer may stay on the node, or a "pull" only reads the manifest.
      await podman.docker.getImage(BIG_IMAGE).remove();
      const auth = [{ serveraddress: registry.address, username: registry.username, password: registry.password }];
      const pulled = [];
      for (let i = 0; i < Math.min(RUNS, 5); i++) {
        await podman.docker.getImage(ref).remove().catch(() => undefined);
        pulled.push(await timeOne(state, ctr, { image: ref, command: ['sleep', '30'], container: { registryAuth: auth } }, 'running'));
      }
      await podman.docker.getImage(ref).remove().catch(() => undefined);
      rows.push([`${BIG_MB} MB image from the local registry: start → running (pull included; ${pulled.length} runs)`, median(pulled)]);
    }

    const asProcess = [];
    const asContainer = [];
    for (let i = 0; i < RUNS; i++) {
      asProcess.push(await timeOne(state, proc, { command: ['/bin/true'] }, 'exited'));
      asContainer.push(await timeOne(state, ctr, { image: TEST_IMAGE, command: ['true'] }, 'exited'));
    }
    rows.push(['`true` as a process: start → exited', median(asProcess)]);
    rows.push(['`true` as a container: start → exited', median(asContainer)]);

    console.log('\n| case | median |\n|---|---:|');
    for (const [what, ms] of rows) console.log(`| ${what} | ${fmt(ms)} |`);
    console.log(`\ncontainer / process for the same short command: ${(median(asContainer) / median(asProcess)).toFixed(1)}×`);
  } finally {
    await registry?.close();
    await podman.docker.getImage(BIG_IMAGE).remove().catch(() => undefined);
    await podman.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
