// Virtual machines end to end: a real `weft up` and one real `weft agent` on this host, QEMU
// with the accelerator the agent's probe chose (printed: KVM, or TCG when KVM does not work
// here), and the test guest built from Debian packages (src/agent/drivers/vm/test-guest.ts)
// served as an Image over loopback HTTP. Needs `npm run build` and the packages .ci/run
// installs. Not part of `npm test`.
//
//   node bench/vms.mjs [--runs 5] [--burst 10]
//
// 1. apply → first serial line, and apply → cloud-init's marker: a VirtualMachine is created
//    through the API and the agent's serial log of its replica is watched (every 10 ms) for its
//    first byte and for "Cloud-init finished"; each run is then deleted and waits until its
//    QEMU is gone. The first run also downloads the image into the node's cache (reported
//    apart); the median is over the cached runs.
// 2. VMs per minute on one node: --burst VMs are applied at once, each a user-data script that
//    prints a line and powers off (runStrategy RerunOnFailure: it then stays Stopped); the rate is
//    VMs that ran to their power-off per minute, from the first apply to the last power-off.
//    The node has as many vCPUs as host cores, so that many boot at a time.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeftClient } from '../dist/client/index.js';
import { buildTestGuest, serveImages, testGuestMissing } from '../dist/agent/drivers/vm/test-guest.js';
import { spawn } from 'node:child_process';
import { BIN, bootstrapToken, freePort, sleep, spawnWeft, stopProcess } from './server-process.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const RUNS = Number(args.runs ?? 5);
const BURST = Number(args.burst ?? 10);
const P = 'bench';
const MARKER = 'Cloud-init finished';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function until(what, probe, ms = 300_000, every = 10) {
  const end = performance.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

/** The serial log (stdout) of the replica of VM `name`, read straight from the agent's state directory. */
function serialOf(stateDir, uid) {
  const f = join(stateDir, 'replicas', uid, 'qemu', 'stdout.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

async function main() {
  const why = testGuestMissing();
  if (why) throw new Error(why);
  const guest = buildTestGuest();
  const images = await serveImages({ 'guest.raw': guest.disk });
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-vms-'));
  const port = await freePort();
  const up = spawnWeft(dir, 'up', port, ['--data-dir', join(dir, '.weft')], { quiet: true });
  let agent;
  try {
    const token = await bootstrapToken(up);
    const url = `http://127.0.0.1:${port}`;
    await until('the server', () => fetch(`${url}/readyz`).then((r) => r.ok).catch(() => false), 120_000, 100);
    const client = new WeftClient({ server: url, token });
    const stateDir = join(dir, 'agent');
    agent = spawn(process.execPath, [BIN, 'agent', '--server', url, '--token', token, '--name', 'vmhost', '--state-dir', stateDir, '--heartbeat-interval', '1s'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, WEFT_CONFIG: join(dir, 'config.yaml') } });
    const node = await until('the node with its vm driver', async () => {
      const n = await client.get('Node', 'vmhost').catch(() => undefined);
      return n?.status?.drivers?.vm ? n : undefined;
    }, 120_000, 200);
    const cap = node.status.drivers.vm;
    console.log(`VM benchmark: ${cpus().length} CPUs, Node ${process.version}, QEMU ${cap.version}, accelerator ${cap.accelerator.toUpperCase()}${cap.notes ? ` (${cap.notes.join('; ')})` : ''}`);
    console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; guest kernel ${guest.kernel}, disk ${(guest.sizeBytes / 2 ** 20).toFixed(0)} MiB raw`);
    await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await client.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'guest', project: P }, spec: { source: { url: images.url('guest.raw') }, checksum: guest.checksum, format: 'raw' } });

    const vm = (name, extra = {}) => ({ apiVersion: 'weft/v1', kind: 'VirtualMachine', metadata: { name, project: P }, spec: { resources: { cpu: '1', memory: '256Mi' }, rootDisk: { image: 'guest' }, terminationGracePeriodSeconds: 5, ...extra } });
    const uidOf = async (name) => (await client.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items[0]?.metadata.uid;
    const gone = async (name) => until(`${name} deleted`, async () => (await client.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items.length === 0 || undefined, 120_000, 100);

    // 1. apply → first serial line → marker.
    const firstLine = [];
    const marker = [];
    for (let i = 0; i <= RUNS; i++) {
      const name = `boot-${i}`;
      const t0 = performance.now();
      await client.create(vm(name, { cloudInit: { userData: '#cloud-config\n' } }));
      const uid = await until('its allocation', () => uidOf(name), 120_000, 10);
      const tFirst = await until('the first serial line', () => (serialOf(stateDir, uid).includes('\n') ? performance.now() : undefined));
      const tMarker = await until('the marker', () => (serialOf(stateDir, uid).includes(MARKER) ? performance.now() : undefined));
      const row = `  run ${i}${i === 0 ? ' (image downloaded into the node cache)' : ''}: first serial line ${s(tFirst - t0)}, cloud-init marker ${s(tMarker - t0)}`;
      console.log(row);
      if (i > 0) {
        firstLine.push(tFirst - t0);
        marker.push(tMarker - t0);
      }
      await client.delete('VirtualMachine', name, { project: P });
      await gone(name);
    }
    console.log(`apply → first serial line: median ${s(median(firstLine))} (min ${s(Math.min(...firstLine))}, max ${s(Math.max(...firstLine))}) over ${RUNS} cached runs`);
    console.log(`apply → cloud-init marker: median ${s(median(marker))} (min ${s(Math.min(...marker))}, max ${s(Math.max(...marker))})`);

    // 2. VMs per minute on one node.
    const t0 = performance.now();
    const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    await Promise.all(names.map((n) => client.create(vm(n, { runStrategy: 'RerunOnFailure', cloudInit: { userData: '#!/bin/sh\necho booted\n' } }))));
    await until('every burst VM powered off', async () => {
      const items = (await client.list('VirtualMachine', { project: P })).items.filter((o) => o.metadata.name.startsWith('burst-'));
      return items.length === BURST && items.every((o) => o.status?.phase === 'Stopped') ? true : undefined;
    }, 30 * 60_000, 250);
    const took = performance.now() - t0;
    console.log(`${BURST} VMs applied at once, each booted, ran its script and powered off in ${s(took)}: ${((BURST * 60_000) / took).toFixed(1)} VMs per minute on one node (${cpus().length} cores)`);
    console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    if (agent) await stopProcess(agent, 'SIGKILL');
    // What the killed agent's replicas left running.
    for (const uid of existsSync(join(dir, 'agent', 'replicas')) ? readdirSync(join(dir, 'agent', 'replicas')) : []) {
      try {
        const sup = JSON.parse(readFileSync(join(dir, 'agent', 'replicas', uid, 'qemu', 'supervisor.json'), 'utf8'));
        for (const pid of [-sup.childPid, sup.pid]) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      } catch { /* never started */ }
    }
    await stopProcess(up);
    await images.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
