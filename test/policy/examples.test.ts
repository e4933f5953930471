// Every policy in examples/policies/, applied through the real API, with an object it lets
// through and one it refuses (or, for the mutation, what it fills in).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kindDef } from '../../src/model/registry.js';
import { ROOT } from '../cli/helpers.js';
import { job, mustCreate, project, startHarness, type Harness } from '../api/helpers.js';

let h: Harness;
let applied: { path: string }[] = [];

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/sites', { apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 'de-1' }, spec: { country: 'DE' } });
});
afterAll(async () => h?.close());
// Policies are cluster-wide: each test removes what its example applied.
afterEach(async () => {
  for (const a of applied.reverse()) await h.call('DELETE', a.path);
  applied = [];
});

async function applyExample(file: string): Promise<void> {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'examples', 'policies', file), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  for (const doc of docs) {
    const def = kindDef(doc.kind)!;
    const created = await mustCreate(h, `/api/v1/${def.plural}`, doc);
    applied.push({ path: `/api/v1/${def.plural}/${created.metadata.name}` });
  }
}

const withLabels = (body: ReturnType<typeof job>, labels: Record<string, string>) => ({ ...body, metadata: { ...body.metadata, labels } });
const denied = async (path: string, body: unknown, token?: string) => {
  const r = await h.call('POST', path, { body, ...(token ? { token } : {}) });
  expect(r.status, r.text).toBe(403);
  expect(r.body.code).toBe('PolicyDenied');
  return r.body as { detail: string; issues: { field: string; message: string }[] };
};

