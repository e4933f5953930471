// `weft logs` and `weft cordon|uncordon|drain` through the real binary against `weft up`. The test
// plays a node agent over HTTP (register with a join token, report phases, ship log chunks) so
// the control plane's half of the agent protocol is exercised end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

const NODE = 'cli-node';

describe('weft logs and node commands against weft up', () => {
  let box: Sandbox;
  let up: UpServer;
  let nodeToken: string;

  async function api<T = any>(method: string, path: string, body?: unknown, token = nodeToken): Promise<{ status: number; body: T }> {
    const res = await fetch(up.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function allocationOf(job: string, timeoutMs = 20_000): Promise<any> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await api<{ items: any[] }>('GET', `/api/v1/allocations?labelSelector=weft.dev%2Fworkload%3D${job}`);
      const active = r.body.items.filter((a) => !['Stopped', 'Succeeded', 'Failed', 'Preempted', 'Lost'].includes(a.status?.phase));
      if (active.length > 0) return active[0];
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`job ${job} was never placed on ${NODE}`);
  }

  const setPhase = (a: any, status: Record<string, unknown>) => api('PATCH', `/api/v1/projects/${a.metadata.project}/allocations/${a.metadata.name}/status`, { status });
  const ship = (a: any, chunks: unknown[]) => api('POST', `/api/v1/projects/${a.metadata.project}/allocations/${a.metadata.name}/logs`, { chunks });
  const job = (name: string) => `apiVersion: weft/v1\nkind: Job\nmetadata: { name: ${name}, project: demo }\nspec:\n  resources: { cpu: "1", memory: 1Gi }\n  command: [python, train.py]\n`;

  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--node-not-ready-after', '60s', '--node-lost-after', '2m']);
    const p = await box.weft(['apply', '-f', '-'], { input: 'apiVersion: weft/v1\nkind: Project\nmetadata: { name: demo }\nspec: {}\n' });
    expect(p.code, p.stderr).toBe(0);
    const join = await box.weft(['token', 'create', '--join']);
    expect(join.code, join.stderr).toBe(0);
    const joinToken = join.stdout.trim().split(/\s+/).pop()!;
    const reg = await api('POST', '/api/v1/nodes/register', { name: NODE, spec: { cpu: '8', memory: '16Gi' }, status: { address: '127.0.0.1' } }, joinToken);
    expect(reg.status).toBe(201);
    nodeToken = (reg.body as { token: string }).token;
  }, 90_000);
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('prints a replica\'s logs, and -f follows them until the replica ends', async () => {
    expect((await box.weft(['apply', '-f', '-'], { input: job('train') })).code).toBe(0);
    const a = await allocationOf('train');
    expect(a.spec.node).toBe(NODE);
    expect(a.spec.task.command).toEqual(['python', 'train.py']);
    expect((await setPhase(a, { phase: 'Running' })).status).toBe(200);
    // Nothing written yet: the CLI says so, and why, instead of printing nothing.
    const quiet = await box.weft(['logs', 'train', '-p', 'demo']);
    expect([quiet.code, quiet.stdout]).toEqual([0, '']);
    expect(quiet.stderr).toBe(`(no output yet: job/train replica 0 (attempt 0 on ${NODE}) is running and has written nothing so far)\n`);
    expect((await ship(a, [{ seq: 0, stream: 'stdout', data: 'epoch 1\n' }, { seq: 1, stream: 'stderr', data: 'warn: slow\n' }])).status).toBe(204);

    const printed = await box.weft(['logs', 'train', '-p', 'demo']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe('epoch 1\nwarn: slow\n');

    const child = box.spawn(['logs', 'train', '-f']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const end = Date.now() + 15_000;
    while (!out.includes('warn: slow') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await ship(a, [{ seq: 2, stream: 'stdout', data: 'epoch 2\n' }]);
    await setPhase(a, { phase: 'Succeeded', exitCode: 0 });
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(out).toBe('epoch 1\nwarn: slow\nepoch 2\n');

    const missing = await box.weft(['logs', 'train', '--previous']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no previous attempt/);
  }, 60_000);

  it('cordons, drains (waiting for the work to move) and uncordons a node', async () => {
    const cordon = await box.weft(['cordon', NODE]);
    expect(cordon.code, cordon.stderr).toBe(0);
    expect((await api('GET', `/api/v1/nodes/${NODE}`)).body.spec.unschedulable).toBe(true);
    expect((await box.weft(['uncordon', NODE])).code).toBe(0);
    expect((await api('GET', `/api/v1/nodes/${NODE}`)).body.spec.unschedulable).toBeUndefined();

    expect((await box.weft(['apply', '-f', '-'], { input: job('serve') })).code).toBe(0);
    const a = await allocationOf('serve');
    await setPhase(a, { phase: 'Running' });

    const drain = box.weft(['drain', NODE, '--wait', '--timeout', '30s']);
    // Play the agent: once the stop request arrives, stop the replica.
    const end = Date.now() + 20_000;
    let stop: any;
    while (!stop && Date.now() < end) {
      stop = (await api('GET', `/api/v1/projects/demo/allocations/${a.metadata.name}`)).body.status?.stopRequested;
      if (!stop) await new Promise((r) => setTimeout(r, 200));
    }
    expect(stop).toMatchObject({ reason: `node ${NODE} is draining`, graceSeconds: 30 });
    await setPhase(a, { phase: 'Stopped', message: 'stopped' });
    const res = await drain;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/drained/);

    const jobNow = await box.weft(['get', 'job', 'serve', '-p', 'demo', '-o', 'json']);
    expect(JSON.parse(jobNow.stdout).status?.failures ?? 0).toBe(0);
    expect((await box.weft(['uncordon', NODE])).code).toBe(0);
  }, 60_000);
});
