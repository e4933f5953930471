// Replica logs over real HTTP: the node running an allocation ships chunks (idempotent per seq),
// readers of the project read them per replica and attempt, and a follow ends with the replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
let nodeA: string;
let nodeB: string;
let viewer: string;
let outsider: string;
let member: string;

const spec = { cpu: '8', memory: '32Gi' };

async function registerNode(name: string): Promise<string> {
  const join = await h.call('POST', '/api/v1/tokens', { body: { join: true } });
  const r = await h.call('POST', '/api/v1/nodes/register', { token: join.body.token, body: { name, spec } });
  expect(r.status).toBe(201);
  return r.body.token;
}

function alloc(name: string, workload: { name: string; uid: string }, replica: number, attempt: number, node: string) {
  return {
    kind: 'Allocation',
    metadata: { name, labels: { 'weft.dev/workload': workload.name, 'weft.dev/workload-kind': 'Job', 'weft.dev/node': node } },
    spec: { workload: { kind: 'Job', ...workload }, replica, attempt, node, gpus: [], cpuMilli: 1000, memoryBytes: 1024 },
  };
}

const ship = (token: string, name: string, chunks: unknown[], proj = 'p1') =>
  h.call('POST', `/api/v1/projects/${proj}/allocations/${name}/logs`, { token, body: { chunks } });

const read = (query = '', token?: string, name = 'train') => h.call('GET', `/api/v1/projects/p1/jobs/${name}/logs${query}`, token ? { token } : {});

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('p1'));
  await mustCreate(h, '/api/v1/projects', project('p2'));
  nodeA = await registerNode('node-a');
  nodeB = await registerNode('node-b');
  viewer = await h.user('viewer', [{ role: 'viewer', project: 'p1' }]);
  member = await h.user('member', [{ role: 'member', project: 'p1' }]);
  outsider = await h.user('outsider', [{ role: 'project-admin', project: 'p2' }]);
  const j = await mustCreate(h, '/api/v1/projects/p1/jobs', job('train'));
  const w = { name: 'train', uid: j.metadata.uid as string };
  await mustCreate(h, '/api/v1/projects/p1/allocations', alloc('train-a0-r0', w, 0, 0, 'node-a'));
  await mustCreate(h, '/api/v1/projects/p1/allocations', alloc('train-a1-r0', w, 0, 1, 'node-a'));
  await mustCreate(h, '/api/v1/projects/p1/allocations', alloc('train-a1-r1', w, 1, 1, 'node-b'));
  await mustCreate(h, '/api/v1/projects/p1/jobs', job('idle'));
}, 120_000);
afterAll(async () => h?.close());

describe('shipping logs', () => {
  it('accepts chunks from the allocation node, once per seq', async () => {
    const first = await ship(nodeA, 'train-a0-r0', [
      { seq: 0, stream: 'stdout', data: 'attempt 0 line 1\n' },
      { seq: 1, stream: 'stderr', data: 'attempt 0 warning\n' },
    ]);
    expect(first.status).toBe(204);
    const again = await ship(nodeA, 'train-a0-r0', [{ seq: 1, stream: 'stderr', data: 'DUPLICATE\n' }]);
    expect(again.status).toBe(204);
    expect((await ship(nodeA, 'train-a1-r0', [{ seq: 0, stream: 'stdout', data: 'attempt 1 hello\n' }])).status).toBe(204);
    expect((await ship(nodeB, 'train-a1-r1', [{ seq: 0, stream: 'stdout', data: 'rank 1 here\n' }])).status).toBe(204);
    const r = await read('?attempt=0');
    expect(r.text).toBe('attempt 0 line 1\nattempt 0 warning\n');
  });

  it('refuses other nodes, project users and bad chunks', async () => {
    expect((await ship(nodeB, 'train-a0-r0', [{ seq: 5, stream: 'stdout', data: 'x' }])).status).toBe(403);
    expect((await ship(member, 'train-a0-r0', [{ seq: 5, stream: 'stdout', data: 'x' }])).status).toBe(403);
    expect((await ship(outsider, 'train-a0-r0', [{ seq: 5, stream: 'stdout', data: 'x' }])).status).toBe(403);
    expect((await ship(nodeA, 'nope', [{ seq: 5, stream: 'stdout', data: 'x' }])).status).toBe(404);
    const bad = await ship(nodeA, 'train-a0-r0', [{ seq: -1, stream: 'stdout', data: 'x' }]);
    expect(bad.status).toBe(422);
    expect(bad.text).toMatch(/chunks\[0\]\.seq/);
    expect((await ship(nodeA, 'train-a0-r0', [{ seq: 6, stream: 'tty', data: 'x' }])).status).toBe(422);
    expect((await h.call('POST', '/api/v1/projects/p1/allocations/train-a0-r0/logs', { token: nodeA, body: { lines: [] } })).status).toBe(422);
    expect((await read('?attempt=0')).text).not.toContain('x');
  });
});

describe('reading logs', () => {
  it('reads the newest attempt of replica 0 by default, then previous, attempt, replica and tail', async () => {
    const latest = await read();
    expect(latest.status).toBe(200);
    expect(latest.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(latest.text).toBe('attempt 1 hello\n');
    expect((await read('?previous=true')).text).toBe('attempt 0 line 1\nattempt 0 warning\n');
    expect((await read('?replica=1')).text).toBe('rank 1 here\n');
    expect((await read('?attempt=0&tail=1')).text).toBe('attempt 0 warning\n');
  });

  it('answers 404 for what does not exist and 400 for bad parameters', async () => {
    expect((await read('?replica=1&previous=true')).status).toBe(404);
    expect((await read('?attempt=7')).status).toBe(404);
    expect((await read('', undefined, 'idle')).status).toBe(404);
    expect((await read('', undefined, 'ghost')).status).toBe(404);
    expect((await read('?replica=-1')).status).toBe(400);
    expect((await read('?previous=maybe')).status).toBe(400);
    expect((await read('?previous=true&attempt=0')).status).toBe(400);
  });

  it('lets readers of the project read, and nobody else', async () => {
    expect((await read('', viewer)).status).toBe(200);
    expect((await read('', outsider)).status).toBe(403);
    expect((await h.call('GET', '/api/v1/projects/p2/jobs/train/logs', { token: outsider })).status).toBe(404);
  });

  it('follows new chunks until the replica ends', async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 15_000);
    try {
      const res = await fetch(`${h.url}/api/v1/projects/p1/jobs/train/logs?replica=1&follow=true`, { headers: { authorization: `Bearer ${viewer}` }, signal: ac.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let got = '';
      const until = async (s: string) => {
        while (!got.includes(s)) {
          const r = await reader.read();
          if (r.done) throw new Error(`stream ended before "${s}"; got ${JSON.stringify(got)}`);
          got += decoder.decode(r.value, { stream: true });
        }
      };
      await until('rank 1 here\n');
      expect((await ship(nodeB, 'train-a1-r1', [{ seq: 1, stream: 'stdout', data: 'step 1\n' }])).status).toBe(204);
      await until('step 1\n');
      await ship(nodeB, 'train-a1-r1', [{ seq: 2, stream: 'stdout', data: 'bye\n' }]);
      const done = await h.call('PATCH', '/api/v1/projects/p1/allocations/train-a1-r1/status', { token: nodeB, body: { status: { phase: 'Succeeded', exitCode: 0 } } });
      expect(done.status).toBe(200);
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        got += decoder.decode(r.value, { stream: true });
      }
      expect(got).toBe('rank 1 here\nstep 1\nbye\n');
    } finally {
      clearTimeout(timer);
    }
  });
});
