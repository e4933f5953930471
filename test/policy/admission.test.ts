// Admission policies over real HTTP: a bad expression is refused when the policy is created,
// Deny refuses (and an expression that fails at run time refuses too, naming the policy), Warn
// lets the request through with a Warning header, Audit only records; mutations fill defaults;
// a ProjectPolicy stays inside its project; the counters reach the policy's status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, sleep, startHarness, type Harness } from '../api/helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policyFlushIntervalMs: 200 });
});
afterAll(async () => h?.close());

const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'weft/v1', kind: 'Policy', metadata: { name }, spec });

async function statusOf(name: string, until: (s: any) => boolean): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const r = await h.call('GET', `/api/v1/policies/${name}`);
    if (until(r.body.status ?? {})) return r.body.status;
    await sleep(100);
  }
  throw new Error(`policy ${name}: status never matched`);
}

async function eventsAbout(projectName: string, name: string): Promise<any[]> {
  const r = await h.call('GET', `/api/v1/projects/${projectName}/events?labelSelector=weft.dev/involved-name=${name}`);
  return r.body.items.map((e: any) => e.spec);
}

describe('Policy creation', () => {
  it('refuses a malformed expression, naming the field and the position', async () => {
    const r = await h.call('POST', '/api/v1/policies', {
      body: policy('bad', { match: { kinds: ['Job'] }, validations: [{ expression: 'object.spec.replicas <= 8' }, { expression: 'object.spec.replicas <=\n  && true' }] }),
    });
    expect(r.status).toBe(422);
    expect(r.body.issues).toHaveLength(1);
    expect(r.body.issues[0].field).toBe('spec.validations[1].expression');
    expect(r.body.issues[0].message).toMatch(/^line 2, column 3: /);
    expect((await h.call('GET', '/api/v1/policies/bad')).status).toBe(404);
  });

  it('refuses a type error and a validation that does not give a bool', async () => {
    const r = await h.call('POST', '/api/v1/policies', {
      body: policy('types', { match: { kinds: ['Job'] }, validations: [{ expression: 'request.gpus <= "8"' }, { expression: 'request.kind' }] }),
    });
    expect(r.status).toBe(422);
    expect(r.body.issues.map((i: any) => i.field)).toEqual(['spec.validations[0].expression', 'spec.validations[1].expression']);
    expect(r.body.issues[1].message).toContain('must give a bool');
  });
});

