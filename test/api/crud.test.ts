// CRUD on every kind over real HTTP, optimistic concurrency, merge patch, status subresource,
// list paging and selectors, YAML bodies and the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/model/registry.js';
import type { KindDef } from '../../src/model/kind.js';
import { routesOf } from '../../src/api/server.js';
import { isConsolePath } from '../../src/api/console.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { job, mustCreate, openSse, project, startHarness, type Harness } from './helpers.js';

/** A valid spec per kind; a kind added to the registry without one here fails the suite. */
const SAMPLES: Record<string, { spec: Record<string, unknown>; change: Record<string, unknown> }> = {
  Project: { spec: { displayName: 'Demo' }, change: { displayName: 'Demo 2' } },
  Queue: { spec: { weight: 1 }, change: { weight: 2 } },
  PriorityClass: { spec: { value: 100 }, change: { value: 200 } },
  Site: { spec: { region: 'eu', country: 'DE' }, change: { region: 'eu-central' } },
  Node: { spec: { cpu: '64', memory: '512Gi', gpus: [{ index: 0, model: 'H100-80GB' }] }, change: { unschedulable: true } },
  User: { spec: { roles: [{ role: 'viewer' }] }, change: { displayName: 'Someone' } },
  Job: { spec: { resources: { cpu: '2', gpu: { count: 1 } } }, change: { replicas: 2 } },
  Service: { spec: { replicas: { min: 1, max: 2 }, port: 8000, resources: { gpu: { count: 1 } } }, change: { replicas: { min: 2, max: 4 } } },
  DevEnvironment: { spec: { idleTimeoutSeconds: 3600, resources: { gpu: { share: 0.25 } } }, change: { suspend: true } },
  Allocation: {
    spec: {
      workload: { kind: 'Job', name: 'x', uid: '00000000-0000-0000-0000-000000000001' },
      replica: 0,
      attempt: 0,
      node: 'crud-node',
      gpus: [{ index: 0, model: 'H100-80GB', milli: 1000 }],
      cpuMilli: 1000,
      memoryBytes: 0,
    },
    change: { gpus: [{ index: 1, model: 'H100-80GB', milli: 1000 }] },
  },
  Event: { spec: { type: 'Normal', reason: 'Tested', message: 'hello', involvedObject: { kind: 'Job', name: 'x' } }, change: { message: 'hello again' } },
  PriceBook: { spec: { currency: 'EUR', prices: [{ resource: 'gpu', model: 'H100-80GB', pricePerHour: '2.50' }] }, change: { preemptibleDiscountPercent: 30 } },
  Budget: { spec: { limit: { gpuHours: 100 } }, change: { enforce: true } },
  Policy: { spec: { match: { kinds: ['PriceBook'] }, validations: [{ expression: 'true' }] }, change: { action: 'Warn' } },
  ProjectPolicy: { spec: { match: { kinds: ['Budget'] }, validations: [{ expression: 'true' }] }, change: { action: 'Audit' } },
  DataClass: { spec: { minIsolation: 'dedicated' }, change: { allowedCountries: ['DE'] } },
  // Reads show a Secret's key names only; new data (with another key) changes them.
  Secret: { spec: { data: { token: 'crud-value' } }, change: { data: { token: 'other', extra: 'x' } } },
  Volume: { spec: { type: 'hostPath', path: '/data/cache', nodes: ['n1'] }, change: { nodes: ['n1', 'n2'] } },
  Network: { spec: { subnet: '10.30.0.0/24' }, change: { description: 'lab' } },
  Image: { spec: { source: { url: 'https://images.example.org/debian-12.qcow2' }, checksum: `sha256:${'c'.repeat(64)}`, format: 'qcow2' }, change: { description: 'Debian 12' } },
  VirtualMachine: { spec: { resources: { cpu: '2', memory: '4Gi' }, rootDisk: { image: 'crud-disk' } }, change: { runStrategy: 'Halted' } },
  // Booked on crud-node (made in beforeAll); the change extends the window.
  Lease: { spec: { nodes: 1, start: '2031-01-01T10:00:00Z', end: '2031-01-01T18:00:00Z', users: [{ name: 'alice', sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ6m alice@laptop'] }] }, change: { end: '2031-01-01T20:00:00Z' } },
  Reservation: { spec: { gpus: 1, model: 'H100-80GB', start: '2030-01-01T10:00:00Z', end: '2030-01-01T18:00:00Z' }, change: { end: '2030-01-01T20:00:00Z' } },
  Cluster: { spec: { provider: 'slurm', endpoint: 'http://127.0.0.1:6820', auth: { type: 'jwt', user: 'weft', tokenFile: '/etc/weft/slurm.jwt' } }, change: { partitions: ['gpu'] } },
};

const P = 'crud';
const base = (def: KindDef) => (def.scope === 'project' ? `/api/v1/projects/${P}/${def.plural}` : `/api/v1/${def.plural}`);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project(P));
  await mustCreate(h, `/api/v1/projects/${P}/images`, { kind: 'Image', metadata: { name: 'crud-disk' }, spec: { source: { url: 'https://images.example.org/d.raw' }, checksum: `sha256:${'d'.repeat(64)}`, format: 'raw' } });
  await mustCreate(h, '/api/v1/nodes', { kind: 'Node', metadata: { name: 'crud-node' }, spec: { cpu: '64', memory: '512Gi', gpus: [{ index: 0, model: 'H100-80GB' }] } });
});
afterAll(async () => h?.close());

describe('every kind', () => {
  for (const def of KINDS) {
    it(`${def.kind}: create, get, list, replace, patch, delete`, async () => {
      const sample = SAMPLES[def.kind];
      expect(sample, `add a sample ${def.kind} to SAMPLES`).toBeDefined();
      const name = `sample-${def.plural}`;
      const doc = { apiVersion: 'weft/v1', kind: def.kind, metadata: { name, labels: { suite: 'crud' } }, spec: sample!.spec };

      const created = await h.call('POST', base(def), { body: doc });
      expect(created.status, created.text).toBe(201);
      expect(created.body.metadata).toMatchObject({ name, generation: 1 });
      expect(created.body.metadata.uid).toBeTruthy();
      if (def.scope === 'project') expect(created.body.metadata.project).toBe(P);

      const again = await h.call('POST', base(def), { body: doc });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('AlreadyExists');

      const got = await h.call('GET', `${base(def)}/${name}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);

      const list = await h.call('GET', `${base(def)}?labelSelector=suite%3Dcrud`);
      expect(list.status).toBe(200);
      expect(list.body.kind).toBe(`${def.kind}List`);
      expect(list.body.items.map((o: any) => o.metadata.name)).toEqual([name]);

      const replaced = await h.call('PUT', `${base(def)}/${name}`, { body: { ...got.body, spec: { ...got.body.spec, ...sample!.change } } });
      expect(replaced.status, replaced.text).toBe(200);
      expect(replaced.body.metadata.generation).toBe(2);
      expect(BigInt(replaced.body.metadata.resourceVersion)).toBeGreaterThan(BigInt(got.body.metadata.resourceVersion));

      const stale = await h.call('PUT', `${base(def)}/${name}`, { body: got.body });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('Conflict');

      const patched = await h.call('PATCH', `${base(def)}/${name}`, { body: { metadata: { labels: { extra: 'yes' } } }, contentType: 'application/merge-patch+json' });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.metadata.labels).toEqual({ suite: 'crud', extra: 'yes' });
      expect(patched.body.metadata.generation).toBe(2); // labels are not spec

      const deleted = await h.call('DELETE', `${base(def)}/${name}`);
      expect(deleted.status).toBe(200);
      expect((await h.call('GET', `${base(def)}/${name}`)).status).toBe(404);
    });
  }
});

describe('writes', () => {
  it('applies admission defaults to a Job', async () => {
    const r = await mustCreate(h, `/api/v1/projects/${P}/jobs`, { kind: 'Job', metadata: { name: 'defaults' }, spec: { resources: { gpu: { share: 0.5 } } } });
    expect(r.spec).toMatchObject({ replicas: 1, gang: { minAvailable: 1 }, isolation: 'shared' });
    expect(r.apiVersion).toBe('weft/v1');
  });

  it('accepts date-time fields', async () => {
    const ok = await h.call('POST', `/api/v1/projects/${P}/jobs`, { body: job('ckpt', { checkpoint: { lastCheckpointTime: '2026-01-02T03:04:05Z' } }) });
    expect(ok.status, ok.text).toBe(201);
    const bad = await h.call('POST', `/api/v1/projects/${P}/jobs`, { body: job('ckpt2', { checkpoint: { lastCheckpointTime: 'yesterday' } }) });
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0].field).toBe('spec.checkpoint.lastCheckpointTime');
  });

  it('accepts YAML bodies', async () => {
    const yaml = `apiVersion: weft/v1\nkind: Job\nmetadata:\n  name: from-yaml\nspec:\n  replicas: 2\n  resources:\n    cpu: "4"\n`;
    const r = await h.call('POST', `/api/v1/projects/${P}/jobs`, { raw: yaml, contentType: 'application/yaml' });
    expect(r.status, r.text).toBe(201);
    expect(r.body.spec.replicas).toBe(2);
    const p = await h.call('PATCH', `/api/v1/projects/${P}/jobs/from-yaml`, { raw: 'spec:\n  replicas: 3\n  gang: {minAvailable: 3}\n', contentType: 'application/yaml' });
    expect(p.status, p.text).toBe(200);
    expect(p.body.spec.replicas).toBe(3);
  });

  it('merge patch with null removes a field and a stale resourceVersion is refused', async () => {
    const j = await mustCreate(h, `/api/v1/projects/${P}/jobs`, job('patchme', {}, { a: 'b', c: 'd' }));
    const r = await h.call('PATCH', `/api/v1/projects/${P}/jobs/patchme`, { body: { metadata: { labels: { a: null } } } });
    expect(r.body.metadata.labels).toEqual({ c: 'd' });
    const stale = await h.call('PATCH', `/api/v1/projects/${P}/jobs/patchme`, { body: { metadata: { resourceVersion: j.metadata.resourceVersion }, spec: { replicas: 5 } } });
    expect(stale.status).toBe(409);
    const renamed = await h.call('PATCH', `/api/v1/projects/${P}/jobs/patchme`, { body: { metadata: { name: 'other' } } });
    expect(renamed.status).toBe(422);
    expect(renamed.body.issues[0].field).toBe('metadata.name');
  });

  it('users cannot write status; admins write it through /status and user writes keep it', async () => {
    await mustCreate(h, `/api/v1/projects/${P}/jobs`, { ...job('st'), status: { phase: 'Hacked' } });
    const created = await h.call('GET', `/api/v1/projects/${P}/jobs/st`);
    expect(created.body.status?.phase).toBeUndefined();
    const s = await h.call('PUT', `/api/v1/projects/${P}/jobs/st/status`, { body: { status: { phase: 'Running', replicas: 1 } } });
    expect(s.status, s.text).toBe(200);
    expect(s.body.status).toEqual({ phase: 'Running', replicas: 1 });
    expect(s.body.metadata.generation).toBe(1);
    const m = await h.call('PATCH', `/api/v1/projects/${P}/jobs/st/status`, { body: { status: { replicas: null, message: 'ok' } } });
    expect(m.body.status).toEqual({ phase: 'Running', message: 'ok' });
    const put = await h.call('PUT', `/api/v1/projects/${P}/jobs/st`, { body: { ...m.body, spec: { ...m.body.spec, replicas: 1 }, status: { phase: 'Succeeded' } } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.status).toEqual({ phase: 'Running', message: 'ok' });
    const patch = await h.call('PATCH', `/api/v1/projects/${P}/jobs/st`, { body: { status: { phase: 'Failed' } } });
    expect(patch.body.status).toEqual({ phase: 'Running', message: 'ok' });
  });

  it('50 concurrent updates on the same version: exactly one wins', async () => {
    const j = await mustCreate(h, `/api/v1/projects/${P}/jobs`, job('race'));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.call('PUT', `/api/v1/projects/${P}/jobs/race`, { body: { ...j, metadata: { ...j.metadata, labels: { writer: String(i) } } } }),
      ),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(49);
    const winner = results.find((r) => r.status === 200)!;
    const now = await h.call('GET', `/api/v1/projects/${P}/jobs/race`);
    expect(now.body.metadata.labels).toEqual(winner.body.metadata.labels);
  });

  it('refuses to delete a project that still holds objects', async () => {
    await mustCreate(h, '/api/v1/projects', project('busy'));
    await mustCreate(h, '/api/v1/projects/busy/jobs', job('j'));
    const r = await h.call('DELETE', '/api/v1/projects/busy');
    expect(r.status).toBe(409);
    expect(r.body.detail).toContain('jobs');
    await h.call('DELETE', '/api/v1/projects/busy/jobs/j');
    expect((await h.call('DELETE', '/api/v1/projects/busy')).status).toBe(200);
  });

  it('delete honours a resourceVersion precondition', async () => {
    const j = await mustCreate(h, `/api/v1/projects/${P}/jobs`, job('deleteme'));
    await h.call('PATCH', `/api/v1/projects/${P}/jobs/deleteme`, { body: { metadata: { labels: { x: 'y' } } } });
    expect((await h.call('DELETE', `/api/v1/projects/${P}/jobs/deleteme?resourceVersion=${j.metadata.resourceVersion}`)).status).toBe(409);
    expect((await h.call('DELETE', `/api/v1/projects/${P}/jobs/deleteme`)).status).toBe(200);
  });
});

describe('lists', () => {
  it('pages with limit and continue, and filters by label', async () => {
    await mustCreate(h, '/api/v1/projects', project('paging'));
    for (let i = 0; i < 7; i++) await mustCreate(h, '/api/v1/projects/paging/jobs', job(`p${i}`, {}, { parity: i % 2 ? 'odd' : 'even' }));
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const r = await h.call('GET', `/api/v1/projects/paging/jobs?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      expect(r.status, r.text).toBe(200);
      names.push(...r.body.items.map((o: any) => o.metadata.name));
      cont = r.body.metadata.continue;
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    const odd = await h.call('GET', '/api/v1/projects/paging/jobs?labelSelector=parity%3Dodd');
    expect(odd.body.items.map((o: any) => o.metadata.name).sort()).toEqual(['p1', 'p3', 'p5']);
    const all = await h.call('GET', '/api/v1/jobs?labelSelector=parity%20in%20(odd,even)');
    expect(all.body.items).toHaveLength(7);
  });
});

describe('lists by name (fieldSelector=metadata.name=NAME)', () => {
  const names = (r: { body: { items: { metadata: { project?: string; name: string } }[] } }): string[] =>
    r.body.items.map((o) => `${o.metadata.project ?? '-'}/${o.metadata.name}`);

  it('returns only that object, combined with the label selector, paging and order', async () => {
    await mustCreate(h, '/api/v1/projects', project('fs-one'));
    for (const n of ['fs-a', 'fs-b', 'fs-b-2']) await mustCreate(h, '/api/v1/projects/fs-one/jobs', job(n, {}, { tier: 'gpu' }));
    for (const sel of ['metadata.name=fs-b', 'metadata.name==fs-b']) {
      const r = await h.call('GET', `/api/v1/projects/fs-one/jobs?fieldSelector=${encodeURIComponent(sel)}`);
      expect(r.status, r.text).toBe(200);
      expect(names(r)).toEqual(['fs-one/fs-b']);
    }
    const q = (extra: string) => h.call('GET', `/api/v1/projects/fs-one/jobs?fieldSelector=${encodeURIComponent('metadata.name=fs-b')}&${extra}`);
    expect(names(await q('labelSelector=tier%3Dgpu'))).toEqual(['fs-one/fs-b']);
    expect(names(await q('labelSelector=tier%3Dcpu'))).toEqual([]);
    expect(names(await q('order=newest&limit=1'))).toEqual(['fs-one/fs-b']);
    const missing = await h.call('GET', `/api/v1/projects/fs-one/jobs?fieldSelector=${encodeURIComponent('metadata.name=fs-nothing')}`);
    expect(missing.status, missing.text).toBe(200);
    expect(missing.body.items).toEqual([]);
    // Cluster-scoped kinds too.
    const nodes = await h.call('GET', `/api/v1/nodes?fieldSelector=${encodeURIComponent('metadata.name=crud-none')}`);
    expect(nodes.status, nodes.text).toBe(200);
    expect(nodes.body.items).toEqual([]);
  });

  it('a cross-project list by name never shows a project the caller may not read', async () => {
    for (const p of ['fs-mine', 'fs-theirs']) {
      await mustCreate(h, '/api/v1/projects', project(p));
      await mustCreate(h, `/api/v1/projects/${p}/jobs`, job('fs-same'));
    }
    const token = await h.user('fs-viewer', [{ role: 'viewer', project: 'fs-mine' }]);
    const sel = `fieldSelector=${encodeURIComponent('metadata.name=fs-same')}`;
    const mine = await h.call('GET', `/api/v1/jobs?${sel}`, { token });
    expect(mine.status, mine.text).toBe(200);
    expect(names(mine)).toEqual(['fs-mine/fs-same']);
    expect(names(await h.call('GET', `/api/v1/jobs?${sel}`))).toEqual(['fs-mine/fs-same', 'fs-theirs/fs-same']);
    // Projects are narrowed in memory for such a caller: the name narrows that list too.
    expect(names(await h.call('GET', `/api/v1/projects?fieldSelector=${encodeURIComponent('metadata.name=fs-mine')}`, { token }))).toEqual(['-/fs-mine']);
    expect(names(await h.call('GET', `/api/v1/projects?fieldSelector=${encodeURIComponent('metadata.name=fs-theirs')}`, { token }))).toEqual([]);
  });
});

describe('narrowed lists', () => {
  it('pages a Project list narrowed to the caller\'s projects', async () => {
    for (const p of ['nl-a', 'nl-b', 'nl-c', 'nl-d']) await mustCreate(h, '/api/v1/projects', project(p));
    const token = await h.user('nl-viewer', ['nl-a', 'nl-b', 'nl-d'].map((p) => ({ role: 'viewer' as const, project: p })));
    const names: string[] = [];
    let cont: string | undefined;
    do {
      const r = await h.call('GET', `/api/v1/projects?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, { token });
      expect(r.status, r.text).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      names.push(...r.body.items.map((o: any) => o.metadata.name));
      cont = r.body.metadata.continue;
    } while (cont);
    expect(names).toEqual(['nl-a', 'nl-b', 'nl-d']);
  });

  it('points writes to a cross-project path at the project-scoped one', async () => {
    const r = await h.call('POST', '/api/v1/jobs', { body: job('x') });
    expect(r.status).toBe(404);
    expect(r.body.detail).toContain('/api/v1/projects/{project}/jobs');
  });
});

describe('newest-first lists', () => {
  // A store clock the test sets, so creation times (and ties) are exactly what it says.
  let clock = Date.now();
  let store: Store;
  let n: Harness;
  beforeAll(async () => {
    store = await openStore({ now: () => new Date(clock) });
    n = await startHarness({ store });
  });
  afterAll(async () => {
    await n?.close();
    await store?.close();
  });

  /** Every page of `path` (which already has a query), following metadata.continue. */
  const pages = async (path: string, token?: string): Promise<{ names: string[]; sizes: number[]; versions: Set<string> }> => {
    const out = { names: [] as string[], sizes: [] as number[], versions: new Set<string>() };
    let cont: string | undefined;
    do {
      const r = await n.call('GET', `${path}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, token ? { token } : {});
      expect(r.status, r.text).toBe(200);
      out.names.push(...r.body.items.map((o: any) => o.metadata.name));
      out.sizes.push(r.body.items.length);
      out.versions.add(r.body.metadata.resourceVersion);
      cont = r.body.metadata.continue;
    } while (cont && out.sizes.length < 50);
    return out;
  };

  it('pages a collection newest first with limit and continue; tokens do not cross orders', async () => {
    await mustCreate(n, '/api/v1/projects', project('newest'));
    // Created in this order: j-c first; j-a and j-b at the same instant; j-d last.
    for (const [name, step] of [['j-c', 1000], ['j-a', 1000], ['j-b', 0], ['j-d', 1000]] as const) {
      clock += step;
      await mustCreate(n, '/api/v1/projects/newest/jobs', job(name));
    }
    const newest = await pages('/api/v1/projects/newest/jobs?order=newest&limit=2');
    expect(newest.names).toEqual(['j-d', 'j-a', 'j-b', 'j-c']);
    expect(newest.sizes).toEqual([2, 2]); // no empty page after an exact multiple
    expect(newest.versions.size).toBe(1);
    expect((await pages('/api/v1/jobs?order=newest&limit=3')).names).toEqual(['j-d', 'j-a', 'j-b', 'j-c']);
    expect((await pages('/api/v1/projects/newest/jobs?order=name&limit=3')).names).toEqual(['j-a', 'j-b', 'j-c', 'j-d']);
    expect((await pages('/api/v1/projects/newest/jobs?limit=3')).names).toEqual(['j-a', 'j-b', 'j-c', 'j-d']);

    const byName = await n.call('GET', '/api/v1/projects/newest/jobs?limit=1');
    const byNewest = await n.call('GET', '/api/v1/projects/newest/jobs?order=newest&limit=1');
    for (const [cont, order] of [[byName.body.metadata.continue, 'newest'], [byNewest.body.metadata.continue, 'name']]) {
      const r = await n.call('GET', `/api/v1/projects/newest/jobs?order=${order}&limit=1&continue=${encodeURIComponent(cont)}`);
      expect(r.status, r.text).toBe(400);
      expect(r.body.issues.map((i: { field: string }) => i.field)).toEqual(['continue']);
    }
    // A watch ignores order: the parameter is accepted and changes arrive in commit order (the
    // second one is created earlier by the clock, and still comes second).
    const s = await openSse(`${n.url}/api/v1/projects/newest/jobs?watch=true&order=newest&resourceVersion=${newest.versions.values().next().value}`, n.adminToken);
    try {
      expect(s.status).toBe(200);
      clock += 1000;
      await mustCreate(n, '/api/v1/projects/newest/jobs', job('j-e'));
      clock -= 5000;
      await mustCreate(n, '/api/v1/projects/newest/jobs', job('j-f'));
      clock += 5000;
      const evs = await s.waitFor(2);
      expect(evs.map((e) => `${e.data.type} ${e.data.object.metadata.name}`)).toEqual(['ADDED j-e', 'ADDED j-f']);
    } finally {
      s.close();
    }
  });

  it('pages a Project list narrowed in memory newest first', async () => {
    for (const [name, step] of [['nn-c', 1000], ['nn-a', 1000], ['nn-b', 0], ['nn-x', 0], ['nn-d', 1000]] as const) {
      clock += step;
      await mustCreate(n, '/api/v1/projects', project(name));
    }
    const token = await n.user('nn-viewer', ['nn-a', 'nn-b', 'nn-c', 'nn-d'].map((p) => ({ role: 'viewer' as const, project: p })));
    const newest = await pages('/api/v1/projects?order=newest&limit=2', token);
    expect(newest.names).toEqual(['nn-d', 'nn-a', 'nn-b', 'nn-c']);
    expect(newest.sizes).toEqual([2, 2]);
    expect((await pages('/api/v1/projects?limit=3', token)).names).toEqual(['nn-a', 'nn-b', 'nn-c', 'nn-d']);

    const byName = await n.call('GET', '/api/v1/projects?limit=1', { token });
    const byNewest = await n.call('GET', '/api/v1/projects?order=newest&limit=1', { token });
    for (const [cont, order] of [[byName.body.metadata.continue, 'newest'], [byNewest.body.metadata.continue, 'name']]) {
      const r = await n.call('GET', `/api/v1/projects?order=${order}&limit=1&continue=${encodeURIComponent(cont)}`, { token });
      expect(r.status, r.text).toBe(400);
      expect(r.body.issues.map((i: { field: string }) => i.field)).toEqual(['continue']);
    }
  });

  it('refuses an unknown order with a 400 naming order', async () => {
    for (const bad of ['bogus', 'NEWEST', 'oldest']) {
      const r = await n.call('GET', `/api/v1/projects/newest/jobs?order=${bad}`);
      expect(r.status, r.text).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.issues.map((i: { field: string }) => i.field)).toEqual(['order']);
    }
    const twice = await n.call('GET', '/api/v1/projects/newest/jobs?order=newest&order=name');
    expect(twice.status).toBe(400);
    expect(twice.body.issues.map((i: { field: string }) => i.field)).toEqual(['order']);
  });
});

describe('service endpoints', () => {
  it('serves health, readiness and whoami', async () => {
    expect((await h.call('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    expect((await h.call('GET', '/readyz', { token: null })).status).toBe(200);
    const me = await h.call('GET', '/api/v1/whoami');
    expect(me.body).toMatchObject({ user: 'admin', roles: [{ role: 'admin' }] });
  });

  it('publishes an OpenAPI 3.1 document covering every kind and route', async () => {
    const r = await h.call('GET', '/api/openapi.json', { token: null });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const def of KINDS) {
      expect(r.body.components.schemas[def.kind], def.kind).toBeDefined();
      const path = def.scope === 'project' ? `/api/v1/projects/{project}/${def.plural}` : `/api/v1/${def.plural}`;
      expect(Object.keys(r.body.paths[path])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(Object.keys(r.body.paths[`${path}/{name}`])).toEqual(expect.arrayContaining(['get', 'put', 'patch', 'delete']));
      expect(r.body.paths[`${path}/{name}/status`]).toBeDefined();
    }
    expect(r.body.paths['/api/v1/jobs'].get).toBeDefined();
    for (const path of ['/api/v1/jobs', '/api/v1/projects/{project}/jobs', '/api/v1/nodes']) {
      expect(r.body.paths[path].get.parameters.map((p: { name: string }) => p.name), path).toContain('fieldSelector');
    }
    expect(r.body.paths['/api/v1/tokens'].post).toBeDefined();
    for (const path of ['/api/v1/summary', '/api/v1/usage', '/api/v1/projects/{project}/invoices/{month}', '/api/v1/opencost/allocation']) {
      expect(r.body.paths[path]?.get, path).toBeDefined();
      // Every documented path is one the server really serves.
      expect(h.server.app.hasRoute({ method: 'GET', url: path.replace('{project}', ':project').replace('{month}', ':month') }), path).toBe(true);
    }
    expect(r.body.components.schemas.FleetSummary.required).toContain('gpus');
    expect(r.body.paths['/api/v1/explain'].post).toBeDefined();
    expect(h.server.app.hasRoute({ method: 'POST', url: '/api/v1/explain' })).toBe(true);
    expect(r.body.paths['/api/v1/projects/{project}/jobs/{name}/explain'].get).toBeDefined();
    expect(h.server.app.hasRoute({ method: 'GET', url: '/api/v1/projects/:project/jobs/:name/explain' })).toBe(true);
    expect(JSON.stringify(r.body)).not.toMatch(/"\$id"/);
    // And every route the server serves is documented, but the console's pages.
    const documented = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = routesOf(h.server.app).map((d) => `${d.method} ${d.url}`);
    expect(served.length).toBeGreaterThan(50);
    // The console's files (present once it is built) are pages, not API.
    const consoleFile = (d: string): boolean => d.startsWith('GET ') && (d === 'GET /' || isConsolePath(d.slice(4)));
    expect(served.filter((d) => !documented.includes(d) && !consoleFile(d))).toEqual([]);
  });
});
