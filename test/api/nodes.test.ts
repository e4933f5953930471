// Node registration and what a node token may do, over real HTTP: the join token works once, the
// node token it buys reaches only that node's Node status and Allocations, and drain is admin-only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustCreate, openSse, project, startHarness, type Harness } from './helpers.js';

let h: Harness;

const spec = { cpu: '8', memory: '32Gi', gpus: [{ index: 0, model: 'H100-80GB' }] };

async function joinToken(): Promise<string> {
  const r = await h.call('POST', '/api/v1/tokens', { body: { join: true } });
  expect(r.status).toBe(201);
  return r.body.token as string;
}

async function register(token: string, name: string, extra: Record<string, unknown> = {}) {
  return h.call('POST', '/api/v1/nodes/register', { token, body: { name, spec, ...extra } });
}

const alloc = (name: string, node: string) => ({
  apiVersion: 'weft/v1',
  kind: 'Allocation',
  metadata: { name, labels: { 'weft.dev/node': node } },
  spec: { workload: { kind: 'Job', name: 'j', uid: 'u-1' }, replica: 0, attempt: 0, node, gpus: [], cpuMilli: 1000, memoryBytes: 1024 },
});

let tokA: string;
let tokB: string;

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('p1'));
  await mustCreate(h, '/api/v1/projects', project('p2'));
  const a = await register(await joinToken(), 'node-a', { status: { address: '127.0.0.1' } });
  expect(a.status).toBe(201);
  tokA = a.body.token;
  const b = await register(await joinToken(), 'node-b');
  tokB = b.body.token;
  await mustCreate(h, '/api/v1/projects/p1/allocations', alloc('a-in-p1', 'node-a'));
  await mustCreate(h, '/api/v1/projects/p2/allocations', alloc('a-in-p2', 'node-a'));
  await mustCreate(h, '/api/v1/projects/p1/allocations', alloc('b-in-p1', 'node-b'));
}, 120_000);
afterAll(async () => h?.close());

describe('registration', () => {
  it('creates the Node with provider agent and returns a node token', async () => {
    const r = await h.call('GET', '/api/v1/nodes/node-a');
    expect(r.body.spec.provider).toBe('agent');
    expect(r.body.status.address).toBe('127.0.0.1');
    expect(r.body.status.lastHeartbeatTime).toBeTypeOf('string');
    expect(tokA).toMatch(/^weft_/);
    const who = await h.call('GET', '/api/v1/whoami', { token: tokA });
    expect(who.status).toBe(200);
  });

  it('accepts a join token once; reuse is a 401 that says so', async () => {
    const join = await joinToken();
    expect((await register(join, 'node-c')).status).toBe(201);
    const again = await register(join, 'node-d');
    expect(again.status).toBe(401);
    expect(again.body.detail).toMatch(/already used/);
    expect((await h.call('GET', '/api/v1/nodes/node-d')).status).toBe(404);
  });

  it('refuses unknown tokens and join tokens on ordinary routes', async () => {
    expect((await register('weft_' + 'x'.repeat(43), 'node-e')).status).toBe(401);
    const join = await joinToken();
    expect((await h.call('GET', '/api/v1/nodes', { token: join })).status).toBe(401);
  });

  it('does not spend the join token on a malformed request', async () => {
    const join = await joinToken();
    const bad = await h.call('POST', '/api/v1/nodes/register', { token: join, body: { name: 'Bad_Name', spec } });
    expect(bad.status).toBe(400);
    const noSpec = await h.call('POST', '/api/v1/nodes/register', { token: join, body: { name: 'node-f', spec: { cpu: 'lots' } } });
    expect(noSpec.status).toBe(422);
    expect((await register(join, 'node-f')).status).toBe(201);
  });

  it('keeps what operators set when a node registers again', async () => {
    const r = await h.call('PATCH', '/api/v1/nodes/node-c', {
      body: { metadata: { labels: { team: 'x' } }, spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }] } },
    });
    expect(r.status).toBe(200);
    const again = await register(h.adminToken, 'node-c', { spec: { ...spec, cpu: '16', unschedulable: false }, replace: true });
    expect(again.status).toBe(201);
    const n = again.body.node;
    expect(n.spec.cpu).toBe('16');
    expect(n.spec.unschedulable).toBe(true);
    expect(n.spec.taints).toHaveLength(1);
    expect(n.metadata.labels.team).toBe('x');
  });

  it('lets a node re-register itself with its node token, but not under another name', async () => {
    const again = await register(tokA, 'node-a', { status: { address: '127.0.0.1' } });
    expect(again.status).toBe(201);
    // One live credential per node: the new token replaces the old one at once.
    expect((await h.call('GET', '/api/v1/whoami', { token: tokA })).status).toBe(401);
    tokA = again.body.token;
    expect((await h.call('GET', '/api/v1/whoami', { token: tokA })).status).toBe(200);
    expect((await register(tokA, 'node-b')).status).toBe(403);
    const user = await h.user('plain', [{ role: 'project-admin', project: 'p1' }]);
    expect((await register(user, 'node-z')).status).toBe(403);
  });
});