describe('actions', () => {
  it('Deny refuses with the policy and its message, and stores nothing', async () => {
    await mustCreate(h, '/api/v1/projects', project('deny'));
    await mustCreate(h, '/api/v1/policies', policy('max-replicas', {
      match: { kinds: ['Job'], projects: ['deny'] },
      validations: [{ expression: 'object.spec.replicas <= 4', messageExpression: '"at most 4 replicas, got " + string(object.spec.replicas)', field: 'spec.replicas' }],
    }));
    const r = await h.call('POST', '/api/v1/projects/deny/jobs', { body: job('big', { replicas: 5 }) });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('PolicyDenied');
    expect(r.body.detail).toBe('a policy refused to create Job "big": policy "max-replicas": at most 4 replicas, got 5');
    expect(r.body.issues).toEqual([{ field: 'spec.replicas', message: 'policy "max-replicas": at most 4 replicas, got 5' }]);
    expect((await h.call('GET', '/api/v1/projects/deny/jobs/big')).status).toBe(404);
    await mustCreate(h, '/api/v1/projects/deny/jobs', job('small', { replicas: 4 }));
    // Other projects are not selected.
    await mustCreate(h, '/api/v1/projects', project('other'));
    await mustCreate(h, '/api/v1/projects/other/jobs', job('big', { replicas: 5 }));

    const st = await statusOf('max-replicas', (s) => s.denials === 1 && s.matches === 2);
    expect(st.lastViolations[0]).toMatchObject({ result: 'Denied', operation: 'CREATE', kind: 'Job', project: 'deny', name: 'big', user: 'admin' });
  });

  it('an expression that fails at run time denies, naming the policy (fail closed)', async () => {
    await mustCreate(h, '/api/v1/projects', project('closed'));
    await mustCreate(h, '/api/v1/policies', policy('gpu-count', {
      match: { kinds: ['Job'], projects: ['closed'] },
      validations: [{ expression: 'object.spec.resources.gpu.count <= 8', message: 'at most 8 GPUs' }],
    }));
    const r = await h.call('POST', '/api/v1/projects/closed/jobs', { body: job('cpu-only') });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/^a policy refused to create Job "cpu-only": policy "gpu-count": No such key: gpu/);
  });

  it('Warn lets the request through with a Warning header and an Event', async () => {
    await mustCreate(h, '/api/v1/projects', project('warn'));
    await mustCreate(h, '/api/v1/policies', policy('team-label', {
      action: 'Warn',
      match: { kinds: ['*'], projects: ['warn'] },
      validations: [{ expression: 'has(object.metadata.labels) && "team" in object.metadata.labels', message: 'label the work with its team' }],
    }));
    const r = await h.call('POST', '/api/v1/projects/warn/jobs', { body: job('unlabelled') });
    expect(r.status).toBe(201);
    expect(r.headers.get('warning')).toBe('299 - "policy \\"team-label\\": label the work with its team"');
    expect(await eventsAbout('warn', 'unlabelled')).toEqual([expect.objectContaining({ type: 'Warning', reason: 'PolicyWarning', message: 'policy "team-label": label the work with its team' })]);
    const ok = await h.call('POST', '/api/v1/projects/warn/jobs', { body: job('labelled', {}, { team: 'vision' }) });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('warning')).toBeNull();
    await statusOf('team-label', (s) => s.warnings === 1 && s.matches === 2);
  });

  it('Audit only records: no refusal, no warning, an Event and the count', async () => {
    await mustCreate(h, '/api/v1/projects', project('audit'));
    await mustCreate(h, '/api/v1/policies', policy('no-big-jobs', {
      action: 'Audit',
      match: { kinds: ['Job'], projects: ['audit'] },
      validations: [{ expression: 'object.spec.replicas < 3', message: 'a job of 3 or more replicas' }],
    }));
    const r = await h.call('POST', '/api/v1/projects/audit/jobs', { body: job('wide', { replicas: 3 }) });
    expect(r.status).toBe(201);
    expect(r.headers.get('warning')).toBeNull();
    expect(await eventsAbout('audit', 'wide')).toEqual([expect.objectContaining({ reason: 'PolicyAudit', message: 'policy "no-big-jobs": a job of 3 or more replicas' })]);
    const st = await statusOf('no-big-jobs', (s) => s.audits === 1);
    expect(st.lastViolations[0]).toMatchObject({ result: 'Audited', name: 'wide' });
  });

  it('an expression error in a Warn policy warns instead of refusing', async () => {
    await mustCreate(h, '/api/v1/projects', project('warn-error'));
    await mustCreate(h, '/api/v1/policies', policy('warn-broken', {
      action: 'Warn',
      match: { kinds: ['Job'], projects: ['warn-error'] },
      validations: [{ expression: 'object.spec.nothing == 1' }],
    }));
    const r = await h.call('POST', '/api/v1/projects/warn-error/jobs', { body: job('j') });
    expect(r.status).toBe(201);
    expect(r.headers.get('warning')).toContain('No such key: nothing');
  });
});

describe('mutations', () => {
  it('fill in a default the object lacks, and leave one it has', async () => {
    await mustCreate(h, '/api/v1/projects', project('mut', {}));
    await mustCreate(h, '/api/v1/priorityclasses', { apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'batch-low' }, spec: { value: 10 } });
    await mustCreate(h, '/api/v1/priorityclasses', { apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'urgent' }, spec: { value: 100 } });
    await mustCreate(h, '/api/v1/policies', policy('defaults', {
      match: { kinds: ['Job'], projects: ['mut'] },
      mutations: [
        { path: 'spec.priorityClass', expression: '"batch-low"' },
        { path: 'metadata.labels["weft.dev/team"]', expression: 'request.project + "-team"' },
      ],
    }));
    const a = await mustCreate(h, '/api/v1/projects/mut/jobs', job('a'));
    expect(a.spec.priorityClass).toBe('batch-low');
    expect(a.metadata.labels['weft.dev/team']).toBe('mut-team');
    const b = await mustCreate(h, '/api/v1/projects/mut/jobs', job('b', { priorityClass: 'urgent' }));
    expect(b.spec.priorityClass).toBe('urgent');
  });

  it('a mutation that makes the object invalid is refused with the field', async () => {
    await mustCreate(h, '/api/v1/projects', project('mut-bad'));
    await mustCreate(h, '/api/v1/policies', policy('bad-default', {
      match: { kinds: ['Job'], projects: ['mut-bad'] },
      mutations: [{ path: 'spec.replicas', expression: '"many"' }, { path: 'spec.maxRuntimeSeconds', expression: '-1' }],
    }));
    const r = await h.call('POST', '/api/v1/projects/mut-bad/jobs', { body: { ...job('x'), spec: { resources: { cpu: '1' } } } });
    expect(r.status).toBe(422);
    expect(r.body.detail).toContain('after the mutations of "bad-default"');
  });
});

