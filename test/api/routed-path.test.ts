// Percent-encoded paths are routed like plain ones (`/%61pi/v1/…` is `/api/v1/…`), so every
// decision about a request is taken on the routed path: such writes are audited, and a change of
// credentials made through one takes effect at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('enc'));
});
afterAll(async () => h?.close());

interface Entry {
  requestId: string;
  verb: string;
  kind: string;
  project: string;
  name: string;
  path: string;
  status: number;
}

async function entryOf(requestId: string | null): Promise<Entry | undefined> {
  const r = await h.call<{ items: Entry[] }>('GET', '/api/v1/audit?limit=10000');
  return r.body.items.find((e) => e.requestId === requestId);
}

describe('percent-encoded API paths', () => {
  it('audits writes made through them, naming what the router acted on', async () => {
    const created = await h.call('POST', '/%61pi/v1/projects/enc/jobs', { body: job('sneaky') });
    expect(created.status, created.text).toBe(201);
    expect(await entryOf(created.headers.get('x-request-id'))).toMatchObject({ verb: 'create', kind: 'Job', project: 'enc', name: 'sneaky', status: 201, path: '/%61pi/v1/projects/enc/jobs' });

    const deleted = await h.call('DELETE', '/%61pi/v1/projects/%65nc/jobs/sneak%79');
    expect(deleted.status, deleted.text).toBe(200);
    expect(await entryOf(deleted.headers.get('x-request-id'))).toMatchObject({ verb: 'delete', kind: 'Job', project: 'enc', name: 'sneaky', status: 200 });
  });

  it('a user disabled through one loses access at once', async () => {
    const token = await h.user('soon-gone', [{ role: 'viewer', project: 'enc' }]);
    // Authenticated once, so the principal sits in the server's short-lived cache.
    expect((await h.call('GET', '/api/v1/whoami', { token })).status).toBe(200);
    const disabled = await h.call('PATCH', '/%61pi/v1/users/soon-gone', { body: { spec: { disabled: true } }, contentType: 'application/merge-patch+json' });
    expect(disabled.status, disabled.text).toBe(200);
    expect((await h.call('GET', '/api/v1/whoami', { token })).status).toBe(401);
  });

  it('still needs a token for the public paths spelled differently', async () => {
    // Only the exact public routes skip authentication; an encoded spelling routes to them and
    // is let through too, while an unknown path needs a token before it gets a 404.
    expect((await h.call('GET', '/%68ealthz', { token: null })).status).toBe(200);
    expect((await h.call('GET', '/no/such/path', { token: null })).status).toBe(401);
    expect((await h.call('GET', '/no/such/path')).status).toBe(404);
  });
});
