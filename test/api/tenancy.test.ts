// The tenancy matrix: roles × verbs × own/other project over real HTTP. Expectations are written
// out here from docs/api.md, independently of the RBAC code, and every refusal must be a 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, openSse, project, startHarness, type Harness } from './helpers.js';

type Who = 'admin' | 'project-admin' | 'member' | 'viewer' | 'cluster-viewer' | 'none';
interface Can {
  read: boolean;
  writeJob: boolean;
  writeEvent: boolean;
  writeStatus: boolean;
}
const NOTHING: Can = { read: false, writeJob: false, writeEvent: false, writeStatus: false };
const EVERYTHING: Can = { read: true, writeJob: true, writeEvent: true, writeStatus: true };
const READ_ONLY: Can = { ...NOTHING, read: true };

// "own" is project "own" (where project-scoped roles are bound); "other" is project "other".
const MATRIX: Record<Who, { own: Can; other: Can }> = {
  admin: { own: EVERYTHING, other: EVERYTHING },
  'project-admin': { own: { read: true, writeJob: true, writeEvent: true, writeStatus: false }, other: NOTHING },
  member: { own: { read: true, writeJob: true, writeEvent: false, writeStatus: false }, other: NOTHING },
  viewer: { own: READ_ONLY, other: NOTHING },
  'cluster-viewer': { own: READ_ONLY, other: READ_ONLY },
  none: { own: NOTHING, other: NOTHING },
};

let h: Harness;
const tokens = {} as Record<Who, string>;
const event = (name: string) => ({ kind: 'Event', metadata: { name }, spec: { type: 'Normal', reason: 'R', message: 'm', involvedObject: { kind: 'Job', name: 'x' } } });

beforeAll(async () => {
  h = await startHarness();
  for (const p of ['own', 'other']) {
    await mustCreate(h, '/api/v1/projects', project(p));
    await mustCreate(h, `/api/v1/projects/${p}/jobs`, job(`fixture-${p}`));
    await mustCreate(h, `/api/v1/projects/${p}/events`, event(`fixture-${p}`));
  }
  tokens.admin = h.adminToken;
  tokens['project-admin'] = await h.user('padmin', [{ role: 'project-admin', project: 'own' }]);
  tokens.member = await h.user('pmember', [{ role: 'member', project: 'own' }]);
  tokens.viewer = await h.user('pviewer', [{ role: 'viewer', project: 'own' }]);
  tokens['cluster-viewer'] = await h.user('cviewer', [{ role: 'viewer' }]);
  tokens.none = await h.user('nobody', []);
});
afterAll(async () => h?.close());

const ok = (allowed: boolean, success: number) => (allowed ? success : 403);

