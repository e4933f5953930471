// The audit log over real HTTP: every mutating request (allowed or refused) is recorded with who,
// what, result, source and request id; reads are not; project-admins see only their projects;
// tampering with the database behind the API is found by verify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverOf } from '../../src/store/store.js';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

interface Entry {
  id: string;
  time: string;
  requestId: string;
  principal: string;
  principalKind: string;
  verb: string;
  kind: string;
  project: string;
  name: string;
  method: string;
  path: string;
  status: number;
  source: string;
}

let h: Harness;
let padmin: string;
let member: string;

beforeAll(async () => {
  h = await startHarness();
  for (const p of ['own', 'other']) await mustCreate(h, '/api/v1/projects', project(p));
  padmin = await h.user('padmin', [{ role: 'project-admin', project: 'own' }]);
  member = await h.user('pmember', [{ role: 'member', project: 'own' }]);
});
afterAll(async () => h?.close());

async function entries(query = '', token?: string): Promise<Entry[]> {
  const r = await h.call<{ items: Entry[] }>('GET', `/api/v1/audit${query}`, token ? { token } : {});
  expect(r.status, r.text).toBe(200);
  return r.body.items;
}

const byRequest = (all: Entry[], id: string | null): Entry | undefined => all.find((e) => e.requestId === id);

