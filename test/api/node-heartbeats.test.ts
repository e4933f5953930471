// Node heartbeats over real HTTP: an agent's heartbeat renews its node's liveness in place (no
// Node write, no watch event, no audit entry), readers see it as status.lastHeartbeatTime, a node
// token renews only its own node, and a real change of the Node's status is still written and
// watched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/control/clock.js';
import { mustCreate, openSse, startHarness, type Harness } from './helpers.js';

let h: Harness;
const clock = new ManualClock(Date.parse('2030-03-01T00:00:00Z'));
const gpus = [0, 1].map((index) => ({ index, model: 'H100-80GB', uuid: `GPU-${index}` }));
const spec = { cpu: '8', memory: '32Gi', gpus };
let tokA: string;
let tokB: string;

async function register(name: string): Promise<string> {
  const join = await mustCreate(h, '/api/v1/tokens', { join: true });
  const r = await h.call('POST', '/api/v1/nodes/register', { token: join.token, body: { name, spec, status: { address: '127.0.0.1', inventory: { gpus } } } });
  expect(r.status).toBe(201);
  return r.body.token as string;
}

const beat = (node: string, token: string, body?: unknown) => h.call('POST', `/api/v1/nodes/${node}/heartbeat`, { token, ...(body !== undefined ? { body } : {}) });
const auditOf = async (node: string) => (await h.store.audit.list({ limit: 10_000 })).filter((e) => e.name === node && e.path.endsWith('/heartbeat'));

beforeAll(async () => {
  h = await startHarness({ clock });
  tokA = await register('beat-a');
  tokB = await register('beat-b');
}, 120_000);
afterAll(async () => h?.close());

describe('node heartbeats', () => {
  it('renew the node in place: readers see the time, the Node keeps its version, watchers and the audit log see nothing', async () => {
    const before = await h.call('GET', '/api/v1/nodes/beat-a');
    const rv = await h.store.currentResourceVersion();
    const watch = await openSse(`${h.url}/api/v1/nodes?watch=true&resourceVersion=${rv}`, h.adminToken);
    try {
      for (let k = 1; k <= 6; k++) {
        clock.advance(10_000);
        const r = await beat('beat-a', tokA);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ node: 'beat-a', lastHeartbeatTime: clock.now().toISOString() });
      }
      const got = await h.call('GET', '/api/v1/nodes/beat-a');
      expect(got.body.status.lastHeartbeatTime).toBe(clock.now().toISOString());
      expect(got.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
      const listed = (await h.call('GET', '/api/v1/nodes')).body.items.find((n: any) => n.metadata.name === 'beat-a');
      expect(listed.status.lastHeartbeatTime).toBe(clock.now().toISOString());
      expect(await h.store.currentResourceVersion()).toBe(rv);
      expect(watch.events).toEqual([]);
      expect(await auditOf('beat-a')).toEqual([]);
    } finally {
      watch.close();
    }
  });

  it("a node's token cannot renew another node's heartbeat, and the refusal is audited", async () => {
    const before = await h.store.heartbeats.get('beat-b');
    clock.advance(10_000);
    const r = await beat('beat-b', tokA);
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/node "beat-a"/);
    expect(await h.store.heartbeats.get('beat-b')).toBe(before);
    await h.store.audit.flush();
    expect((await auditOf('beat-b')).map((e) => [e.principal, e.status])).toEqual([['beat-a', 403]]);
    expect((await beat('beat-b', tokB)).status).toBe(200);
  });

  it('refuses a body, an unknown node and a missing token, naming what is wrong', async () => {
    const withBody = await beat('beat-a', tokA, { status: { state: 'Ready' } });
    expect(withBody.status).toBe(400);
    expect(withBody.body.detail).toMatch(/PATCH \/api\/v1\/nodes\/\{name\}\/status/);
    expect((await beat('beat-a', tokA, {})).status).toBe(200);
    expect((await beat('no-such-node', h.adminToken)).status).toBe(404);
    expect((await h.call('POST', '/api/v1/nodes/beat-a/heartbeat', { token: null })).status).toBe(401);
  });

  it('still writes, and streams to watchers, a real change of the Node status (a GPU disappears)', async () => {
    const rv = await h.store.currentResourceVersion();
    const watch = await openSse(`${h.url}/api/v1/nodes?watch=true&resourceVersion=${rv}`, h.adminToken);
    try {
      const r = await h.call('PATCH', '/api/v1/nodes/beat-a/status', { token: tokA, body: { status: { inventory: { gpus: gpus.slice(0, 1) } } }, contentType: 'application/merge-patch+json' });
      expect(r.status).toBe(200);
      const [ev] = await watch.waitFor(1);
      expect(ev!.data.type).toBe('MODIFIED');
      expect(ev!.data.object.status.inventory.gpus).toHaveLength(1);
      expect(BigInt(ev!.data.object.metadata.resourceVersion)).toBeGreaterThan(BigInt(rv));
    } finally {
      watch.close();
    }
  });
});
