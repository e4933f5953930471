// The reconcile loop against a small fake API server: real supervisor and real processes, so
// starting, stopping, exit codes, lost replicas, log shipping and outages are the real thing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../client/client.js';
import type { Resource } from '../model/metadata.js';
import { DriverSet } from './drivers/driver-set.js';
import { ProcessDriver } from './drivers/process/process-driver.js';
import { LOST_MESSAGE, adoptReplicas, reconcileOnce, type ReconcileContext } from './reconcile.js';
import { StateDir } from './state.js';

const SUPERVISOR = resolve(fileURLToPath(new URL('../../dist/agent/drivers/process/supervisor.js', import.meta.url)));

interface Fake {
  server: Server;
  url: string;
  down: boolean;
  statuses: Map<string, Record<string, unknown>[]>;
  chunks: Map<string, { seq: number; stream: string; data: string }[]>;
}

async function fakeApi(): Promise<Fake> {
  const fake = { down: false, statuses: new Map(), chunks: new Map() } as Omit<Fake, 'server' | 'url'> & Partial<Fake>;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (fake.down) return void res.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"title":"down"}');
      const m = /^\/api\/v1\/projects\/p\/allocations\/([^/]+)\/(status|logs)$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404).end();
      const parsed = JSON.parse(body) as { status?: Record<string, unknown>; chunks?: { seq: number; stream: string; data: string }[] };
      if (m[2] === 'status') {
        fake.statuses.set(m[1]!, [...(fake.statuses.get(m[1]!) ?? []), parsed.status!]);
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
      const have = fake.chunks.get(m[1]!) ?? [];
      for (const c of parsed.chunks ?? []) if (!have.some((h) => h.seq === c.seq)) have.push(c);
      fake.chunks.set(m[1]!, have);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return Object.assign(fake, { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }) as Fake;
}

function alloc(name: string, command: string[], status: Record<string, unknown> = {}): Resource {
  return {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name, project: 'p', uid: `uid-${name}`, resourceVersion: '1' },
    spec: {
      workload: { kind: 'Job', name: 'w', uid: 'w-uid' },
      replica: 0,
      attempt: 0,
      node: 'n1',
      gpus: [{ index: 3, uuid: 'GPU-3', model: 'H100-80GB', milli: 1000 }],
      cpuMilli: 100,
      memoryBytes: 64 << 20,
      task: { command },
    },
    status: { phase: 'Bound', ...status },
  } as unknown as Resource;
}

const node = (script: string): string[] => [process.execPath, '-e', script];