describe('tenancy matrix', () => {
  for (const who of Object.keys(MATRIX) as Who[]) {
    for (const where of ['own', 'other'] as const) {
      const can = MATRIX[who][where];
      it(`${who} in ${where} project: ${JSON.stringify(can)}`, async () => {
        const token = tokens[who];
        const base = `/api/v1/projects/${where}`;
        const tag = `${who}-${where}`.replace(/[^a-z-]/g, '');
        // Each case gets its own fixture so writes in one case do not disturb another.
        const fixture = await mustCreate(h, `${base}/jobs`, job(`t-${tag}`));
        const codes: Record<string, number> = {};
        const expected: Record<string, number> = {};
        const step = async (label: string, want: number, run: () => Promise<{ status: number }>) => {
          codes[label] = (await run()).status;
          expected[label] = want;
        };

        await step('get job', ok(can.read, 200), () => h.call('GET', `${base}/jobs/fixture-${where}`, { token }));
        await step('list jobs', ok(can.read, 200), () => h.call('GET', `${base}/jobs`, { token }));
        await step('get event', ok(can.read, 200), () => h.call('GET', `${base}/events/fixture-${where}`, { token }));
        const w = await openSse(`${h.url}${base}/jobs?watch=true`, token);
        codes['watch jobs'] = w.status;
        expected['watch jobs'] = ok(can.read, 200);
        if (w.status === 200) {
          const evs = await w.waitFor(1);
          expect(evs.every((e) => e.data.object.metadata.project === where)).toBe(true);
        }
        w.close();
        await step('create job', ok(can.writeJob, 201), () => h.call('POST', `${base}/jobs`, { token, body: job(`c-${tag}`) }));
        await step('replace job', ok(can.writeJob, 200), () => h.call('PUT', `${base}/jobs/${fixture.metadata.name}`, { token, body: { ...fixture, metadata: { ...fixture.metadata, labels: { by: 'put' } } } }));
        await step('patch job', ok(can.writeJob, 200), () => h.call('PATCH', `${base}/jobs/${fixture.metadata.name}`, { token, body: { metadata: { labels: { by: 'patch' } } } }));
        await step('create event', ok(can.writeEvent, 201), () => h.call('POST', `${base}/events`, { token, body: event(`e-${tag}`) }));
        await step('write status', ok(can.writeStatus, 200), () => h.call('PUT', `${base}/jobs/${fixture.metadata.name}/status`, { token, body: { status: { phase: 'Running' } } }));
        await step('delete job', ok(can.writeJob, 200), () => h.call('DELETE', `${base}/jobs/${fixture.metadata.name}`, { token }));
        expect(codes).toEqual(expected);

        // Nothing a refused caller sent was stored.
        if (!can.writeJob) expect((await h.call('GET', `${base}/jobs/c-${tag}`)).status).toBe(404);
        if (!can.writeEvent) expect((await h.call('GET', `${base}/events/e-${tag}`)).status).toBe(404);
      });
    }
  }
});

describe('other workload kinds', () => {
  it('members write Services and DevEnvironments in their project like Jobs, but never Allocations', async () => {
    const token = tokens.member;
    const svc = { kind: 'Service', metadata: { name: 'm-svc' }, spec: { replicas: { min: 1, max: 2 }, resources: { gpu: { count: 1 } } } };
    const dev = { kind: 'DevEnvironment', metadata: { name: 'm-dev' }, spec: { resources: { gpu: { share: 0.5 } } } };
    for (const [plural, body] of [['services', svc], ['devenvironments', dev]] as const) {
      expect((await h.call('POST', `/api/v1/projects/own/${plural}`, { token, body })).status).toBe(201);
      expect((await h.call('PATCH', `/api/v1/projects/own/${plural}/${body.metadata.name}`, { token, body: { metadata: { labels: { by: 'member' } } } })).status).toBe(200);
      expect((await h.call('DELETE', `/api/v1/projects/own/${plural}/${body.metadata.name}`, { token })).status).toBe(200);
      expect((await h.call('POST', `/api/v1/projects/other/${plural}`, { token, body })).status).toBe(403);
    }
    const alloc = {
      kind: 'Allocation',
      metadata: { name: 'm-alloc' },
      spec: { workload: { kind: 'Job', name: 'x', uid: 'u' }, replica: 0, attempt: 0, node: 'n', gpus: [], cpuMilli: 0, memoryBytes: 0 },
    };
    expect((await h.call('POST', '/api/v1/projects/own/allocations', { token, body: alloc })).status).toBe(403);
  });
});

