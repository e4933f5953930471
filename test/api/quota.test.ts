// Admission over real HTTP: defaults, reference checks and project quotas, including the message
// that says which resource is over and by how much, and quota under concurrent creates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const gpuJob = (name: string, replicas: number, gpu: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  job(name, { replicas, resources: { gpu }, ...extra });

describe('quota', () => {
  it('refuses a GPU request over the per-model quota, saying by how much', async () => {
    await mustCreate(h, '/api/v1/projects', project('q1', { quota: { gpu: { 'H100-80GB': 32, '*': 40 } } }));
    await mustCreate(h, '/api/v1/projects/q1/jobs', gpuJob('a', 3, { count: 8, models: ['H100-80GB'] }));
    const r = await h.call('POST', '/api/v1/projects/q1/jobs', { body: gpuJob('b', 2, { count: 8, models: ['H100-80GB'] }) });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('QuotaExceeded');
    expect(r.body.detail).toContain('quota exceeded for gpu H100-80GB: requested 16, in use 24, quota 32 (over by 8)');
    expect(r.body.issues[0].field).toBe('spec.resources.gpu');
    expect((await h.call('GET', '/api/v1/projects/q1/jobs/b')).status).toBe(404);

    // Another model is covered by "*" (the cap on all GPUs of the project).
    await mustCreate(h, '/api/v1/projects/q1/jobs', gpuJob('c', 1, { count: 8, models: ['A100-80GB'] }));
    const over = await h.call('POST', '/api/v1/projects/q1/jobs', { body: gpuJob('d', 2, { count: 8, models: ['A100-80GB'] }) });
    expect(over.status).toBe(403);
    expect(over.body.detail).toContain('quota exceeded for gpu (any model): requested 16, in use 32, quota 40 (over by 8)');
  });

  it('does not count finished or suspended workloads, and re-checks on resume', async () => {
    await mustCreate(h, '/api/v1/projects', project('q2', { quota: { gpu: { '*': 8 } } }));
    await mustCreate(h, '/api/v1/projects/q2/jobs', gpuJob('first', 1, { count: 8 }));
    expect((await h.call('POST', '/api/v1/projects/q2/jobs', { body: gpuJob('second', 1, { count: 8 }) })).status).toBe(403);
    await h.call('PATCH', '/api/v1/projects/q2/jobs/first/status', { body: { status: { phase: 'Succeeded' } } });
    await mustCreate(h, '/api/v1/projects/q2/jobs', gpuJob('second', 1, { count: 8 }));
    await h.call('PATCH', '/api/v1/projects/q2/jobs/second', { body: { spec: { suspend: true } } });
    await mustCreate(h, '/api/v1/projects/q2/jobs', gpuJob('third', 1, { count: 8 }));
    const resume = await h.call('PATCH', '/api/v1/projects/q2/jobs/second', { body: { spec: { suspend: false } } });
    expect(resume.status).toBe(403);
    expect(resume.body.detail).toContain('requested 8, in use 8, quota 8 (over by 8)');
  });

  it('checks updates by their growth only', async () => {
    await mustCreate(h, '/api/v1/projects', project('q3', { quota: { gpu: { '*': 16 } } }));
    await mustCreate(h, '/api/v1/projects/q3/jobs', gpuJob('grow', 1, { count: 8 }));
    const up = await h.call('PATCH', '/api/v1/projects/q3/jobs/grow', { body: { spec: { replicas: 3, gang: { minAvailable: 3 } } } });
    expect(up.status).toBe(403);
    expect(up.body.detail).toContain('requested 24, in use 0, quota 16 (over by 8)');
    expect((await h.call('PATCH', '/api/v1/projects/q3/jobs/grow', { body: { spec: { replicas: 2, gang: { minAvailable: 2 } } } })).status).toBe(200);
    // Lowering the quota below usage blocks growth, not edits.
    await h.call('PATCH', '/api/v1/projects/q3', { body: { spec: { quota: { gpu: { '*': 4 } } } } });
    expect((await h.call('PATCH', '/api/v1/projects/q3/jobs/grow', { body: { metadata: { labels: { note: 'fine' } } } })).status).toBe(200);
    expect((await h.call('PATCH', '/api/v1/projects/q3/jobs/grow', { body: { spec: { replicas: 1, gang: { minAvailable: 1 } } } })).status).toBe(200);
  });

  it('charges a Service at replicas.max and a DevEnvironment as one replica', async () => {
    await mustCreate(h, '/api/v1/projects', project('q-svc', { quota: { gpu: { '*': 8 } } }));
    const svc = (name: string, min: number, max: number) => ({ kind: 'Service', metadata: { name }, spec: { replicas: { min, max }, resources: { gpu: { count: 2 } } } });
    await mustCreate(h, '/api/v1/projects/q-svc/services', svc('a', 1, 3));
    const r = await h.call('POST', '/api/v1/projects/q-svc/services', { body: svc('b', 1, 2) });
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain('requested 4, in use 6, quota 8 (over by 2)');
    const dev = { kind: 'DevEnvironment', metadata: { name: 'nb' }, spec: { resources: { gpu: { count: 2 } } } };
    await mustCreate(h, '/api/v1/projects/q-svc/devenvironments', dev);
    expect((await h.call('POST', '/api/v1/projects/q-svc/devenvironments', { body: { ...dev, metadata: { name: 'nb2' } } })).status).toBe(403);
  });

  it('charges a VirtualMachine its vCPUs, memory and GPUs, and nothing while it is Halted', async () => {
    await mustCreate(h, '/api/v1/projects', project('q-vm', { quota: { gpu: { '*': 4 }, cpu: '8', memory: '32Gi' } }));
    await mustCreate(h, '/api/v1/projects/q-vm/images', { kind: 'Image', metadata: { name: 'deb' }, spec: { source: { url: 'https://example.org/deb.qcow2' }, checksum: `sha256:${'1'.repeat(64)}`, format: 'qcow2' } });
    const vm = (name: string, resources: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ kind: 'VirtualMachine', metadata: { name }, spec: { resources, rootDisk: { image: 'deb' }, ...extra } });
    const first = await mustCreate(h, '/api/v1/projects/q-vm/virtualmachines', vm('a', { cpu: '4', memory: '16Gi', gpu: { count: 4 } }));
    expect(first.spec).toMatchObject({ isolation: 'dedicated' }); // a VM's default tier
    const gpu = await h.call('POST', '/api/v1/projects/q-vm/virtualmachines', { body: vm('b', { cpu: '1', gpu: { count: 1 } }) });
    expect(gpu.status).toBe(403);
    expect(gpu.body.detail).toContain('requested 1, in use 4, quota 4 (over by 1)');
    const cpu = await h.call('POST', '/api/v1/projects/q-vm/virtualmachines', { body: vm('c', { cpu: '6' }) });
    expect(cpu.body.detail).toContain('quota exceeded for cpu: requested 6, in use 4, quota 8 (over by 2)');
    // Defaults: one vCPU and 1Gi, charged like any request.
    const small = await mustCreate(h, '/api/v1/projects/q-vm/virtualmachines', vm('d', {}));
    expect(small.spec).toMatchObject({ resources: { cpu: '1', memory: '1Gi' } });
    // Halting the first frees its share; starting it again is checked again.
    await h.call('PATCH', '/api/v1/projects/q-vm/virtualmachines/a', { body: { spec: { runStrategy: 'Halted' } } });
    await mustCreate(h, '/api/v1/projects/q-vm/virtualmachines', vm('b', { cpu: '1', gpu: { count: 1 } }));
    const start = await h.call('PATCH', '/api/v1/projects/q-vm/virtualmachines/a', { body: { spec: { runStrategy: 'Always' } } });
    expect(start.status).toBe(403);
    expect(start.body.detail).toContain('requested 4, in use 1, quota 4 (over by 1)');
  });

  it('charges CPU and memory as replicas × request', async () => {
    await mustCreate(h, '/api/v1/projects', project('q4', { quota: { cpu: '64', memory: '256Gi' } }));
    await mustCreate(h, '/api/v1/projects/q4/jobs', job('cpu1', { replicas: 2, resources: { cpu: '16', memory: '64Gi' } }));
    const cpu = await h.call('POST', '/api/v1/projects/q4/jobs', { body: job('cpu2', { replicas: 3, resources: { cpu: '16' } }) });
    expect(cpu.status).toBe(403);
    expect(cpu.body.detail).toContain('quota exceeded for cpu: requested 48, in use 32, quota 64 (over by 16)');
    const mem = await h.call('POST', '/api/v1/projects/q4/jobs', { body: job('mem', { replicas: 1, resources: { cpu: '1', memory: '200Gi' } }) });
    expect(mem.status).toBe(403);
    expect(mem.body.detail).toContain('quota exceeded for memory: requested 200Gi, in use 128Gi, quota 256Gi (over by 72Gi)');
  });

  it('charges shared GPUs by fraction and MIG by compute slices', async () => {
    await mustCreate(h, '/api/v1/projects', project('q5', { quota: { gpu: { '*': 1 } } }));
    for (let i = 0; i < 4; i++) await mustCreate(h, '/api/v1/projects/q5/jobs', gpuJob(`s${i}`, 1, { share: 0.25 }));
    const fifth = await h.call('POST', '/api/v1/projects/q5/jobs', { body: gpuJob('s4', 1, { share: 0.25 }) });
    expect(fifth.status).toBe(403);
    expect(fifth.body.detail).toContain('requested 0.25, in use 1, quota 1 (over by 0.25)');
    await mustCreate(h, '/api/v1/projects', project('q6', { quota: { gpu: { '*': 1 } } }));
    await mustCreate(h, '/api/v1/projects/q6/jobs', gpuJob('m1', 2, { mig: '3g.40gb' }));
    const mig = await h.call('POST', '/api/v1/projects/q6/jobs', { body: gpuJob('m2', 1, { mig: '2g.20gb' }) });
    expect(mig.status).toBe(403);
    // Weights of 3g and 2g instances (docs/api.md, "GPU weight"): 2 × 0.428 + 0.285.
    expect(mig.body.detail).toContain('requested 0.285, in use 0.856, quota 1 (over by 0.141)');
  });

  it('keeps model-less requests to the quota\'s models and refuses models without quota', async () => {
    await mustCreate(h, '/api/v1/projects', project('q7', { quota: { gpu: { 'H100-80GB': 8 } } }));
    const j = await mustCreate(h, '/api/v1/projects/q7/jobs', gpuJob('anymodel', 1, { count: 4 }));
    expect(j.spec.resources.gpu.models).toEqual(['H100-80GB']);
    const a100 = await h.call('POST', '/api/v1/projects/q7/jobs', { body: gpuJob('a100', 1, { count: 1, models: ['A100-80GB'] }) });
    expect(a100.status).toBe(403);
    expect(a100.body.detail).toContain('quota exceeded for gpu A100-80GB: requested 1, in use 0, quota 0 (over by 1)');
  });

  it('lets exactly as many concurrent creates through as the quota allows', async () => {
    await mustCreate(h, '/api/v1/projects', project('q8', { quota: { gpu: { '*': 10 } } }));
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => h.call('POST', '/api/v1/projects/q8/jobs', { body: gpuJob(`c${i}`, 1, { count: 1 }) })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 403)).toHaveLength(15);
    expect((await h.call('GET', '/api/v1/projects/q8/jobs')).body.items).toHaveLength(10);
  });
});

