// Data classes and residency through the API: a project names a data class that exists; the
// class's isolation floor raises defaults and refuses weaker asks; placement resolves into the
// sites the project's residency (its own countries and sites, and its class's) allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, startHarness, type Harness } from '../api/helpers.js';

let h: Harness;
const dataClass = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'weft/v1', kind: 'DataClass', metadata: { name }, spec });

beforeAll(async () => {
  h = await startHarness();
  for (const [name, country] of [['de-1', 'DE'], ['de-2', 'DE'], ['fr-1', 'FR']]) await mustCreate(h, '/api/v1/sites', { apiVersion: 'weft/v1', kind: 'Site', metadata: { name }, spec: { country } });
  await mustCreate(h, '/api/v1/dataclasses', dataClass('restricted', { minIsolation: 'dedicated', allowedCountries: ['DE'] }));
});
afterAll(async () => h?.close());

describe('data classes', () => {
  it('a project names a built-in class or a DataClass object', async () => {
    await mustCreate(h, '/api/v1/projects', project('pub', { dataClass: 'public' }));
    const r = await h.call('POST', '/api/v1/projects', { body: project('sec', { dataClass: 'secret' }) });
    expect(r.status).toBe(422);
    expect(r.body.issues[0]).toMatchObject({ field: 'spec.dataClass' });
    expect(r.body.issues[0].message).toContain('data class "secret" does not exist');
  });

  it('the class\'s isolation floor raises a default and refuses a weaker ask', async () => {
    await mustCreate(h, '/api/v1/projects', project('med', { dataClass: 'restricted' }));
    const shared = await mustCreate(h, '/api/v1/projects/med/jobs', job('notebook', { resources: { cpu: '1', gpu: { share: 0.25 } } }));
    expect(shared.spec.isolation).toBe('dedicated');
    const weak = await h.call('POST', '/api/v1/projects/med/jobs', { body: job('weak', { isolation: 'shared', resources: { cpu: '1', gpu: { share: 0.25 } } }) });
    expect(weak.status).toBe(422);
    expect(weak.body.issues[0]).toEqual({ field: 'spec.isolation', message: 'data class "restricted" needs isolation dedicated or stronger, not shared' });
    const mig = await h.call('POST', '/api/v1/projects/med/jobs', { body: job('mig', { resources: { cpu: '1', gpu: { mig: '1g.10gb' } } }) });
    expect(mig.status).toBe(422);
    expect(mig.body.issues[0].field).toBe('spec.resources.gpu.mig');
    expect((await mustCreate(h, '/api/v1/projects/med/jobs', job('node', { isolation: 'exclusive-node', resources: { cpu: '1', gpu: { count: 1 } } }))).spec.isolation).toBe('exclusive-node');
  });

  it('a class in use cannot be deleted', async () => {
    const r = await h.call('DELETE', '/api/v1/dataclasses/restricted');
    expect(r.status).toBe(409);
    expect(r.body.detail).toContain('in use by project');
  });
});

describe('residency at admission', () => {
  it('resolves placement into the sites of the class\'s and the project\'s countries', async () => {
    const j = await mustCreate(h, '/api/v1/projects/med/jobs', job('anywhere'));
    expect(j.spec.placement.sites).toEqual(['de-1', 'de-2']);
    const fr = await h.call('POST', '/api/v1/projects/med/jobs', { body: job('in-france', { placement: { sites: ['fr-1'] } }) });
    expect(fr.status).toBe(422);
    expect(fr.body.issues[0]).toEqual({ field: 'spec.placement.sites', message: '"fr-1" not among the sites project "med" may use (de-1, de-2: data class restricted: countries DE)' });
  });

  it('a project\'s own sites narrow its class\'s; nothing left is refused', async () => {
    await mustCreate(h, '/api/v1/projects', project('narrow', { dataClass: 'restricted', allowedSites: ['de-2', 'fr-1'] }));
    expect((await mustCreate(h, '/api/v1/projects/narrow/jobs', job('j'))).spec.placement.sites).toEqual(['de-2']);
    await mustCreate(h, '/api/v1/projects', project('nowhere', { dataClass: 'restricted', allowedCountries: ['FR'] }));
    const r = await h.call('POST', '/api/v1/projects/nowhere/jobs', { body: job('j') });
    expect(r.status).toBe(422);
    expect(r.body.issues[0]).toEqual({ field: 'spec.placement', message: 'project "nowhere" may run in no site: data class restricted: countries DE; project nowhere: countries FR' });
  });
});

describe('GET /api/v1/audit/residency', () => {
  it('answers cluster admins and the project\'s admins, and names a bad parameter', async () => {
    const admin = await h.user('med-admin', [{ role: 'project-admin', project: 'med' }]);
    const member = await h.user('med-member', [{ role: 'member', project: 'med' }]);
    const ok = await h.call('GET', '/api/v1/audit/residency?project=med', { token: admin });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ project: 'med', residency: { sites: ['de-1', 'de-2'], dataClass: 'restricted' }, gpuSeconds: 0, breaches: [] });
    expect((await h.call('GET', '/api/v1/audit/residency?project=med', { token: member })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/audit/residency?project=pub', { token: admin })).status).toBe(403);
    const missing = await h.call('GET', '/api/v1/audit/residency');
    expect(missing.status).toBe(400);
    expect(missing.body.issues[0].field).toBe('project');
    const backwards = await h.call('GET', '/api/v1/audit/residency?project=med&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(backwards.status).toBe(400);
    expect((await h.call('GET', '/api/v1/audit/residency?project=ghost')).status).toBe(404);
  });
});