describe('cross-project reads', () => {
  const visible: Record<Who, string[]> = {
    admin: ['other', 'own', 'weft-system'],
    'project-admin': ['own'],
    member: ['own'],
    viewer: ['own'],
    'cluster-viewer': ['other', 'own', 'weft-system'],
    none: [],
  };

  for (const who of Object.keys(visible) as Who[]) {
    it(`${who}: cross-project list and Project list show only readable projects`, async () => {
      const token = tokens[who];
      const jobs = await h.call('GET', '/api/v1/jobs', { token });
      expect(jobs.status).toBe(200);
      const projectsOfJobs = [...new Set(jobs.body.items.map((o: any) => o.metadata.project as string))].sort();
      expect(projectsOfJobs).toEqual(visible[who].filter((p) => p !== 'weft-system'));
      const events = await h.call('GET', '/api/v1/events?limit=1000', { token });
      expect(events.body.items.every((o: any) => visible[who].includes(o.metadata.project))).toBe(true);
      const projects = await h.call('GET', '/api/v1/projects', { token });
      expect(projects.status).toBe(200);
      expect(projects.body.items.map((o: any) => o.metadata.name).sort()).toEqual(visible[who]);
      for (const p of ['own', 'other']) {
        expect((await h.call('GET', `/api/v1/projects/${p}`, { token })).status).toBe(visible[who].includes(p) ? 200 : 403);
      }
    });
  }

  it('a cross-project watch never delivers another project\'s objects', async () => {
    const s = await openSse(`${h.url}/api/v1/jobs?watch=true`, tokens.member);
    const initial = await s.waitFor(1);
    expect(initial.every((e) => e.data.object.metadata.project === 'own')).toBe(true);
    const before = s.events.length;
    await mustCreate(h, '/api/v1/projects/other/jobs', job('secret'));
    await mustCreate(h, '/api/v1/projects/own/jobs', job('visible'));
    const evs = await s.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.events.slice(before).map((e) => `${e.data.object.metadata.project}/${e.data.object.metadata.name}`)).toEqual(['own/visible']);
    expect(evs.some((e) => e.data.object.metadata.name === 'secret')).toBe(false);
    s.close();
  });

  it('a Project watch shows only the caller\'s projects', async () => {
    const s = await openSse(`${h.url}/api/v1/projects?watch=true`, tokens.viewer);
    expect((await s.waitFor(1)).map((e) => e.data.object.metadata.name)).toEqual(['own']);
    await mustCreate(h, '/api/v1/projects', project('newcomer'));
    await h.call('PATCH', '/api/v1/projects/own', { body: { spec: { displayName: 'Own' } } });
    expect((await s.waitFor(2)).map((e) => `${e.data.type} ${e.data.object.metadata.name}`)).toEqual(['ADDED own', 'MODIFIED own']);
    s.close();
  });
});

describe('cluster-scoped kinds', () => {
  it('reference kinds are readable by any authenticated user and writable by admins only', async () => {
    await mustCreate(h, '/api/v1/sites', { kind: 'Site', metadata: { name: 'fra' }, spec: { country: 'DE' } });
    for (const who of Object.keys(MATRIX) as Who[]) {
      const token = tokens[who];
      for (const plural of ['sites', 'nodes', 'priorityclasses', 'queues']) expect((await h.call('GET', `/api/v1/${plural}`, { token })).status).toBe(200);
      expect((await h.call('GET', '/api/v1/sites/fra', { token })).status).toBe(200);
      const create = await h.call('POST', '/api/v1/sites', { token, body: { kind: 'Site', metadata: { name: `s-${who}` }, spec: {} } });
      expect(create.status).toBe(who === 'admin' ? 201 : 403);
      const patch = await h.call('PATCH', '/api/v1/projects/own', { token, body: { spec: { description: who } } });
      expect(patch.status).toBe(who === 'admin' ? 200 : 403);
      const mkProject = await h.call('POST', '/api/v1/projects', { token, body: project(`p-${who}`) });
      expect(mkProject.status).toBe(who === 'admin' ? 201 : 403);
    }
  });

  it('users see only themselves; only admins see and change other users', async () => {
    const me = await h.call('GET', '/api/v1/users', { token: tokens.member });
    expect(me.body.items.map((o: any) => o.metadata.name)).toEqual(['pmember']);
    expect((await h.call('GET', '/api/v1/users/pmember', { token: tokens.member })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/users/admin', { token: tokens.member })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/users/admin', { token: tokens['cluster-viewer'] })).status).toBe(403);
    // Granting oneself a role is a write to one's own User: admins only.
    const escalate = await h.call('PATCH', '/api/v1/users/pmember', { token: tokens.member, body: { spec: { roles: [{ role: 'admin' }] } } });
    expect(escalate.status).toBe(403);
    expect((await h.call('GET', '/api/v1/users', { token: tokens.admin })).body.items.length).toBeGreaterThanOrEqual(6);
  });
});
