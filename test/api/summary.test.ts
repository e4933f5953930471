// The fleet summary over real HTTP: figures from Nodes, the GPU ledger and workloads; workloads
// narrowed to the caller's projects; node tokens refused; and the live stream, which sends a new
// summary when a figure the caller can see moves, and nothing when only other projects change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/api/auth.js';
import type { FleetSummary } from '../../src/model/summary.js';
import { job, mustCreate, openSse, project, sleep, startHarness, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  for (const p of ['vision', 'other']) await mustCreate(h, '/api/v1/projects', project(p));
  await mustCreate(h, '/api/v1/nodes', {
    apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'n1' },
    spec: { site: 'eu-fra-1', cpu: '64', memory: '512Gi', gpus: [0, 1].map((index) => ({ index, model: 'H100-80GB', memory: '80Gi' })) },
  });
  await mustCreate(h, '/api/v1/queues', { apiVersion: 'weft/v1', kind: 'Queue', metadata: { name: 'research' }, spec: {} });
  await mustCreate(h, '/api/v1/projects/vision/jobs', job('train', { queue: 'research' }));
  await mustCreate(h, '/api/v1/projects/vision/jobs', job('eval'));
  await mustCreate(h, '/api/v1/projects/other/jobs', job('theirs'));
  await mustCreate(h, '/api/v1/projects/vision/allocations', {
    apiVersion: 'weft/v1', kind: 'Allocation', metadata: { name: 'train-0' },
    spec: {
      workload: { kind: 'Job', name: 'train', uid: '00000000-0000-0000-0000-000000000000' },
      replica: 0, attempt: 0, node: 'n1', gpus: [{ index: 0, model: 'H100-80GB', milli: 1000 }], cpuMilli: 1000, memoryBytes: 0,
    },
  });
});

afterAll(async () => {
  await h?.close();
});

describe('GET /api/v1/summary', () => {
  it('gives a cluster admin the fleet and every project', async () => {
    const r = await h.call<FleetSummary>('GET', '/api/v1/summary');
    expect(r.status).toBe(200);
    expect(r.body.gpus).toEqual([{ model: 'H100-80GB', site: 'eu-fra-1', total: 2, allocated: 1, fragmented: 0, free: 1 }]);
    expect(r.body.nodes).toEqual([{ state: 'Unknown', cordoned: false, draining: false, count: 1 }]);
    expect(r.body.workloads).toEqual([
      { kind: 'Job', project: 'other', phase: 'Pending', queue: '', count: 1 },
      { kind: 'Job', project: 'vision', phase: 'Pending', queue: '', count: 1 },
      { kind: 'Job', project: 'vision', phase: 'Pending', queue: 'research', count: 1 },
    ]);
    expect(r.body.held).toEqual([{ project: 'vision', model: 'H100-80GB', gpus: 1 }]);
    expect(Number.isNaN(Date.parse(r.body.generatedAt))).toBe(false);
  });

  it("shows a project viewer the fleet's GPUs but only its own project's workloads", async () => {
    const viewer = await h.user('olga', [{ role: 'viewer', project: 'other' }]);
    const r = await h.call<FleetSummary>('GET', '/api/v1/summary', { token: viewer });
    expect(r.status).toBe(200);
    expect(r.body.gpus[0]).toMatchObject({ total: 2, allocated: 1 });
    expect(r.body.workloads).toEqual([{ kind: 'Job', project: 'other', phase: 'Pending', queue: '', count: 1 }]);
    expect(r.body.held).toEqual([]);
    const nobody = await h.user('nemo', []);
    expect((await h.call<FleetSummary>('GET', '/api/v1/summary', { token: nobody })).body.workloads).toEqual([]);
  });

  it('refuses node tokens and anonymous callers', async () => {
    const { token } = await issueToken(h.store, { kind: 'node', subject: 'n1' });
    const r = await h.call('GET', '/api/v1/summary', { token });
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/may not read the fleet summary/);
    expect((await h.call('GET', '/api/v1/summary', { token: null })).status).toBe(401);
  });

  it('streams a new summary when a visible figure moves, and none for other projects', async () => {
    const viewer = await h.user('vera', [{ role: 'viewer', project: 'other' }]);
    const stream = await openSse(`${h.url}/api/v1/summary?watch=true`, viewer);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
      const [first] = await stream.waitFor(1);
      expect(first!.data.type).toBe('SUMMARY');
      expect(first!.data.object.workloads).toEqual([{ kind: 'Job', project: 'other', phase: 'Pending', queue: '', count: 1 }]);

      // A change the viewer cannot see sends nothing (the stream recomputes at most once a second).
      await mustCreate(h, '/api/v1/projects/vision/jobs', job('hidden'));
      await sleep(2500);
      expect(stream.events).toHaveLength(1);

      await mustCreate(h, '/api/v1/projects/other/jobs', job('second'));
      const [, second] = await stream.waitFor(2, 5000);
      expect(second!.data.object.workloads).toEqual([{ kind: 'Job', project: 'other', phase: 'Pending', queue: '', count: 2 }]);
      expect(BigInt(second!.id!)).toBeGreaterThan(BigInt(first!.id!));

      // GPUs are fleet-wide: freeing one moves the viewer's figures too.
      const alloc = await h.call('GET', '/api/v1/projects/vision/allocations/train-0');
      await h.call('PUT', '/api/v1/projects/vision/allocations/train-0/status', { body: { ...alloc.body, status: { phase: 'Succeeded' } } });
      const [, , third] = await stream.waitFor(3, 5000);
      expect(third!.data.object.gpus[0]).toMatchObject({ allocated: 0, free: 2 });
    } finally {
      stream.close();
    }
  });

  it('refuses a bad watch parameter, naming it', async () => {
    const r = await h.call('GET', '/api/v1/summary?watch=maybe');
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/watch/);
  });
});
