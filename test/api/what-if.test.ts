// The what-if over real HTTP: a stored workload or a manifest is evaluated against the live
// fleet with the scheduling loop's rules (a cycle now, preemption, then forward in time), as the
// caller: manifests go through admission, and workloads of projects the caller may not read are
// counted, never named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhatIfAnswer } from '../../src/model/what-if.js';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
let member: string;
let outsider: string;
let viewer: string;
const MIN = 60_000;

const gpuJob = (name: string, count: number, extra: Record<string, unknown> = {}) =>
  job(name, { resources: { cpu: '1', memory: '1Gi', gpu: { count, models: ['H100-80GB'] } }, ...extra });

/** A Job running on `node` with all 8 GPUs since `startedMsAgo`, as the scheduler and a provider would leave it. */
async function running(projectName: string, name: string, node: string, startedMsAgo: number, extra: Record<string, unknown> = {}): Promise<void> {
  const created = await mustCreate(h, `/api/v1/projects/${projectName}/jobs`, gpuJob(name, 8, extra));
  await h.call('PATCH', `/api/v1/projects/${projectName}/jobs/${name}/status`, { body: { status: { phase: 'Running' } }, contentType: 'application/merge-patch+json' });
  await mustCreate(h, `/api/v1/projects/${projectName}/allocations`, {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: `${name}-a0-r0`, labels: { 'weft.dev/workload': name } },
    spec: {
      workload: { kind: 'Job', name, uid: created.metadata.uid },
      replica: 0, attempt: 0, node, cpuMilli: 1000, memoryBytes: 2 ** 30, isolation: 'dedicated',
      gpus: Array.from({ length: 8 }, (_, index) => ({ index, model: 'H100-80GB', milli: 1000 })),
    },
  });
  const r = await h.call('PATCH', `/api/v1/projects/${projectName}/allocations/${name}-a0-r0/status`, {
    body: { status: { phase: 'Running', startedAt: new Date(Date.now() - startedMsAgo).toISOString() } },
    contentType: 'application/merge-patch+json',
  });
  if (r.status !== 200) throw new Error(r.text);
}

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('vision', { quota: { gpu: { '*': 32 } } }));
  await mustCreate(h, '/api/v1/projects', project('other'));
  await mustCreate(h, '/api/v1/priorityclasses', { apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'low' }, spec: { value: 0, preemptible: true } });
  await mustCreate(h, '/api/v1/priorityclasses', { apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'high' }, spec: { value: 1000 } });
  for (const n of ['n1', 'n2']) {
    await mustCreate(h, '/api/v1/nodes', {
      apiVersion: 'weft/v1', kind: 'Node', metadata: { name: n },
      spec: { site: 'eu-fra-1', cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, index) => ({ index, model: 'H100-80GB', memory: '80Gi' })) },
      status: { state: 'Ready' },
    });
  }
  // n1: another project's preemptible job, 5 more minutes; n2: vision's own, 15 more minutes.
  await running('other', 'filler', 'n1', 5 * MIN, { maxRuntimeSeconds: 600, priorityClass: 'low' });
  await running('vision', 'mine', 'n2', 5 * MIN, { maxRuntimeSeconds: 1200 });
  await mustCreate(h, '/api/v1/projects/vision/jobs', gpuJob('waiting', 8));
  member = await h.user('mia', [{ role: 'member', project: 'vision' }]);
  outsider = await h.user('otto', [{ role: 'member', project: 'other' }]);
  viewer = await h.user('vera', [{ role: 'viewer', project: 'vision' }]);
});

afterAll(async () => {
  await h?.close();
});

const explainManifest = (body: unknown, token = member) => h.call<WhatIfAnswer>('POST', '/api/v1/explain', { body, token });
const asVision = (j: ReturnType<typeof job>) => ({ ...j, metadata: { ...j.metadata, project: 'vision' } });