describe('examples/policies', () => {
  it('residency-restricted.yaml: a restricted project must be limited to Germany', async () => {
    await applyExample('residency-restricted.yaml');
    await mustCreate(h, '/api/v1/projects', project('clinic', { dataClass: 'restricted', allowedCountries: ['DE'] }));
    const wide = await denied('/api/v1/projects', project('clinic-eu', { dataClass: 'restricted', allowedCountries: ['DE', 'FR'] }));
    expect(wide.issues).toEqual([{ field: 'spec.allowedCountries', message: 'policy "restricted-stays-in-germany": a restricted project must set spec.allowedCountries to [DE]' }]);
    await denied('/api/v1/projects', project('clinic-any', { dataClass: 'restricted' }));
    await mustCreate(h, '/api/v1/projects', project('open-eu', { dataClass: 'public', allowedCountries: ['FR'] }));
  });

  it('max-gpus-per-intern.yaml: interns hold at most 8 GPUs', async () => {
    await applyExample('max-gpus-per-intern.yaml');
    await mustCreate(h, '/api/v1/projects', project('lab'));
    const intern = await h.user('ina', [{ role: 'member', project: 'lab' }]);
    await h.call('PATCH', '/api/v1/users/ina', { body: { metadata: { labels: { role: 'intern' } } } });
    const staff = await h.user('sam', [{ role: 'member', project: 'lab' }]);
    const gpus = (name: string, count: number) => job(name, { resources: { cpu: '1', gpu: { count } } });
    await mustCreate(h, '/api/v1/projects/lab/jobs', gpus('i1', 4), intern);
    await mustCreate(h, '/api/v1/projects/lab/jobs', gpus('i2', 4), intern);
    const over = await denied('/api/v1/projects/lab/jobs', gpus('i3', 1), intern);
    expect(over.issues[0]!.message).toBe('policy "interns-max-8-gpus": interns hold at most 8 GPUs at a time: you hold 8 and ask for 1');
    await mustCreate(h, '/api/v1/projects/lab/jobs', gpus('s1', 16), staff);
  });

  it('cost-centre-label.yaml: every workload carries cost-centre=cc-NNNN', async () => {
    await applyExample('cost-centre-label.yaml');
    await mustCreate(h, '/api/v1/projects', project('fin'));
    await mustCreate(h, '/api/v1/projects/fin/jobs', withLabels(job('paid'), { 'cost-centre': 'cc-1234' }));
    const none = await denied('/api/v1/projects/fin/jobs', job('unpaid'));
    expect(none.issues[0]).toEqual({ field: 'metadata.labels', message: 'policy "cost-centre-label": every workload needs a label cost-centre=cc-NNNN' });
    await denied('/api/v1/projects/fin/jobs', withLabels(job('typo'), { 'cost-centre': 'cc-12' }));
  });

  it('no-gpu-sharing-restricted.yaml: restricted data never shares a GPU', async () => {
    await applyExample('no-gpu-sharing-restricted.yaml');
    await mustCreate(h, '/api/v1/projects', project('vault', { dataClass: 'restricted' }));
    await mustCreate(h, '/api/v1/projects', project('commons', { dataClass: 'public' }));
    const share = job('notebook', { resources: { cpu: '1', gpu: { share: 0.25 } } });
    const refused = await denied('/api/v1/projects/vault/jobs', share);
    expect(refused.issues[0]!.message).toContain('restricted data never shares a GPU');
    await mustCreate(h, '/api/v1/projects/vault/jobs', job('whole', { resources: { cpu: '1', gpu: { count: 1 } } }));
    await mustCreate(h, '/api/v1/projects/commons/jobs', share);
  });

  it('default-priority-class.yaml: a project\'s Jobs get its default class', async () => {
    await applyExample('default-priority-class.yaml');
    for (const [name, value] of [['batch', 10], ['urgent', 1000]] as const) {
      await mustCreate(h, '/api/v1/priorityclasses', { apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name }, spec: { value } });
      applied.push({ path: `/api/v1/priorityclasses/${name}` });
    }
    await mustCreate(h, '/api/v1/projects', { ...project('batchy'), metadata: { name: 'batchy', labels: { 'weft.dev/default-priority-class': 'batch' } } });
    await mustCreate(h, '/api/v1/projects', project('plain'));
    expect((await mustCreate(h, '/api/v1/projects/batchy/jobs', job('a'))).spec.priorityClass).toBe('batch');
    expect((await mustCreate(h, '/api/v1/projects/batchy/jobs', job('b', { priorityClass: 'urgent' }))).spec.priorityClass).toBe('urgent');
    expect((await mustCreate(h, '/api/v1/projects/plain/jobs', job('c'))).spec.priorityClass).toBeUndefined();
    // The default is filled in before Weft checks references: a class that does not exist is refused.
    await mustCreate(h, '/api/v1/projects', { ...project('typo'), metadata: { name: 'typo', labels: { 'weft.dev/default-priority-class': 'bacth' } } });
    const r = await h.call('POST', '/api/v1/projects/typo/jobs', { body: job('d') });
    expect(r.status).toBe(422);
    expect(r.body.issues[0]).toEqual({ field: 'spec.priorityClass', message: 'priority class "bacth" does not exist' });
  });

  it('vm-only-secret.yaml: data of class secret runs only in VirtualMachines', async () => {
    await applyExample('vm-only-secret.yaml');
    await mustCreate(h, '/api/v1/projects', project('spy', { dataClass: 'secret' }));
    await mustCreate(h, '/api/v1/projects', project('ops', { dataClass: 'internal' }));
    const r = await denied('/api/v1/projects/spy/jobs', job('train'));
    expect(r.detail).toBe('a policy refused to create Job "train": policy "secret-runs-in-vms-only": data of class secret runs only in VirtualMachines, not in a Job');
    await mustCreate(h, '/api/v1/projects/ops/jobs', job('train'));
    if (kindDef('VirtualMachine')) {
      const vm = { apiVersion: 'weft/v1', kind: 'VirtualMachine', metadata: { name: 'vm' }, spec: { resources: { cpu: '1' } } };
      expect((await h.call('POST', '/api/v1/projects/spy/virtualmachines', { body: vm })).body.code).not.toBe('PolicyDenied');
    }
    // Nothing of the secret project's is left for afterEach to miss: the class goes with its projects.
    for (const p of ['spy', 'ops']) {
      await h.call('DELETE', `/api/v1/projects/ops/jobs/train`);
      await h.call('DELETE', `/api/v1/projects/${p}`);
    }
  });
});
