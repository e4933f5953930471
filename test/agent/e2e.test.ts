// End to end on loopback: a real `weft up` and three real `weft agent` processes with fake GPUs.
// Replicas are small Node scripts that check the environment the agent gives them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { allocationsOf, joinToken, jobPhase, killHard, killReplicas, nodeOf, startAgent, until, type AgentProc } from './helpers.js';

const PROJECT = 'e2e';

/** Exits 0 only when the agent set up GPUs, identity and rendezvous as torchrun expects. */
const CHECK_ENV = `
const e = process.env, fail = (m) => { console.error('bad env: ' + m); process.exit(3); };
const gpus = (e.CUDA_VISIBLE_DEVICES || '').split(',');
if (gpus.length !== 8 || !gpus.every((g) => g.startsWith('GPU-'))) fail('CUDA_VISIBLE_DEVICES=' + e.CUDA_VISIBLE_DEVICES);
if (e.NVIDIA_VISIBLE_DEVICES !== e.CUDA_VISIBLE_DEVICES) fail('NVIDIA_VISIBLE_DEVICES');
if (e.WORLD_SIZE !== '2') fail('WORLD_SIZE=' + e.WORLD_SIZE);
if (e.RANK !== e.WEFT_REPLICA || !['0', '1'].includes(e.RANK)) fail('RANK=' + e.RANK);
if (e.LOCAL_RANK !== '0') fail('LOCAL_RANK=' + e.LOCAL_RANK);
if (e.MASTER_ADDR !== '127.0.0.1') fail('MASTER_ADDR=' + e.MASTER_ADDR);
const port = Number(e.MASTER_PORT);
if (!(port >= 29500 && port <= 30499)) fail('MASTER_PORT=' + e.MASTER_PORT);
if (e.WEFT_PROJECT !== '${PROJECT}' || e.WEFT_WORKLOAD_KIND !== 'Job' || !e.WEFT_ALLOCATION || !e.WEFT_NODE) fail('WEFT_*');
if (e.WEFT_TOKEN) fail('the agent leaked a token');
console.log('rank ' + e.RANK + ' of ' + e.WORLD_SIZE + ' ok on ' + e.WEFT_NODE);
`;

function job(name: string, replicas: number, script: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: { name, project: PROJECT },
    spec: { replicas, resources: { cpu: '100m', memory: '64Mi', gpu: { count: 8, models: ['H100-80GB'] } }, command: ['node', '-e', script], ...extra },
  });
}