describe('taking over a node', () => {
  it('a join token cannot register a node that exists; the token stays unspent', async () => {
    const join = await joinToken();
    const takeover = await register(join, 'node-b', { status: { address: '10.9.9.9' } });
    expect(takeover.status).toBe(409);
    expect(takeover.body.detail).toMatch(/already registered, and a join token only registers a new node/);
    expect(takeover.body.token).toBeUndefined();
    const b = await h.call('GET', '/api/v1/nodes/node-b');
    expect(b.body.status.address).toBeUndefined();
    // node-b's own credential still works, and the join token can still register a new node.
    expect((await h.call('GET', '/api/v1/whoami', { token: tokB })).status).toBe(200);
    expect((await register(join, 'node-g')).status).toBe(201);
  });

  it('an admin replaces a node only when asked to, revoking its credential', async () => {
    const first = await register(await joinToken(), 'node-h');
    expect(first.status).toBe(201);
    const implicit = await register(h.adminToken, 'node-h');
    expect(implicit.status).toBe(409);
    expect(implicit.body.detail).toMatch(/"replace": true/);
    expect((await h.call('GET', '/api/v1/whoami', { token: first.body.token })).status).toBe(200);
    const replaced = await register(h.adminToken, 'node-h', { replace: true });
    expect(replaced.status).toBe(201);
    expect((await h.call('GET', '/api/v1/whoami', { token: first.body.token })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/whoami', { token: replaced.body.token })).status).toBe(200);
  });

  it('deleting a node revokes its credential at once, so it cannot bring the node back', async () => {
    const r = await register(await joinToken(), 'node-i');
    const tok = r.body.token as string;
    expect((await h.call('GET', '/api/v1/nodes/node-i/status', { token: tok })).status).not.toBe(401);
    expect((await h.call('DELETE', '/api/v1/nodes/node-i')).status).toBe(200);
    expect((await h.call('GET', '/api/v1/whoami', { token: tok })).status).toBe(401);
    expect((await register(tok, 'node-i')).status).toBe(401);
    expect((await h.call('GET', '/api/v1/nodes/node-i')).status).toBe(404);
  });

  it('registration takes only the fields an agent reports, and a valid address', async () => {
    const join = await joinToken();
    const unknown = await register(join, 'node-j', { status: { address: '127.0.0.1', sneaky: true } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.issues).toEqual([expect.objectContaining({ field: 'status.sneaky' })]);
    const badAddress = await register(join, 'node-j', { status: { address: 'http://evil.example/' } });
    expect(badAddress.status).toBe(422);
    expect(badAddress.body.issues).toEqual([expect.objectContaining({ field: 'status.address' })]);
    expect((await register(join, 'node-j', { status: { address: 'gpu-07.dc1.example' } })).status).toBe(201);
  });
});

describe('node token scope', () => {
  it('cannot replace its Node status, store unknown fields or move its address', async () => {
    const put = await h.call('PUT', '/api/v1/nodes/node-a/status', { token: tokA, body: { status: { lastHeartbeatTime: new Date().toISOString() } } });
    expect(put.status).toBe(403);
    expect(put.body.detail).toMatch(/may only merge-patch/);
    const unknown = await h.call('PATCH', '/api/v1/nodes/node-a/status', { token: tokA, body: { status: { bogus: 1 } }, contentType: 'application/merge-patch+json' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.issues).toEqual([expect.objectContaining({ field: 'status.bogus' })]);
    const moved = await h.call('PATCH', '/api/v1/nodes/node-a/status', { token: tokA, body: { status: { address: '10.1.2.3', state: 'Ready' } }, contentType: 'application/merge-patch+json' });
    expect(moved.status).toBe(200);
    expect(moved.body.status.address).toBe('127.0.0.1');
    const n = (await h.call('GET', '/api/v1/nodes/node-a')).body;
    expect(n.status.bogus).toBeUndefined();
    expect(n.status.state).toBe('Ready');
  });

  it('reports the images it holds, in the bounded shape the scheduler reads, or is told which field is wrong', async () => {
    const patch = (images: unknown) => h.call('PATCH', '/api/v1/nodes/node-a/status', { token: tokA, body: { status: { images } }, contentType: 'application/merge-patch+json' });
    const ok = await patch([{ names: ['docker.io/library/busybox:latest'], sizeBytes: 2_000_000 }]);
    expect(ok.status).toBe(200);
    expect(ok.body.status.images).toEqual([{ names: ['docker.io/library/busybox:latest'], sizeBytes: 2_000_000 }]);
    const tooMany = await patch(Array.from({ length: 101 }, (_, i) => ({ names: [`localhost/x:${i}`], sizeBytes: 1 })));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.issues).toEqual([expect.objectContaining({ field: 'status.images' })]);
    expect((await patch([{ names: [], sizeBytes: 1 }])).status).toBe(422);
    expect((await patch('busybox')).status).toBe(422);
    // Nothing half-written: the list is the one accepted before.
    expect((await h.call('GET', '/api/v1/nodes/node-a')).body.status.images).toEqual(ok.body.status.images);
  });

  it('reads Nodes and merge-patches only its own Node status, never its spec or state', async () => {
    expect((await h.call('GET', '/api/v1/nodes', { token: tokA })).status).toBe(200);
    const own = await h.call('PATCH', '/api/v1/nodes/node-a/status', { token: tokA, body: { status: { agent: { version: '1' }, state: 'Cordoned' } } });
    expect(own.status).toBe(200);
    expect(own.body.status.agent.version).toBe('1');
    expect(own.body.status.address).toBe('127.0.0.1');
    expect(own.body.status.state).toBe('Ready');
    expect((await h.call('PATCH', '/api/v1/nodes/node-b/status', { token: tokA, body: { status: { x: 1 } } })).status).toBe(403);
    expect((await h.call('PATCH', '/api/v1/nodes/node-a', { token: tokA, body: { spec: { unschedulable: false } } })).status).toBe(403);
    expect((await h.call('DELETE', '/api/v1/nodes/node-a', { token: tokA })).status).toBe(403);
  });

  it('lists only the allocations bound to its node, across projects', async () => {
    const all = await h.call('GET', '/api/v1/allocations', { token: tokA });
    expect(all.status).toBe(200);
    expect(all.body.items.map((i: any) => i.metadata.name).sort()).toEqual(['a-in-p1', 'a-in-p2']);
    const sneaky = await h.call('GET', '/api/v1/allocations?labelSelector=weft.dev%2Fnode%3Dnode-b', { token: tokA });
    expect(sneaky.body.items).toEqual([]);
    const inP1 = await h.call('GET', '/api/v1/projects/p1/allocations', { token: tokB });
    expect(inP1.body.items.map((i: any) => i.metadata.name)).toEqual(['b-in-p1']);
  });

  it('watches only its own allocations', async () => {
    const s = await openSse(`${h.url}/api/v1/allocations?watch=true&resourceVersion=0`, tokB);
    try {
      expect(s.status).toBe(200);
      await mustCreate(h, '/api/v1/projects/p2/allocations', alloc('b-in-p2', 'node-b'));
      await mustCreate(h, '/api/v1/projects/p2/allocations', alloc('a2-in-p2', 'node-a'));
      const ev = await s.waitFor(2, 5000);
      expect(ev.map((e) => e.data.object.metadata.name).sort()).toEqual(['b-in-p1', 'b-in-p2']);
    } finally {
      s.close();
    }
  });

  it('gets and merge-patches the status of its own allocations only', async () => {
    expect((await h.call('GET', '/api/v1/projects/p1/allocations/a-in-p1', { token: tokA })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/projects/p1/allocations/b-in-p1', { token: tokA })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/projects/p1/allocations/nope', { token: tokA })).status).toBe(404);
    const ok = await h.call('PATCH', '/api/v1/projects/p1/allocations/a-in-p1/status', { token: tokA, body: { status: { phase: 'Running', pid: 42 } } });
    expect(ok.status).toBe(200);
    expect(ok.body.status.phase).toBe('Running');
    expect((await h.call('PATCH', '/api/v1/projects/p1/allocations/b-in-p1/status', { token: tokA, body: { status: { phase: 'Failed' } } })).status).toBe(403);
    expect((await h.call('PUT', '/api/v1/projects/p1/allocations/a-in-p1/status', { token: tokA, body: { status: { phase: 'Running' } } })).status).toBe(403);
    expect((await h.call('PATCH', '/api/v1/projects/p1/allocations/a-in-p1', { token: tokA, body: { spec: { replica: 1 } } })).status).toBe(403);
    expect((await h.call('DELETE', '/api/v1/projects/p1/allocations/a-in-p1', { token: tokA })).status).toBe(403);
  });

  it('cannot bring an ended (e.g. Lost) allocation back, nor clear a stop request', async () => {
    await mustCreate(h, '/api/v1/projects/p1/allocations', alloc('gone', 'node-a'));
    const stop = { reason: 'node node-a is draining', at: new Date().toISOString(), graceSeconds: 30 };
    expect((await h.call('PATCH', '/api/v1/projects/p1/allocations/gone/status', { body: { status: { phase: 'Running', stopRequested: stop } } })).status).toBe(200);
    const cleared = await h.call('PATCH', '/api/v1/projects/p1/allocations/gone/status', { token: tokA, body: { status: { stopRequested: null, phase: 'Stopping' } } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.status.stopRequested).toEqual(stop);
    expect((await h.call('PATCH', '/api/v1/projects/p1/allocations/gone/status', { body: { status: { phase: 'Lost' } } })).status).toBe(200);
    const back = await h.call('PATCH', '/api/v1/projects/p1/allocations/gone/status', { token: tokA, body: { status: { phase: 'Running' } } });
    expect(back.status).toBe(409);
    expect(back.body.detail).toMatch(/is Lost/);
    expect((await h.call('PATCH', '/api/v1/projects/p1/allocations/gone/status', { token: tokA, body: { status: { phase: 'Lost', message: 'ack' } } })).status).toBe(200);
  });

  it('cannot touch project workloads, users or tokens', async () => {
    expect((await h.call('GET', '/api/v1/projects/p1/jobs', { token: tokA })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/jobs', { token: tokA })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/projects/p1/jobs', { token: tokA, body: { metadata: { name: 'x' }, spec: { resources: { cpu: '1' } } } })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/users/admin', { token: tokA })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/tokens', { token: tokA, body: { join: true } })).status).toBe(403);
  });
});

describe('drain and cordon', () => {
  it('drain marks the node unschedulable with the request time; admin only', async () => {
    expect((await h.call('POST', '/api/v1/nodes/node-b/drain', { token: tokB })).status).toBe(403);
    const r = await h.call('POST', '/api/v1/nodes/node-b/drain');
    expect(r.status).toBe(200);
    expect(r.body.spec.unschedulable).toBe(true);
    expect(Date.parse(r.body.metadata.annotations['weft.dev/drain-requested'])).toBeGreaterThan(0);
    expect((await h.call('POST', '/api/v1/nodes/missing/drain')).status).toBe(404);
    expect((await h.call('POST', '/api/v1/nodes/Bad_Name/drain')).status).toBe(400);
  });
});
