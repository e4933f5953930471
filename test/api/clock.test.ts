// The API's time is the clock it was given, never the wall clock: a token expires, and an
// exhausted budget's period ends, when that clock says so. The clock is set far from the wall
// clock, so anything that read the wall clock instead would show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/control/clock.js';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

const clock = new ManualClock(Date.parse('2030-06-01T12:00:00Z'));
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
  await mustCreate(h, '/api/v1/projects', project('alpha'));
});
afterAll(async () => h?.close());

describe("the API's clock", () => {
  it('expires a token when the clock passes its expiry', async () => {
    const short = await h.call('POST', '/api/v1/tokens', { body: { user: 'admin', expiresInSeconds: 60 } });
    expect(short.status).toBe(201);
    expect(short.body.expiresAt).toBe(new Date(clock.now().getTime() + 60_000).toISOString());
    expect((await h.call('GET', '/api/v1/whoami', { token: short.body.token })).status).toBe(200);
    clock.advance(59_000);
    expect((await h.call('GET', '/api/v1/whoami', { token: short.body.token })).status).toBe(200);
    clock.advance(1_000);
    expect((await h.call('GET', '/api/v1/whoami', { token: short.body.token })).status).toBe(401);
  });

  it('admits new work again once an exhausted budget\'s period has ended by the clock', async () => {
    const periodEnd = new Date(clock.now().getTime() + 3_600_000).toISOString();
    await mustCreate(h, '/api/v1/projects/alpha/budgets', { apiVersion: 'weft/v1', kind: 'Budget', metadata: { name: 'cap' }, spec: { limit: { gpuHours: 1 }, enforce: true } });
    const st = await h.call('PATCH', '/api/v1/projects/alpha/budgets/cap/status', {
      body: { status: { period: '2030-06', periodEnd, exhausted: true, used: { gpuHours: 2 } } },
      contentType: 'application/merge-patch+json',
    });
    expect(st.status).toBe(200);
    const refused = await h.call('POST', '/api/v1/projects/alpha/jobs', { body: job('early') });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/budget "cap" of project "alpha" is exhausted/);
    clock.advance(3_600_001);
    expect((await h.call('POST', '/api/v1/projects/alpha/jobs', { body: job('later') })).status).toBe(201);
  });
});