describe('admission checks', () => {
  beforeAll(async () => {
    for (const [name, country] of [['fra', 'DE'], ['par', 'FR'], ['ams', 'NL']] as const) {
      await mustCreate(h, '/api/v1/sites', { kind: 'Site', metadata: { name }, spec: { country } });
    }
    await mustCreate(h, '/api/v1/projects', project('adm', { defaultIsolation: 'exclusive-node', allowedSites: ['fra'] }));
    await mustCreate(h, '/api/v1/queues', { kind: 'Queue', metadata: { name: 'team-a' }, spec: {} });
  });

  it('names a missing project', async () => {
    const r = await h.call('POST', '/api/v1/projects/ghost/jobs', { body: job('x') });
    expect(r.status).toBe(404);
    expect(r.body.detail).toContain('project "ghost" not found');
  });

  it('names missing queue and priority class references', async () => {
    const r = await h.call('POST', '/api/v1/projects/adm/jobs', { body: job('refs', { queue: 'nope', priorityClass: 'urgent' }) });
    expect(r.status).toBe(422);
    expect(r.body.issues.map((i: any) => i.field).sort()).toEqual(['spec.priorityClass', 'spec.queue']);
    expect((await h.call('POST', '/api/v1/projects/adm/jobs', { body: job('refs', { queue: 'team-a' }) })).status).toBe(201);
  });

  it('checks the gang against replicas and placement against allowed sites', async () => {
    const gang = await h.call('POST', '/api/v1/projects/adm/jobs', { body: job('gang', { replicas: 2, gang: { minAvailable: 3 } }) });
    expect(gang.status).toBe(422);
    expect(gang.body.issues[0].field).toBe('spec.gang.minAvailable');
    const site = await h.call('POST', '/api/v1/projects/adm/jobs', { body: job('site', { placement: { sites: ['ams'] } }) });
    expect(site.status).toBe(422);
    expect(site.body.issues[0].field).toBe('spec.placement.sites');
  });

  it('resolves allowed sites and requested countries into placement sites', async () => {
    const inherited = await mustCreate(h, '/api/v1/projects/adm/jobs', job('sov1'));
    expect(inherited.spec.placement).toEqual({ sites: ['fra'] });
    await mustCreate(h, '/api/v1/projects', project('sov', {}));
    const byCountry = await mustCreate(h, '/api/v1/projects/sov/jobs', job('sov2', { placement: { countries: ['FR', 'NL'] } }));
    expect([...byCountry.spec.placement.sites].sort()).toEqual(['ams', 'par']);
    const outside = await h.call('POST', '/api/v1/projects/adm/jobs', { body: job('sov3', { placement: { countries: ['FR'] } }) });
    expect(outside.status).toBe(422);
    expect(outside.body.issues[0].field).toBe('spec.placement.countries');
  });

  it('defaults isolation from the project and the gang from replicas', async () => {
    const j = await mustCreate(h, '/api/v1/projects/adm/jobs', job('dflt', { replicas: 4 }));
    expect(j.spec).toMatchObject({ isolation: 'exclusive-node', gang: { minAvailable: 4 }, replicas: 4 });
  });

  it('defaults and checks Services and DevEnvironments', async () => {
    const s = await mustCreate(h, '/api/v1/projects/adm/services', { kind: 'Service', metadata: { name: 'svc' }, spec: { resources: { gpu: { count: 1 } } } });
    expect(s.spec).toMatchObject({ replicas: { min: 1, max: 1 }, isolation: 'exclusive-node' });
    expect(s.spec.gang).toBeUndefined();
    const inverted = await h.call('POST', '/api/v1/projects/adm/services', { body: { kind: 'Service', metadata: { name: 'inv' }, spec: { replicas: { min: 3, max: 2 }, resources: {} } } });
    expect(inverted.status).toBe(422);
    expect(inverted.body.issues[0].field).toBe('spec.replicas.max');
    const stuck = await h.call('POST', '/api/v1/projects/adm/services', { body: { kind: 'Service', metadata: { name: 'stuck' }, spec: { rollout: { maxSurge: 0, maxUnavailable: 0 }, resources: {} } } });
    expect(stuck.status).toBe(422);
    expect(stuck.body.issues[0].field).toBe('spec.rollout');
    const d = await mustCreate(h, '/api/v1/projects/adm/devenvironments', { kind: 'DevEnvironment', metadata: { name: 'dev' }, spec: { resources: {} } });
    expect(d.spec.replicas).toBeUndefined();
    expect(d.spec.gang).toBeUndefined();
  });

  it('requires a project for project-bound roles', async () => {
    const r = await h.call('POST', '/api/v1/users', { body: { kind: 'User', metadata: { name: 'half' }, spec: { roles: [{ role: 'member' }] } } });
    expect(r.status).toBe(422);
    expect(r.body.issues[0].field).toBe('spec.roles.0.project');
  });
});