describe('ProjectPolicy', () => {
  it('is written by the project admin and applies inside that project only', async () => {
    await mustCreate(h, '/api/v1/projects', project('pp'));
    await mustCreate(h, '/api/v1/projects', project('pp-other'));
    const admin = await h.user('pp-admin', [{ role: 'project-admin', project: 'pp' }]);
    const member = await h.user('pp-member', [{ role: 'member', project: 'pp' }]);
    const body = { apiVersion: 'weft/v1', kind: 'ProjectPolicy', metadata: { name: 'one-replica' }, spec: { match: { kinds: ['Job'] }, validations: [{ expression: 'object.spec.replicas == 1', message: 'one replica here' }] } };
    expect((await h.call('POST', '/api/v1/projects/pp/projectpolicies', { body, token: member })).status).toBe(403);
    await mustCreate(h, '/api/v1/projects/pp/projectpolicies', body, admin);
    const r = await h.call('POST', '/api/v1/projects/pp/jobs', { body: job('two', { replicas: 2 }), token: member });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe('a policy refused to create Job "two": project policy "one-replica": one replica here');
    await mustCreate(h, '/api/v1/projects/pp-other/jobs', job('two', { replicas: 2 }));
    // It may not reach outside its project.
    const wide = await h.call('POST', '/api/v1/projects/pp/projectpolicies', { body: { ...body, metadata: { name: 'wide' }, spec: { ...body.spec, match: { kinds: ['Job'], projects: ['pp-other'] } } }, token: admin });
    expect(wide.status).toBe(422);
    expect(wide.body.issues[0].field).toBe('spec.match.projects');
  });
});

describe('DELETE and the created-by stamp', () => {
  it('a policy can refuse a delete, and user.gpus counts what the user already holds', async () => {
    await mustCreate(h, '/api/v1/projects', project('gpus'));
    const carol = await h.user('carol', [{ role: 'member', project: 'gpus' }]);
    await mustCreate(h, '/api/v1/policies', policy('carol-cap', {
      match: { kinds: ['Job'], projects: ['gpus'] },
      validations: [{ expression: 'user.gpus + request.gpus <= 8.0', messageExpression: '"at most 8 GPUs per user; you hold " + string(user.gpus)' }],
    }));
    await mustCreate(h, '/api/v1/policies', policy('keep-pinned', {
      match: { kinds: ['Job'], projects: ['gpus'], operations: ['DELETE'], objectSelector: 'pinned=true' },
      validations: [{ expression: 'false', message: 'pinned jobs are not deleted' }],
    }));
    const first = await mustCreate(h, '/api/v1/projects/gpus/jobs', { ...job('first', { replicas: 1, resources: { gpu: { count: 6 } } }, { pinned: 'true' }), metadata: { name: 'first', labels: { pinned: 'true' }, annotations: { 'weft.dev/created-by': 'someone-else' } } }, carol);
    expect(first.metadata.annotations['weft.dev/created-by']).toBe('carol');
    const r = await h.call('POST', '/api/v1/projects/gpus/jobs', { body: job('second', { resources: { gpu: { count: 4 } } }), token: carol });
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain('you hold 6');
    // Someone else's GPUs do not count against carol.
    await mustCreate(h, '/api/v1/projects/gpus/jobs', job('admins', { resources: { gpu: { count: 4 } } }));
    const del = await h.call('DELETE', '/api/v1/projects/gpus/jobs/first', { token: carol });
    expect(del.status).toBe(403);
    expect(del.body.detail).toContain('pinned jobs are not deleted');
    expect((await h.call('DELETE', '/api/v1/projects/gpus/jobs/admins')).status).toBe(200);
  });
});