/** Retries fn for up to 5 s (a server needs a moment to listen). */
async function until2<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('agent reconcile loop', () => {
  let fake: Fake;
  let dir: string;
  let ctx: ReconcileContext;
  const allocs = new Map<string, Resource>();

  beforeAll(async () => {
    if (!existsSync(SUPERVISOR)) throw new Error('dist/ is missing: these tests run the compiled supervisor; run `npm run build`');
    fake = await fakeApi();
  });
  afterAll(() => new Promise<void>((done) => fake.server.close(() => done())));
  afterEach(() => {
    allocs.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh state dir and context; `cgroups` gives replicas a cgroup root inside it. */
  async function setup(opts: { cgroups?: boolean } = {}): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'weft-agent-test-'));
    const state = new StateDir(dir);
    ctx = {
      client: new WeftClient({ server: fake.url, token: 'weft_test', timeoutMs: 2000 }),
      state,
      drivers: await DriverSet.probe([new ProcessDriver(state, opts.cgroups ? join(dir, 'cgroup-root') : undefined, SUPERVISOR)]),
      node: 'n1',
      address: '127.0.0.1',
      maxLogBytes: 1 << 20,
      log: () => {},
      nodeAddress: async () => '127.0.0.1',
    };
  }

  const put = (a: Resource): void => void allocs.set(a.metadata.uid!, a);
  const last = (name: string): Record<string, unknown> | undefined => fake.statuses.get(name)?.at(-1);

  /** Reconciles every 100 ms until `done` holds (at most `ms`). */
  async function until(done: () => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await reconcileOnce(ctx, allocs, true);
      if (done()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`condition not reached in time; statuses: ${JSON.stringify(Object.fromEntries(fake.statuses))}`);
  }

  it('starts a Bound replica once, ships its output in seq order and reports Succeeded', async () => {
    await setup();
    const marker = join(dir, 'marker');
    put(alloc('ok', node(`require('fs').appendFileSync(${JSON.stringify(marker)}, 'x'); console.log('hello', process.env.CUDA_VISIBLE_DEVICES, process.env.RANK); console.error('warn');`)));
    await until(() => last('ok')?.phase === 'Succeeded');
    expect(last('ok')).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
    const chunks = fake.chunks.get('ok')!;
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.find((c) => c.stream === 'stdout')?.data).toBe('hello GPU-3 0\n');
    expect(chunks.find((c) => c.stream === 'stderr')?.data).toBe('warn\n');
    // The server still saying Bound (say its view is stale) never starts it again.
    for (let i = 0; i < 5; i++) await reconcileOnce(ctx, allocs, true);
    expect(readFileSync(marker, 'utf8')).toBe('x');
  });

  it('reports a non-zero exit as Failed with the exit code', async () => {
    await setup();
    put(alloc('bad', node('process.exit(7)')));
    await until(() => last('bad')?.phase === 'Failed');
    expect(last('bad')).toMatchObject({ phase: 'Failed', exitCode: 7, message: 'exited with code 7' });
  });

  it('fails a replica with nothing to run, naming the field', async () => {
    await setup();
    put(alloc('empty', []));
    await until(() => last('empty')?.phase === 'Failed');
    expect(String(last('empty')?.message)).toMatch(/spec\.task\.command/);
  });

  it('stops on stopRequested: SIGTERM first, Preempted when the reason says so', async () => {
    await setup();
    put(alloc('pre', node(`process.on('SIGTERM', () => { console.log('got TERM'); process.exit(0); }); setInterval(() => {}, 1000);`)));
    await until(() => last('pre')?.phase === 'Running');
    await new Promise((r) => setTimeout(r, 300)); // let the script install its handler
    put(alloc('pre', [], { phase: 'Running', stopRequested: { reason: 'Preempted by p/urgent', at: new Date().toISOString(), graceSeconds: 10 } }));
    await until(() => last('pre')?.phase === 'Preempted');
    expect(fake.statuses.get('pre')!.map((s) => s.phase)).toEqual(['Running', 'Stopping', 'Preempted']);
    expect(fake.statuses.get('pre')![0]).toMatchObject({ pid: expect.any(Number), startedAt: expect.any(String) });
    expect(fake.chunks.get('pre')!.map((c) => c.data).join('')).toContain('got TERM');
  });

  it('kills a replica that ignores SIGTERM once the grace is over; final phase Stopped', async () => {
    await setup();
    put(alloc('stubborn', node(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`)));
    await until(() => last('stubborn')?.phase === 'Running');
    await new Promise((r) => setTimeout(r, 300));
    put(alloc('stubborn', [], { phase: 'Running', stopRequested: { reason: 'node n1 is draining', at: new Date().toISOString(), graceSeconds: 1 } }));
    await until(() => last('stubborn')?.phase === 'Stopped', 8000);
    expect(last('stubborn')?.message).toBe('stopped: node n1 is draining');
  });

  it('reports a replica whose processes vanished without an exit record as lost, and never restarts it', async () => {
    await setup();
    put(alloc('gone', node('setInterval(() => {}, 1000)')));
    await until(() => last('gone')?.phase === 'Running');
    await new Promise((r) => setTimeout(r, 300));
    const sup = JSON.parse(readFileSync(join(ctx.state.replicaDir('uid-gone'), 'supervisor.json'), 'utf8')) as { pid: number; childPid: number };
    // The supervisor first: killed after its child, it could still record the child's exit.
    process.kill(sup.pid, 'SIGKILL');
    process.kill(-sup.childPid, 'SIGKILL');
    await until(() => last('gone')?.phase === 'Failed');
    expect(last('gone')?.message).toBe(LOST_MESSAGE);
  });

  it('gives a Service replica a free port as PORT and reports its endpoint', async () => {
    await setup();
    const svc = alloc('svc', node(`require('http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');`));
    (svc.spec as { workload: { kind: string } }).workload.kind = 'Service';
    put(svc);
    await until(() => last('svc')?.phase === 'Running');
    const endpoint = String(last('svc')?.endpoint);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = await until2(() => fetch(endpoint).then((r) => r.text()));
    expect(body).toBe('ok');
    put(alloc('svc', [], { phase: 'Running', stopRequested: { reason: 'scaled down', at: new Date().toISOString(), graceSeconds: 5 } }));
    await until(() => last('svc')?.phase === 'Stopped');
  });

  it('puts a replica in its own cgroup with cpu.max and memory.max from the allocation', async () => {
    await setup({ cgroups: true });
    const cgroups = join(dir, 'cgroup-root');
    put(alloc('limited', node('console.log(1)')));
    await until(() => last('limited')?.phase === 'Succeeded');
    const cg = join(cgroups, 'uid-limited');
    expect(readFileSync(join(cg, 'cpu.max'), 'utf8')).toBe('10000 100000'); // 100m of a core
    expect(readFileSync(join(cg, 'memory.max'), 'utf8')).toBe(String(64 << 20));
    const sup = JSON.parse(readFileSync(join(ctx.state.replicaDir('uid-limited'), 'supervisor.json'), 'utf8')) as { pid: number };
    expect(readFileSync(join(cg, 'cgroup.procs'), 'utf8')).toBe(String(sup.pid));
  });

  it('keeps going through an outage and writes the final status on reconnect', async () => {
    await setup();
    const marker = join(dir, 'marker');
    put(alloc('out', node(`require('fs').appendFileSync(${JSON.stringify(marker)}, 'x'); setTimeout(() => console.log('finished'), 500);`)));
    await until(() => last('out')?.phase === 'Running');
    fake.down = true;
    await new Promise((r) => setTimeout(r, 900)); // the replica finishes while the server is away
    for (let i = 0; i < 3; i++) await reconcileOnce(ctx, allocs, true);
    expect(last('out')?.phase).toBe('Running');
    fake.down = false;
    await until(() => last('out')?.phase === 'Succeeded');
    expect(fake.chunks.get('out')!.map((c) => c.data).join('')).toBe('finished\n');
    expect(readFileSync(marker, 'utf8')).toBe('x');
  });

  it('fails an image-only replica when this agent has no container driver, saying so', async () => {
    await setup();
    const img = alloc('img', []);
    (img.spec as { task: { image?: string } }).task.image = 'ghcr.io/acme/train:1';
    put(img);
    await until(() => last('img')?.phase === 'Failed');
    expect(last('img')?.message).toBe('could not start: the process driver cannot run image "ghcr.io/acme/train:1" without a command');
  });

  it('at agent start re-adopts replicas with a record and stops one whose record is gone', async () => {
    await setup();
    const logs: string[] = [];
    ctx = { ...ctx, log: (m) => void logs.push(m) };
    put(alloc('kept', node('setInterval(() => {}, 1000)')));
    // On a GPU of its own: a replica still up holds its GPUs, and the agent starts nothing on them.
    const orphan = alloc('orphan', node('setInterval(() => {}, 1000)'));
    put({ ...orphan, spec: { ...orphan.spec, gpus: [{ index: 4, uuid: 'GPU-4', model: 'H100-80GB', milli: 1000 }] } });
    await until(() => last('kept')?.phase === 'Running' && last('orphan')?.phase === 'Running');
    const sup = JSON.parse(readFileSync(join(ctx.state.replicaDir('uid-orphan'), 'supervisor.json'), 'utf8')) as { childPid: number };
    rmSync(join(ctx.state.replicaDir('uid-orphan'), 'record.json'));
    await adoptReplicas(ctx);
    expect(logs).toContain('re-adopted 1 replica(s) from the state directory');
    await until(() => !isRunning(sup.childPid) && last('orphan')?.phase === 'Failed');
    expect(last('orphan')?.message).toBe(LOST_MESSAGE);
    const kept = await ctx.drivers.get('process')!.inspect('uid-kept');
    expect(kept.state).toBe('running');
    put(alloc('kept', [], { phase: 'Running', stopRequested: { reason: 'done', at: new Date().toISOString(), graceSeconds: 1 } }));
    await until(() => last('kept')?.phase === 'Stopped');
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
