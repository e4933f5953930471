// A lease end to end on loopback: a real `weft up` and a real `weft agent --fake-gpus` whose
// accounts live under a directory standing in for /home and whose cleanup hook checks a file
// standing in for the GPUs' health. The lease drains the node of others' work, the agent creates
// the user's account with their key and the lease says how to connect; at end the account goes,
// the hook runs, and the node returns to the pool — or, when the hook fails, stays cordoned with
// its reason. Extension and early release go through admission.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInvoice, WeftClient } from '../../src/client/index.js';
import type { Resource } from '../../src/model/metadata.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { joinToken, killHard, killReplicas, startAgent, until, type AgentProc } from './helpers.js';

const P = 'metal';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ6m0vDVpJ4lVJcVsW0ZeY0zKq1b0f3x2aXbqkq8x2Qm alice@laptop';

describe('a bare-metal lease on a real agent', () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  let agent: AgentProc;
  let home: string;
  let healthy: string;

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box);
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'PriceBook', metadata: { name: 'metal' }, spec: { currency: 'EUR', prices: [{ resource: 'lease', pricePerHour: '2.50' }] } });
    for (const name of [P, 'other']) await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name }, spec: {} });
    home = join(box.dir, 'home');
    healthy = join(box.dir, 'gpus-healthy');
    const hook = `test -e ${healthy} && echo "scratch wiped, GPUs reset, 8 of 8 healthy" || { echo "GPU 3: uncorrectable ECC errors"; exit 1; }`;
    agent = await startAgent(box, up.url, 'bm-1', await joinToken(box), ['--lease-accounts-root', home, '--lease-cleanup', hook]);
    await until('node Ready', async () => ((await admin.get('Node', 'bm-1')).status?.state === 'Ready' ? true : undefined), 20_000);
  }, 90_000);

  afterAll(async () => {
    if (agent) {
      await killHard(agent.child);
      killReplicas(agent.stateDir);
    }
    if (up) await interrupt(up.child);
    box?.cleanup();
  }, 30_000);

  const lease = (name: string, seconds: number): Resource => ({
    apiVersion: 'weft/v1',
    kind: 'Lease',
    metadata: { name, project: P },
    spec: { nodes: 1, nodeNames: ['bm-1'], start: new Date().toISOString(), end: new Date(Date.now() + seconds * 1000).toISOString(), users: [{ name: 'alice', sshKeys: [KEY] }] },
  } as unknown as Resource);
  const get = (name: string) => admin.get('Lease', name, { project: P });

  it('drains the node, creates the account with the key, and at end removes it and returns the node', async () => {
    writeFileSync(healthy, '');
    await admin.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'busy', project: 'other' }, spec: { replicas: 1, resources: { cpu: '100m', gpu: { count: 1 } }, command: ['sleep', '600'] } });
    await until('busy running', async () => ((await admin.get('Job', 'busy', { project: 'other' })).status?.phase === 'Running' ? true : undefined), 30_000);

    await admin.create(lease('week', 12));
    const active = await until('account ready', async () => {
      const l = await get('week');
      return (l.status?.access as unknown[] | undefined)?.length ? l : undefined;
    }, 30_000);
    expect(active.status?.access).toEqual([{ node: 'bm-1', connect: ['ssh alice@127.0.0.1'] }]);
    expect(readFileSync(join(home, 'alice', '.ssh', 'authorized_keys'), 'utf8')).toBe(`${KEY}\n`);
    const busy = (await admin.list('Allocation', { project: 'other' })).items[0]!;
    expect((busy.status?.stopRequested as { reason: string }).reason).toBe(`Drained for lease ${P}/week`);

    // Extension while the calendar allows it.
    const end = new Date(Date.now() + 15_000).toISOString();
    await admin.patch('Lease', 'week', { spec: { end } }, { project: P });
    const ended = await until('lease ended', async () => {
      const l = await get('week');
      return l.status?.phase === 'Ended' ? l : undefined;
    }, 60_000);
    expect(Date.parse(String(ended.status?.endedAt))).toBeGreaterThanOrEqual(Date.parse(end));
    expect(existsSync(join(home, 'alice'))).toBe(false);
    expect(ended.status?.cleanup).toEqual([{ node: 'bm-1', healthy: true, message: 'scratch wiped, GPUs reset, 8 of 8 healthy' }]);
    const node = await admin.get('Node', 'bm-1');
    expect(node.spec.unschedulable).toBeUndefined();
    // Billed for its whole window: 8 GPUs from its start to its (extended) end.
    const window = (Date.parse(end) - Date.parse(String(ended.status?.startedAt))) / 3_600_000;
    const invoice = await getInvoice(admin, P, new Date().toISOString().slice(0, 7));
    const line = invoice.lines.find((l) => l.resource === 'lease:')!;
    expect(line).toMatchObject({ description: 'Lease week (GPU) leased GPU-hours', unitPrice: '2.50' });
    expect(line.quantity).toBeCloseTo(8 * window, 2);
  }, 120_000);

  it('keeps a node whose health check fails cordoned with the reason; early release ends the lease', async () => {
    rmSync(healthy, { force: true });
    await admin.create(lease('broken', 600));
    await until('account ready', async () => ((await get('broken')).status?.access as unknown[] | undefined)?.length ? true : undefined, 30_000);
    // Early release: the end set to now.
    await admin.patch('Lease', 'broken', { spec: { end: new Date().toISOString() } }, { project: P });
    const ended = await until('lease ended', async () => {
      const l = await get('broken');
      return l.status?.phase === 'Ended' ? l : undefined;
    }, 60_000);
    expect(ended.status?.cleanup).toEqual([{ node: 'bm-1', healthy: false, message: 'GPU 3: uncorrectable ECC errors' }]);
    const node = await admin.get('Node', 'bm-1');
    expect(node.spec.unschedulable).toBe(true);
    expect(node.metadata.annotations?.['weft.dev/cordon-reason']).toBe(`lease ${P}/broken cleanup failed: GPU 3: uncorrectable ECC errors`);
    expect(existsSync(join(home, 'alice'))).toBe(false);
  }, 120_000);
});
