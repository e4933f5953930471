// Virtual machines end to end on loopback: a real `weft up`, a real `weft agent`, QEMU (KVM
// where it works, else TCG) booting the test guest built here from Debian packages, registered
// with `weft image upload` (the agent fetches it from the server with its node credential). The VM boots and its serial log shows cloud-init's marker; the agent is
// killed with SIGKILL and the new one re-adopts the running VM; `weft stop vm` (Halted) presses
// the ACPI power button and the guest powers off within the grace; `weft start vm` boots it again. Skipped, naming the
// Debian packages to install, only where QEMU or the guest's packages are missing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { readLogs } from '../../src/client/logs.js';
import { openSocket, vmConsolePath } from '../../src/client/socket.js';
import { qmp } from '../../src/agent/drivers/vm/qmp.js';
import { buildTestGuest, testGuestMissing } from '../../src/agent/drivers/vm/test-guest.js';
import { assertBuilt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { allocationsOf, joinToken, killHard, startAgent, stopRig, until, type AgentProc } from './helpers.js';

const PROJECT = 'vms';
const MARKER = /Cloud-init finished: instance \S+ up/;
const missing = testGuestMissing();
/** A TCG boot takes seconds on an idle machine; allow for a loaded one. */
const BOOT_MS = 120_000;

describe.skipIf(missing !== undefined)(`virtual machines through weft up and weft agent${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  let agent: AgentProc;
  let token: string;

  const vm = () => admin.get('VirtualMachine', 'box', { project: PROJECT });
  const running = (what: string) => until(what, async () => ((await vm()).status?.phase === 'Running' ? vm() : undefined), BOOT_MS, 500);
  const serialLog = async (attempt?: number) => readLogs(admin, { kind: 'VirtualMachine', project: PROJECT, name: 'box', ...(attempt !== undefined ? { attempt } : {}) });
  const qemuPid = (stateDir: string, uid: string): number => (JSON.parse(readFileSync(join(stateDir, 'replicas', uid, 'qemu', 'supervisor.json'), 'utf8')) as { childPid: number }).childPid;

  beforeAll(async () => {
    assertBuilt();
    const guest = buildTestGuest();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--node-not-ready-after', '5s', '--node-lost-after', '60s']);
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
    const upload = await box.weft(['image', 'upload', 'guest', '--file', guest.disk, '-p', PROJECT, '--sha256', guest.checksum.slice('sha256:'.length)]);
    expect(upload.stdout).toContain(`image/guest uploaded to project ${PROJECT}: raw`);
    token = await joinToken(box);
    agent = await startAgent(box, up.url, 'vmhost', token);
  }, 120_000);

  afterAll(async () => {
    await stopRig({ agent, up, box });
  }, 30_000);

  it('reports the accelerator on the Node, and why when it is not KVM', async () => {
    const node = await until('the vm driver on the Node', async () => {
      const n = await admin.get('Node', 'vmhost');
      return (n.status?.drivers as Record<string, unknown> | undefined)?.vm ? n : undefined;
    }, 20_000);
    const cap = (node.status!.drivers as Record<string, { available: boolean; accelerator?: string; notes?: string[]; version?: string }>).vm!;
    expect(cap).toMatchObject({ available: true, version: expect.stringMatching(/^\d+\.\d+/) });
    if (cap.accelerator === 'tcg') expect(cap.notes?.join(' ')).toMatch(/using TCG/);
    else expect(cap.accelerator).toBe('kvm');
  });

  it('boots from the Image, shows the cloud-init marker on the serial log, and survives an agent killed with SIGKILL', async () => {
    await admin.create({
      apiVersion: 'weft/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'box', project: PROJECT },
      spec: { resources: { cpu: '1', memory: '256Mi' }, rootDisk: { image: 'guest' }, cloudInit: { userData: '#cloud-config\nhostname: box\n' }, terminationGracePeriodSeconds: 60 },
    });
    const vm0 = await running('the VM running');
    expect(vm0.status).toMatchObject({ node: 'vmhost', ipAddresses: ['10.0.2.15'], sshAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/), accelerator: expect.stringMatching(/^(kvm|tcg)$/), consoleUrl: `/api/v1/projects/${PROJECT}/virtualmachines/box/console` });
    await until('the cloud-init marker in the serial log', async () => (MARKER.test(await serialLog()) ? true : undefined), BOOT_MS, 1000);
    const image = await admin.get('Image', 'guest', { project: PROJECT });
    expect(image.spec).toMatchObject({ source: { upload: true }, checksum: expect.stringMatching(/^sha256:/) });
    expect(image.status).toMatchObject({ format: 'raw', nodes: ['vmhost'], sizeBytes: expect.any(Number), upload: { phase: 'Uploaded' } });

    const [alloc] = await allocationsOf(admin, PROJECT, 'box');
    const uid = alloc!.metadata.uid;
    const pid = qemuPid(agent.stateDir, uid);
    await killHard(agent.child);
    agent = await startAgent(box, up.url, 'vmhost');
    // The same QEMU, still running the guest (QMP says so), and the same attempt: nothing restarted.
    expect(qemuPid(agent.stateDir, uid)).toBe(pid);
    expect(await qmp(join(agent.stateDir, 'replicas', uid, 'qmp.sock'), 'query-status')).toMatchObject({ status: 'running' });
    await new Promise((r) => setTimeout(r, 3000));
    expect((await vm()).status).toMatchObject({ phase: 'Running', attempt: vm0.status!.attempt });
    expect((await admin.get('Allocation', alloc!.metadata.name, { project: PROJECT })).status?.phase).toBe('Running');
  }, 2 * BOOT_MS);

  it('attaches the serial console over the API for members of the project, and refuses a member of another', async () => {
    const ws = await openSocket(admin, vmConsolePath(PROJECT, 'box'));
    let seen = '';
    ws.on('message', (d: Buffer) => (seen += d.toString('utf8')));
    // The guest's console runs a shell: what it answers comes back through server and agent.
    await until('the shell to answer through the console', async () => {
      ws.send('echo console-$((6*7))\n');
      return seen.includes('console-42') ? true : undefined;
    }, 30_000, 1000);
    ws.close();

    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'other' }, spec: {} });
    await admin.create({ apiVersion: 'weft/v1', kind: 'User', metadata: { name: 'eve' }, spec: { roles: [{ role: 'member', project: 'other' }] } });
    const eve = new WeftClient({ server: up.url, token: (await admin.tokens.create({ user: 'eve' })).token });
    await expect(openSocket(eve, vmConsolePath(PROJECT, 'box'))).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(admin, vmConsolePath(PROJECT, 'nobox'))).rejects.toMatchObject({ status: 404 });
  }, 60_000);

  it('Halted powers the guest down by ACPI within the grace; Always boots it again', async () => {
    const [alloc] = await allocationsOf(admin, PROJECT, 'box');
    const t0 = Date.now();
    const stop = await box.weft(['stop', 'vm', 'box', '-p', PROJECT]);
    expect(stop.stdout).toContain('virtualmachine/box stopping');
    expect((await vm()).spec).toMatchObject({ runStrategy: 'Halted' });
    await until('the VM stopped', async () => ((await vm()).status?.phase === 'Stopped' ? true : undefined), 60_000, 500);
    expect(Date.now() - t0).toBeLessThan(60_000);
    // Ended by the guest's own power-off (exit code 0), not killed when the grace ran out.
    expect((await admin.get('Allocation', alloc!.metadata.name, { project: PROJECT })).status).toMatchObject({ phase: 'Stopped', exitCode: 0 });

    expect((await box.weft(['start', 'vm', 'box', '-p', PROJECT])).stdout).toContain('virtualmachine/box starting');
    const again = await running('the VM running again');
    expect(again.spec).toMatchObject({ runStrategy: 'Always' });
    expect(again.status!.attempt).toBeGreaterThan(0);
    await until('the marker on the new boot', async () => (MARKER.test(await serialLog(again.status!.attempt as number)) ? true : undefined), BOOT_MS, 1000);
    // The CLI reads the same serial log: `weft logs vm NAME`.
    expect((await box.weft(['logs', 'vm', 'box', '-p', PROJECT])).stdout).toMatch(MARKER);
  }, 3 * BOOT_MS);
});