describe('audit log', () => {
  it('records a successful create with who, what, result, source and request id', async () => {
    const r = await h.call('POST', '/api/v1/projects/own/jobs', { body: job('a1'), token: member });
    expect(r.status).toBe(201);
    const rid = r.headers.get('x-request-id');
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    const e = byRequest(await entries('?limit=10000'), rid);
    expect(e).toMatchObject({
      principal: 'pmember',
      principalKind: 'user',
      verb: 'create',
      kind: 'Job',
      project: 'own',
      name: 'a1',
      method: 'POST',
      path: '/api/v1/projects/own/jobs',
      status: 201,
      source: '127.0.0.1',
    });
    expect(Math.abs(Date.parse(e!.time) - Date.now())).toBeLessThan(60_000);
  });

  it('records refused requests (403, 404, 401) and status, patch and delete verbs', async () => {
    const refused = await h.call('DELETE', '/api/v1/projects/other/jobs/x', { token: member });
    expect(refused.status).toBe(403);
    const missing = await h.call('DELETE', '/api/v1/projects/own/jobs/nope', { token: member });
    expect(missing.status).toBe(404);
    // Refused before its body is read: the entry names the collection, not the object.
    const anon = await h.call('POST', '/api/v1/projects/own/jobs', { body: job('anon'), token: null });
    expect(anon.status).toBe(401);
    await mustCreate(h, '/api/v1/projects/own/jobs', job('a2'));
    const patched = await h.call('PATCH', '/api/v1/projects/own/jobs/a2', { body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    const status = await h.call('PATCH', '/api/v1/projects/own/jobs/a2/status', { body: { status: { message: 'hi' } }, contentType: 'application/merge-patch+json', token: member });
    expect(status.status).toBe(403);
    const all = await entries('?limit=10000');
    expect(byRequest(all, refused.headers.get('x-request-id'))).toMatchObject({ verb: 'delete', kind: 'Job', project: 'other', name: 'x', status: 403, principal: 'pmember' });
    expect(byRequest(all, missing.headers.get('x-request-id'))).toMatchObject({ verb: 'delete', status: 404 });
    expect(byRequest(all, anon.headers.get('x-request-id'))).toMatchObject({ principal: '', principalKind: 'anonymous', kind: 'Job', project: 'own', status: 401 });
    expect(byRequest(all, patched.headers.get('x-request-id'))).toMatchObject({ verb: 'patch', name: 'a2', status: 200, principal: 'admin' });
    expect(byRequest(all, status.headers.get('x-request-id'))).toMatchObject({ verb: 'status', name: 'a2', status: 403 });
  });

  it('records token create and revoke, naming the token', async () => {
    const created = await h.call<{ id: string }>('POST', '/api/v1/tokens', { body: { description: 'ci' }, token: member });
    expect(created.status).toBe(201);
    const revoked = await h.call('DELETE', `/api/v1/tokens/${created.body.id}`, { token: member });
    expect(revoked.status).toBe(200);
    const all = await entries('?user=pmember&limit=10000');
    expect(byRequest(all, created.headers.get('x-request-id'))).toMatchObject({ verb: 'create', kind: 'Token', name: created.body.id, status: 201 });
    expect(byRequest(all, revoked.headers.get('x-request-id'))).toMatchObject({ verb: 'delete', kind: 'Token', name: created.body.id, status: 200 });
  });

  it('does not record reads', async () => {
    const before = await entries('?limit=10000');
    const r = await h.call('GET', '/api/v1/projects/own/jobs');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBeTruthy();
    await h.call('GET', '/api/v1/projects/own/jobs/a1');
    const after = await entries('?limit=10000');
    expect(after.length).toBe(before.length);
    expect(after.some((e) => e.method === 'GET')).toBe(false);
  });

  it('shows project-admins only their projects, and refuses everyone else', async () => {
    await mustCreate(h, '/api/v1/projects/other/jobs', job('b1'));
    const mine = await entries('?limit=10000', padmin);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.project === 'own')).toBe(true);
    expect((await h.call('GET', '/api/v1/audit?project=other', { token: padmin })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/audit', { token: member })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/audit/verify', { token: padmin })).status).toBe(403);
    const all = await entries('?project=other&limit=10000');
    expect(all.some((e) => e.name === 'b1')).toBe(true);
  });

  it('pages with limit and after, and filters by since', async () => {
    const first = await entries('?limit=2');
    expect(first).toHaveLength(2);
    const r = await h.call<{ items: Entry[]; next?: string }>('GET', '/api/v1/audit?limit=2');
    expect(r.body.next).toBe(first[1]!.id);
    const second = await entries(`?limit=2&after=${first[1]!.id}`);
    expect(BigInt(second[0]!.id)).toBeGreaterThan(BigInt(first[1]!.id));
    expect(await entries(`?since=${new Date(Date.now() + 3_600_000).toISOString()}`)).toEqual([]);
    expect((await h.call('GET', '/api/v1/audit?since=yesterday')).status).toBe(400);
    expect((await h.call('GET', '/api/v1/audit?limit=0')).status).toBe(400);
  });

  it('offers no way to change or delete entries', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await h.call(method, '/api/v1/audit', { body: {} });
      expect([404, 405]).toContain(r.status);
    }
  });

  it('verify is intact, then names a modified entry and the entry after a removed one', async () => {
    const ok = await h.call<{ ok: boolean; checked: number }>('GET', '/api/v1/audit/verify');
    expect(ok.body).toMatchObject({ ok: true });
    expect(ok.body.checked).toBeGreaterThan(10);
    const all = await entries('?limit=10000');
    const [x, y, z] = all.slice(-3);
    const driver = driverOf(h.store)!;
    // What a database superuser could do: switch the append-only trigger off and rewrite history.
    const tamper = (statement: string, id: string): Promise<void> =>
      driver.writeTx(async (sql) => {
        await sql.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
        await sql.query(statement, [id]);
        await sql.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
        return { value: undefined };
      });
    await tamper("UPDATE audit_log SET principal = 'someone-else' WHERE id = $1::bigint", x!.id);
    const changed = await h.call<{ ok: boolean; firstBadId: string; reason: string }>('GET', '/api/v1/audit/verify');
    expect(changed.body).toMatchObject({ ok: false, firstBadId: x!.id });
    await tamper(`UPDATE audit_log SET principal = '${x!.principal}' WHERE id = $1::bigint`, x!.id);
    expect((await h.call('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
    await tamper('DELETE FROM audit_log WHERE id = $1::bigint', y!.id);
    const removed = await h.call<{ ok: boolean; firstBadId: string; reason: string }>('GET', '/api/v1/audit/verify');
    expect(removed.body).toMatchObject({ ok: false, firstBadId: z!.id });
    expect(removed.body.reason).toMatch(/removed/);
  });
});