describe('node agents running real processes', () => {
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  const agents = new Map<string, AgentProc>();
  let usedJoinToken = '';

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--node-not-ready-after', '3s', '--node-lost-after', '2s']);
    admin = new WeftClient({ server: up.url, token: up.token! });
    await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
    const names = ['a1', 'a2', 'a3'];
    const tokens = await Promise.all(names.map(() => joinToken(box)));
    const started = await Promise.all(names.map((name, i) => startAgent(box, up.url, name, tokens[i])));
    for (const a of started) agents.set(a.name, a);
    usedJoinToken = tokens[0]!;
    await until('three Ready agent nodes', async () => {
      const nodes = (await admin.list('Node')).items.filter((n) => n.status?.state === 'Ready');
      return nodes.length === 3 ? nodes : undefined;
    }, 20_000);
  }, 90_000);

  afterAll(async () => {
    for (const a of agents.values()) {
      await killHard(a.child);
      killReplicas(a.stateDir);
    }
    if (up) await interrupt(up.child);
    box?.cleanup();
  }, 30_000);

  it('registers each agent as a Node with its fake inventory, marked fake', async () => {
    const node = await admin.get('Node', 'a1');
    expect(node.spec).toMatchObject({ provider: 'agent', gpus: expect.arrayContaining([expect.objectContaining({ index: 7, model: 'H100-80GB' })]) });
    expect(node.status).toMatchObject({ address: '127.0.0.1', cgroups: expect.stringMatching(/^(v2|unavailable)$/), inventory: { fake: true } });
    // Which drivers this host can run: the process driver always, with nothing to excuse; the
    // container driver where Podman is (tests/agent/containers.test.ts), else with the reason.
    const drivers = node.status!.drivers as Record<string, { available: boolean; reason?: string }>;
    expect(drivers.process).toEqual({ available: true, version: process.version });
    expect(drivers.container!.available || drivers.container!.reason).toBeTruthy();
    expect((node.status!.inventory as { gpus: unknown[] }).gpus).toHaveLength(8);
  });

  it('refuses a join token that was already used, saying so', async () => {
    const res = await box.weft(['agent', '--server', up.url, '--name', 'a9', '--state-dir', join(box.dir, 'agents', 'a9'), '--fake-gpus', '1xL4-24GB', '--token', usedJoinToken]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/join token was already used/);
  });

  it('runs a 2-replica gang on two nodes with GPUs, identity and rendezvous set; the Job succeeds', async () => {
    const res = await box.weft(['apply', '-f', '-'], { input: job('gang', 2, CHECK_ENV, { restartPolicy: 'Never' }) });
    expect(res.code, res.stderr).toBe(0);
    await until('job gang to finish', async () => {
      const p = await jobPhase(admin, PROJECT, 'gang');
      return ['Succeeded', 'Failed'].includes(p) ? p : undefined;
    }, 30_000);
    const allocs = await allocationsOf(admin, PROJECT, 'gang');
    expect(allocs.map((a) => a.status?.phase)).toEqual(['Succeeded', 'Succeeded']);
    expect(new Set(allocs.map(nodeOf)).size).toBe(2);
    expect(allocs.every((a) => a.status?.exitCode === 0)).toBe(true);
  }, 40_000);

  it('keeps the output: weft logs shows what replica 0 printed', async () => {
    const res = await until('logs of gang replica 0', async () => {
      const r = await box.weft(['logs', 'gang', '--replica', '0', '-p', PROJECT]);
      return r.code === 0 && /rank 0 of 2 ok/.test(r.stdout) ? r : undefined;
    }, 15_000, 500);
    expect(res.stdout).toMatch(/rank 0 of 2 ok on a\d/);
    expect(res.stdout).not.toMatch(/rank 1 of 2/);
  }, 20_000);

  it('rejects a bad job spec with an error naming the field', async () => {
    const bad = JSON.stringify({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'bad', project: PROJECT }, spec: { resources: { cpu: '1' }, command: 'node -e 1' } });
    const res = await box.weft(['apply', '-f', '-'], { input: bad });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/spec\.command|\/spec\/command/);
  });

  it('a restarted agent re-adopts its running replica and never runs it twice', async () => {
    const marker = join(box.dir, 'adopt-marker.txt');
    const release = join(box.dir, 'adopt-release');
    // Runs until the test releases it (or 60 s pass), so it is surely running across the restart.
    const script = `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(marker)}, 'start ' + process.pid + '\\n');
setInterval(() => { if (fs.existsSync(${JSON.stringify(release)})) { console.log('released'); process.exit(0); } }, 100);
setTimeout(() => process.exit(9), 60000);`;
    expect((await box.weft(['apply', '-f', '-'], { input: job('adopt', 1, script, { restartPolicy: 'Never' }) })).code).toBe(0);
    const [alloc] = await until('adopt running', async () => {
      const a = await allocationsOf(admin, PROJECT, 'adopt');
      return a[0]?.status?.phase === 'Running' ? a : undefined;
    }, 15_000);
    const pid = alloc!.status?.pid;
    expect(pid).toEqual(expect.any(Number));
    const agent = agents.get(nodeOf(alloc!))!;
    await killHard(agent.child);
    // Same state directory, no join token: the saved node credential is enough.
    agents.set(agent.name, await startAgent(box, up.url, agent.name));
    await new Promise((r) => setTimeout(r, 1500)); // a few reconcile passes of the new agent
    const [adopted] = await allocationsOf(admin, PROJECT, 'adopt');
    expect(adopted!.status).toMatchObject({ phase: 'Running', pid });
    writeFileSync(release, 'go');
    await until('adopt to succeed', async () => ((await jobPhase(admin, PROJECT, 'adopt')) === 'Succeeded' ? true : undefined), 30_000);
    expect(readFileSync(marker, 'utf8')).toBe(`start ${pid}\n`);
    const [after] = await allocationsOf(admin, PROJECT, 'adopt');
    expect(after!.status).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
  }, 50_000);

  it('an agent started with a new address registers again with its own credential, which is replaced', async () => {
    const agent = agents.get('a3')!;
    const credential = (): string => (JSON.parse(readFileSync(join(agent.stateDir, 'node.json'), 'utf8')) as { token: string }).token;
    for (const address of ['127.0.0.3', '127.0.0.1']) {
      const before = credential();
      await killHard(agents.get('a3')!.child);
      agents.set('a3', await startAgent(box, up.url, 'a3', undefined, ['--address', address]));
      expect((await admin.get('Node', 'a3')).status?.address).toBe(address);
      const after = credential();
      expect(after).not.toBe(before);
      expect(((await new WeftClient({ server: up.url, token: before }).request('GET', '/api/v1/whoami').catch((e: unknown) => e)) as { status?: number }).status).toBe(401);
      expect((await new WeftClient({ server: up.url, token: after }).whoami()).user).toBe('a3');
    }
  }, 60_000);

  it('kill -9 of an agent mid-run: its node goes NotReady then Lost, the gang is rescheduled and completes', async () => {
    // Attempt 0 hangs until stopped; later attempts finish at once.
    const script = `if (process.env.WEFT_ATTEMPT === '0') setInterval(() => {}, 1000); else console.log('attempt ' + process.env.WEFT_ATTEMPT + ' done');`;
    expect((await box.weft(['apply', '-f', '-'], { input: job('rescue', 2, script) })).code).toBe(0);
    const running = await until('rescue running', async () => {
      const a = await allocationsOf(admin, PROJECT, 'rescue');
      return a.length === 2 && a.every((x) => x.status?.phase === 'Running') ? a : undefined;
    }, 20_000);
    const victim = agents.get(nodeOf(running[0]!))!;
    await killHard(victim.child);
    await until(`node ${victim.name} NotReady`, async () => ((await admin.get('Node', victim.name)).status?.state !== 'Ready' ? true : undefined), 15_000);
    await until('rescue to succeed on the remaining nodes', async () => ((await jobPhase(admin, PROJECT, 'rescue')) === 'Succeeded' ? true : undefined), 60_000, 500);
    const allocs = await allocationsOf(admin, PROJECT, 'rescue');
    const lost = allocs.find((a) => nodeOf(a) === victim.name && (a.spec as { attempt: number }).attempt === 0);
    expect(lost?.status?.phase).toBe('Lost');
    const finalAttempt = allocs.filter((a) => a.status?.phase === 'Succeeded');
    expect(finalAttempt).toHaveLength(2);
    expect(finalAttempt.every((a) => nodeOf(a) !== victim.name)).toBe(true);
    killReplicas(victim.stateDir); // the orphaned attempt-0 replica the dead agent left behind
  }, 90_000);
});