describe('what-if: GET …/{name}/explain and POST /api/v1/explain', () => {
  it('places what fits now, where the scheduler would', async () => {
    const r = await explainManifest(asVision(job('small', { resources: { cpu: '2', memory: '1Gi' } })));
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ workload: { kind: 'Job', project: 'vision', name: 'small' }, asked: 'copy', outcome: 'now', replicas: 1 });
    expect(r.body.placements).toEqual([{ replica: 0, node: expect.stringMatching(/^n[12]$/), gpus: [] }]);
    expect(r.body.startsAt).toBe(r.body.evaluatedAt);
    // Every workload kind has one: a Service asks for its replicas.min.
    const svc = await explainManifest({ apiVersion: 'weft/v1', kind: 'Service', metadata: { name: 'api', project: 'vision' }, spec: { replicas: { min: 2, max: 3 }, resources: { cpu: '1' } } });
    expect(svc.status, svc.text).toBe(200);
    expect(svc.body).toMatchObject({ workload: { kind: 'Service' }, outcome: 'now', replicas: 2 });
  });

  it('says when and where a stored pending job would start, waiting for work in another project without naming it', async () => {
    const r = await h.call<WhatIfAnswer>('GET', '/api/v1/projects/vision/jobs/waiting/explain', { token: member });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ asked: 'pending', outcome: 'later', placements: [{ replica: 0, node: 'n1', gpus: [0, 1, 2, 3, 4, 5, 6, 7] }] });
    // filler started 5 minutes ago and declares 10: about 5 minutes from now.
    const inMs = Date.parse(r.body.startsAt!) - Date.parse(r.body.evaluatedAt);
    expect(inMs).toBeGreaterThan(4.5 * MIN);
    expect(inMs).toBeLessThanOrEqual(5 * MIN);
    expect(r.body.waitsFor).toEqual({ named: [], others: 1 });
    expect(r.text).not.toContain('filler');
    // The loop's own "why pending", as it would write it on the workload's status.
    expect(r.body.scheduling).toMatchObject({ message: expect.stringMatching(/0\/2 nodes/), reasons: expect.any(Object) });
    // Someone who may read the other project sees the name.
    const admin = await h.call<WhatIfAnswer>('GET', '/api/v1/projects/vision/jobs/waiting/explain');
    expect(admin.body.waitsFor).toEqual({ named: [{ kind: 'Job', project: 'other', name: 'filler' }], others: 0 });
  });

  it('names the victims a higher-priority manifest would preempt, only to those who may read them', async () => {
    const urgent = asVision(gpuJob('urgent', 8, { priorityClass: 'high' }));
    const r = await explainManifest(urgent);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ outcome: 'preempts', preempts: { named: [], others: 1, reasons: [expect.stringMatching(/priority 1000/)] } });
    expect(r.text).not.toContain('filler');
    const admin = await h.call<WhatIfAnswer>('POST', '/api/v1/explain', { body: urgent });
    expect(admin.body.preempts?.named).toEqual([{ kind: 'Job', project: 'other', name: 'filler' }]);
  });

  it('answers for a running job as for a copy submitted now, and changes nothing', async () => {
    const before = await h.call('GET', '/api/v1/projects/vision/jobs/mine');
    const r = await h.call<WhatIfAnswer>('GET', '/api/v1/projects/vision/jobs/mine/explain', { token: member });
    expect(r.status, r.text).toBe(200);
    expect(r.body.asked).toBe('copy');
    expect(['later', 'never']).toContain(r.body.outcome);
    expect((await h.call('GET', '/api/v1/projects/vision/jobs/mine')).body).toEqual(before.body);
    expect((await h.call<{ items: unknown[] }>('GET', '/api/v1/projects/vision/jobs')).body.items).toHaveLength(2);
  });

  it('evaluates a manifest as if the caller submitted it: admission refuses what a create would', async () => {
    const tooBig = await explainManifest(asVision(gpuJob('huge', 8, { replicas: 3 })));
    expect(tooBig.status).toBe(403);
    expect(tooBig.body).toMatchObject({ code: 'QuotaExceeded' });
    const bad = await explainManifest(asVision(job('typo', { replicas: 0 })));
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('spec.replicas');
    expect((await explainManifest({ ...gpuJob('nowhere', 1) })).body).toMatchObject({ issues: [{ field: 'metadata.project' }] });
    const node = await explainManifest({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: 'x', project: 'vision' }, spec: {} });
    expect(node.status).toBe(422);
    expect(node.body).toMatchObject({ issues: [{ field: 'kind' }] });
  });

  it('records a manifest what-if in the audit log as asked, not as a create', async () => {
    const r = await explainManifest(asVision(job('audited')));
    expect(r.status).toBe(200);
    let entries: { verb: string; kind: string; project: string; name: string }[] = [];
    for (let i = 0; i < 50 && !entries.some((e) => e.name === 'audited'); i++) {
      entries = (await h.call<{ items: typeof entries }>('GET', '/api/v1/audit?project=vision')).body.items;
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(entries.find((e) => e.name === 'audited')).toMatchObject({ verb: 'explain', kind: 'Job', project: 'vision' });
  });

  it('asks the same permissions as reading the workload or creating the manifest', async () => {
    expect((await h.call('GET', '/api/v1/projects/vision/jobs/waiting/explain', { token: outsider })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/projects/vision/jobs/waiting/explain', { token: viewer })).status).toBe(200);
    expect((await explainManifest(asVision(job('x')), viewer)).status).toBe(403);
    expect((await explainManifest(asVision(job('x')), outsider)).status).toBe(403);
    expect((await h.call('GET', '/api/v1/projects/vision/jobs/absent/explain', { token: member })).status).toBe(404);
    expect((await h.call('POST', '/api/v1/explain', { token: null, body: asVision(job('x')) })).status).toBe(401);
  });
});
