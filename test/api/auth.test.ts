// Authentication and the token API over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin, hashToken } from '../../src/api/auth.js';
import { openStore } from '../../src/store/index.js';
import { mustCreate, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('alpha'));
  await mustCreate(h, '/api/v1/projects', project('beta'));
});
afterAll(async () => h?.close());

describe('bootstrap', () => {
  it('creates the admin and hands out a plain token once', async () => {
    const store = await openStore({});
    try {
      const first = await ensureBootstrapAdmin(store);
      expect(first.user).toBe('admin');
      expect(first.token).toMatch(/^weft_[A-Za-z0-9_-]{43}$/);
      const again = await ensureBootstrapAdmin(store);
      expect(again).toEqual({ user: 'admin' });
      // Only the hash is kept.
      const rec = await store.tokens.findByHash(hashToken(first.token!));
      expect(rec?.subject).toBe('admin');
      expect(JSON.stringify(await store.tokens.list())).not.toContain(first.token!);
    } finally {
      await store.close();
    }
  });
});

describe('authentication', () => {
  it('lets the public endpoints through and refuses everything else without a valid token', async () => {
    for (const path of ['/healthz', '/readyz', '/api/openapi.json']) expect((await h.call('GET', path, { token: null })).status).toBe(200);
    for (const token of [null, 'nope', `weft_${'A'.repeat(43)}`]) {
      const r = await h.call('GET', '/api/v1/sites', { token });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('Unauthorized');
    }
    const basic = await fetch(`${h.url}/api/v1/sites`, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.status).toBe(401);
  });

  it('rejects tokens of disabled and deleted users (expiry: clock.test.ts)', async () => {
    const token = await h.user('temp', [{ role: 'viewer', project: 'alpha' }]);
    expect((await h.call('GET', '/api/v1/whoami', { token })).body.user).toBe('temp');
    await h.call('PATCH', '/api/v1/users/temp', { body: { spec: { disabled: true } } });
    expect((await h.call('GET', '/api/v1/whoami', { token })).status).toBe(401);
    await h.call('PATCH', '/api/v1/users/temp', { body: { spec: { disabled: false } } });
    expect((await h.call('GET', '/api/v1/whoami', { token })).status).toBe(200);
    await h.call('DELETE', '/api/v1/users/temp');
    expect((await h.call('GET', '/api/v1/whoami', { token })).status).toBe(401);
  });
});

describe('token API', () => {
  it('admins create tokens for any user; the token is shown once and works', async () => {
    await h.user('carol', [{ role: 'member', project: 'alpha' }]);
    const r = await h.call('POST', '/api/v1/tokens', { body: { user: 'carol', description: 'laptop' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'user', subject: 'carol', description: 'laptop' });
    expect(r.body.id).toBeTruthy();
    const me = await h.call('GET', '/api/v1/whoami', { token: r.body.token });
    expect(me.body).toEqual({ user: 'carol', kind: 'user', roles: [{ role: 'member', project: 'alpha' }] });
    const list = await h.call('GET', '/api/v1/tokens');
    expect(list.body.items.some((t: { id: string }) => t.id === r.body.id)).toBe(true);
    expect(list.text).not.toContain(r.body.token);
    expect((await h.call('POST', '/api/v1/tokens', { body: { user: 'ghost' } })).status).toBe(404);
  });

  it('project-admins mint tokens only for users wholly inside their projects', async () => {
    const pa = await h.user('alpha-admin', [{ role: 'project-admin', project: 'alpha' }]);
    await h.user('alpha-only', [{ role: 'member', project: 'alpha' }]);
    await h.user('alpha-and-beta', [{ role: 'member', project: 'alpha' }, { role: 'viewer', project: 'beta' }]);
    await h.user('everywhere', [{ role: 'viewer' }]);
    expect((await h.call('POST', '/api/v1/tokens', { token: pa, body: { user: 'alpha-only' } })).status).toBe(201);
    expect((await h.call('POST', '/api/v1/tokens', { token: pa, body: { user: 'alpha-and-beta' } })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/tokens', { token: pa, body: { user: 'everywhere' } })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/tokens', { token: pa, body: { user: 'admin' } })).status).toBe(403);
  });

  it('members mint tokens for themselves only, list and revoke only their own', async () => {
    const m = await h.user('dave', [{ role: 'member', project: 'beta' }]);
    const mine = await h.call('POST', '/api/v1/tokens', { token: m, body: {} });
    expect(mine.status).toBe(201);
    expect(mine.body.subject).toBe('dave');
    expect((await h.call('POST', '/api/v1/tokens', { token: m, body: { user: 'carol' } })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/tokens', { token: m, body: { join: true } })).status).toBe(403);
    const list = await h.call('GET', '/api/v1/tokens', { token: m });
    expect(list.body.items.every((t: { subject: string }) => t.subject === 'dave')).toBe(true);
    const adminTokens = (await h.call('GET', '/api/v1/tokens')).body.items.filter((t: { subject: string }) => t.subject === 'admin');
    expect((await h.call('DELETE', `/api/v1/tokens/${adminTokens[0].id}`, { token: m })).status).toBe(404);
    expect((await h.call('DELETE', `/api/v1/tokens/${mine.body.id}`, { token: m })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/whoami', { token: mine.body.token })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/whoami', { token: m })).status).toBe(200);
  });

  it('join tokens are for admins and do not authenticate API requests', async () => {
    const j = await h.call('POST', '/api/v1/tokens', { body: { join: true, description: 'rack 7' } });
    expect(j.status).toBe(201);
    expect(j.body.kind).toBe('join');
    const r = await h.call('GET', '/api/v1/nodes', { token: j.body.token });
    expect(r.status).toBe(401);
  });

  it('node tokens act for their own Node only', async () => {
    const { issueToken } = await import('../../src/api/auth.js');
    const { token } = await issueToken(h.store, { kind: 'node', subject: 'gpu-01' });
    const node = (name: string) => ({ kind: 'Node', metadata: { name }, spec: { cpu: '64', memory: '512Gi' } });
    expect((await h.call('GET', '/api/v1/whoami', { token })).body).toMatchObject({ user: 'gpu-01', kind: 'node' });
    expect((await h.call('POST', '/api/v1/nodes', { token, body: node('gpu-01') })).status).toBe(201);
    expect((await h.call('PUT', '/api/v1/nodes/gpu-01/status', { token, body: { status: { state: 'Ready' } } })).status).toBe(403);
    expect((await h.call('PATCH', '/api/v1/nodes/gpu-01/status', { token, body: { status: { lastHeartbeatTime: new Date().toISOString() } } })).status).toBe(200);
    expect((await h.call('POST', '/api/v1/nodes', { token, body: node('gpu-02') })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/sites', { token })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/jobs', { token })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/projects', { token })).status).toBe(403);
    expect((await h.call('DELETE', '/api/v1/nodes/gpu-01', { token })).status).toBe(403);
  });
});
