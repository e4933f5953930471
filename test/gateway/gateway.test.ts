// The inference gateway against real local replicas: readiness, least outstanding requests, 503
// with nothing ready, auth and cross-project isolation, streaming, timeouts, the metric push.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushServiceMetric, WeftClient } from '../../src/client/index.js';
import type { Resource } from '../../src/model/metadata.js';
import { patchStatus, PROJECT, startGatewayHarness, startReplica, until, writeReplica, type FakeReplica, type GatewayHarness } from './helpers.js';

let h: GatewayHarness;
const replicas: FakeReplica[] = [];
const replica = async (name: string, opts: { delayMs?: number; ready?: boolean; hold?: boolean; host?: string } = {}) => {
  const r = await startReplica(name, opts);
  replicas.push(r);
  return r;
};
const running = (endpoint: string) => ({ phase: 'Running', endpoint });
const readiness = { path: '/ready', periodSeconds: 1 };

beforeAll(async () => {
  h = await startGatewayHarness({ requestTimeoutMs: 3_000, holdTimeoutMs: 1_500 });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await Promise.all(replicas.map((r) => r.close()));
});

describe('routing', () => {
  it('routes only to replicas that passed their readiness probe', async () => {
    const svc = await h.createService('chat', { replicas: { min: 2, max: 2 }, readiness });
    const a = await replica('a');
    const b = await replica('b', { ready: false });
    await writeReplica(h.store, svc, 0, running(a.url));
    await writeReplica(h.store, svc, 1, running(b.url));
    await writeReplica(h.store, svc, 2, { phase: 'Running' }); // simulated: no endpoint
    await writeReplica(h.store, svc, 3, { phase: 'Bound', endpoint: b.url }); // not running yet

    await until('replica a ready', async () => h.gateway.table.readyReplicas(PROJECT, 'chat').length === 1);
    for (let i = 0; i < 6; i++) {
      const r = await h.call('GET', `/${PROJECT}/chat/v1/models?x=${i}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ replica: 'a', url: `/v1/models?x=${i}` });
      expect(r.headers.get('x-weft-replica')).toBe('chat-0');
    }
    expect(b.hits).toBe(0);

    b.ready = true;
    await until('replica b ready', async () => h.gateway.table.readyReplicas(PROJECT, 'chat').length === 2);
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) served.add((await h.call('GET', `/${PROJECT}/chat/`)).body.replica);
    expect([...served].sort()).toEqual(['a', 'b']);

    // A replica asked to stop leaves the table at once.
    await patchStatus(h.store, PROJECT, 'chat-1', { stopRequested: { reason: 'ScaledDown', at: new Date().toISOString(), graceSeconds: 30 } });
    await until('replica b gone', async () => h.gateway.table.readyReplicas(PROJECT, 'chat').length === 1);
    const hitsB = b.hits;
    for (let i = 0; i < 4; i++) expect((await h.call('GET', `/${PROJECT}/chat/`)).body.replica).toBe('a');
    expect(b.hits).toBe(hitsB);
  });

  it('routes only to endpoints on the registered address of the replica\'s node', async () => {
    const svc = await h.createService('pinned', { replicas: { min: 2, max: 3 }, readiness });
    // Replica 0 claims an endpoint elsewhere than its node (127.0.0.1) registered.
    const elsewhere = await replica('elsewhere', { host: '127.0.0.2' });
    await writeReplica(h.store, svc, 0, running(elsewhere.url));
    const good = await replica('good');
    await writeReplica(h.store, svc, 1, running(good.url));
    await until('replica 1 ready', async () => h.gateway.table.readyReplicas(PROJECT, 'pinned').length === 1);
    expect(h.gateway.table.replicas(PROJECT, 'pinned').map((r) => r.name)).toEqual(['pinned-1']);
    for (let i = 0; i < 4; i++) expect((await h.call('GET', `/${PROJECT}/pinned/`)).body.replica).toBe('good');
    expect(elsewhere.hits).toBe(0);

    // A node registered at 127.0.0.2 may serve from there, once its address is known.
    await h.store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'node-two' }, spec: { cpu: '8', memory: '8Gi', provider: 'agent' }, status: { address: '127.0.0.9' } });
    const second = await replica('second', { host: '127.0.0.2' });
    await writeReplica(h.store, svc, 2, running(second.url), 'node-two');
    const node = (await h.store.get({ kind: 'Node', name: 'node-two' }))!;
    await h.store.update({ ...node, status: { address: '127.0.0.2' } }, { resourceVersion: node.metadata.resourceVersion });
    await until('replica 2 ready', async () => h.gateway.table.readyReplicas(PROJECT, 'pinned').length === 2);
    expect(h.gateway.table.replicas(PROJECT, 'pinned').map((r) => r.name).sort()).toEqual(['pinned-1', 'pinned-2']);
  });

  it('sends new requests to the replica with the fewest outstanding (a stuck one gets one)', async () => {
    const svc = await h.createService('lor', { replicas: { min: 2, max: 2 }, readiness });
    const fast = await replica('fast');
    const stuck = await replica('stuck', { hold: true });
    await writeReplica(h.store, svc, 0, running(fast.url));
    await writeReplica(h.store, svc, 1, running(stuck.url));
    await until('both ready', async () => h.gateway.table.readyReplicas(PROJECT, 'lor').length === 2);
    // One request at a time: once the stuck replica holds one, every later one has a better choice.
    const open: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const before = { fast: fast.hits, stuck: stuck.hits };
      const call = h.call('POST', `/${PROJECT}/lor/generate`, { body: { i } });
      await until('the request to arrive', async () => fast.hits + stuck.hits > before.fast + before.stuck);
      if (fast.hits > before.fast) expect((await call).status).toBe(200);
      else open.push(call);
    }
    expect(stuck.hits).toBe(1);
    expect(fast.hits).toBe(19);
    expect(h.gateway.traffic.inFlight(PROJECT, 'lor')).toBe(1);
    stuck.release();
    await Promise.all(open);
    await until('nothing in flight', async () => h.gateway.traffic.inFlight(PROJECT, 'lor') === 0);
  });

  it('frees the place of a caller that goes away, at once', async () => {
    const svc = await h.createService('hang', { replicas: { min: 1, max: 1 }, readiness });
    const stuck = await replica('hang', { hold: true });
    await writeReplica(h.store, svc, 0, running(stuck.url));
    await until('ready', async () => h.gateway.table.readyReplicas(PROJECT, 'hang').length === 1);
    const gone = new AbortController();
    const req = fetch(`${h.url}/${PROJECT}/hang/x`, { headers: { authorization: `Bearer ${h.adminToken}` }, signal: gone.signal }).catch(() => 'aborted');
    await until('the request at the replica', async () => stuck.hits === 1);
    expect(h.gateway.traffic.inFlight(PROJECT, 'hang')).toBe(1);
    gone.abort();
    expect(await req).toBe('aborted');
    await until('nothing in flight', async () => h.gateway.traffic.inFlight(PROJECT, 'hang') === 0);
    expect(h.gateway.table.readyReplicas(PROJECT, 'hang')[0]?.outstanding).toBe(0);
    stuck.release();
  });

  it('answers 503 with Retry-After when no replica is ready, 404 for an unknown service', async () => {
    const svc = await h.createService('sim', { replicas: { min: 1, max: 1 } });
    await writeReplica(h.store, svc, 0, { phase: 'Running' });
    const r = await h.call('GET', `/${PROJECT}/sim/v1/completions`);
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body).toMatchObject({ code: 'NoReadyReplicas' });
    expect(r.body.detail).toContain('service "sim" in project "serve" has no ready replicas');

    const missing = await h.call('GET', `/${PROJECT}/nope/`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('service "nope" not found in project "serve"');
  });

  it('streams request and response bodies, and passes no credential to the replica', async () => {
    const svc = await h.createService('stream', { replicas: { min: 1, max: 1 }, readiness });
    const s = await replica('s');
    await writeReplica(h.store, svc, 0, running(s.url));
    await until('ready', async () => h.gateway.table.readyReplicas(PROJECT, 'stream').length === 1);
    const res = await fetch(`${h.url}/${PROJECT}/stream/stream`, { headers: { authorization: `Bearer ${h.adminToken}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('one\ntwo\n');
    const big = 'x'.repeat(3 * 1024 * 1024); // over the API's JSON body limit: the gateway does not buffer
    const post = await fetch(`${h.url}/${PROJECT}/stream/upload`, { method: 'POST', body: big, headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/octet-stream' } });
    expect(post.status).toBe(200);
    expect(s.last?.body.length).toBe(big.length);
    expect(s.last?.headers.authorization).toBeUndefined();
    expect(s.last?.headers['x-forwarded-prefix']).toBe(`/${PROJECT}/stream`);
    // Inference traffic changes nothing in Weft: the audit log keeps to the control-plane API.
    await h.store.audit.flush();
    const entries = await h.store.audit.list({});
    expect(entries.some((e) => e.path.startsWith(`/${PROJECT}/`))).toBe(false);
    expect(entries.some((e) => e.path.startsWith('/api/'))).toBe(true);
  });

  it('answers 504 when a replica is slower than the request timeout, and the server paths stay its own', async () => {
    const svc = await h.createService('slowpoke', { replicas: { min: 1, max: 1 }, readiness });
    const s = await replica('slowpoke', { delayMs: 8_000 });
    await writeReplica(h.store, svc, 0, running(s.url));
    await until('ready', async () => h.gateway.table.readyReplicas(PROJECT, 'slowpoke').length === 1);
    const r = await h.call('GET', `/${PROJECT}/slowpoke/`);
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('UpstreamTimeout');
    expect(h.gateway.traffic.inFlight(PROJECT, 'slowpoke')).toBe(0);
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    expect((await h.call('GET', '/api/v1/nothing-here')).status).toBe(404);
    expect((await h.call('GET', `/api/v1/projects/${PROJECT}/services/slowpoke`)).status).toBe(200);
  });
});

describe('auth', () => {
  let svc: Resource;
  beforeAll(async () => {
    svc = await h.createService('private', { replicas: { min: 1, max: 1 }, readiness, autoscaling: { metric: { name: 'queue_depth', target: 5 } } });
    const r = await replica('private');
    await writeReplica(h.store, svc, 0, running(r.url));
    await h.store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'other' }, spec: {} });
    await until('ready', async () => h.gateway.table.readyReplicas(PROJECT, 'private').length === 1);
  });

  it('needs a token that may read the project; other projects get 403 and learn nothing', async () => {
    const viewer = await h.user('viewer', [{ role: 'viewer', project: PROJECT }]);
    const outsider = await h.user('outsider', [{ role: 'project-admin', project: 'other' }]);
    const none = await h.call('GET', `/${PROJECT}/private/`, { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect((await h.call('GET', `/${PROJECT}/private/`, { token: 'weft_' + 'a'.repeat(43) })).status).toBe(401);
    expect((await h.call('GET', `/${PROJECT}/private/`, { token: viewer })).status).toBe(200);
    const denied = await h.call('GET', `/${PROJECT}/private/`, { token: outsider });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('Forbidden');
    // Same answer whether or not the service exists.
    expect((await h.call('GET', `/${PROJECT}/no-such-service/`, { token: outsider })).status).toBe(403);
  });

  it('accepts a pushed metric from project members only, for the metric the service scales on', async () => {
    const member = await h.user('member', [{ role: 'member', project: PROJECT }]);
    const viewer = await h.user('viewer2', [{ role: 'viewer', project: PROJECT }]);
    const outsider = await h.user('outsider2', [{ role: 'member', project: 'other' }]);
    const path = `/api/v1/projects/${PROJECT}/services/private/metrics`;
    await pushServiceMetric(new WeftClient({ server: h.url, token: member }), PROJECT, 'private', { name: 'queue_depth', value: 12 });
    expect(h.gateway.traffic.sample(PROJECT, 'private', 'queue_depth').metric).toBe(12);
    expect((await h.call('POST', path, { token: viewer, body: { name: 'queue_depth', value: 1 } })).status).toBe(403);
    expect((await h.call('POST', path, { token: outsider, body: { name: 'queue_depth', value: 1 } })).status).toBe(403);
    const wrong = await h.call('POST', path, { token: member, body: { name: 'tokens', value: 1 } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.issues[0].field).toBe('name');
    const bad = await h.call('POST', path, { token: member, body: { name: 'queue_depth', value: -1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0].field).toBe('value');
    expect((await h.call('POST', `/api/v1/projects/${PROJECT}/services/ghost/metrics`, { token: member, body: { name: 'q', value: 1 } })).status).toBe(404);
  });
});
