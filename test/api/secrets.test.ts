// Secrets over real HTTP: values go in and never come out (GET, list, watch, audit, the database
// in plain text), workloads may name only Secrets and keys that exist, and only the node running
// a replica receives the values its task names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverOf } from '../../src/store/store.js';
import { mustCreate, openSse, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
const VALUE = 'v4lue-that-must-never-leak-7f3a';
const PASSWORD = 'registry-pa55-never-leaks-91c2';
const spec = { cpu: '8', memory: '32Gi', gpus: [{ index: 0, model: 'H100-80GB' }] };

const secret = (name: string, data: Record<string, string>, type?: string) => ({ apiVersion: 'weft/v1', kind: 'Secret', metadata: { name }, spec: { ...(type ? { type } : {}), data } });
const alloc = (name: string, node: string, task: Record<string, unknown>) => ({
  apiVersion: 'weft/v1',
  kind: 'Allocation',
  metadata: { name, labels: { 'weft.dev/node': node } },
  spec: { workload: { kind: 'Job', name: 'j', uid: 'u-1' }, replica: 0, attempt: 0, node, gpus: [], cpuMilli: 1000, memoryBytes: 1024, task },
});

async function nodeToken(name: string): Promise<string> {
  const join = await h.call('POST', '/api/v1/tokens', { body: { join: true } });
  const r = await h.call('POST', '/api/v1/nodes/register', { token: join.body.token, body: { name, spec } });
  expect(r.status).toBe(201);
  return r.body.token as string;
}

let tokA: string;
let tokB: string;
const TASK = { image: 'reg.example:5000/train:1', env: [{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'app', key: 'apiKey' } } }, { name: 'PLAIN', value: 'x' }], imagePullSecrets: [{ name: 'registry' }] };

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('s1'));
  await mustCreate(h, '/api/v1/projects', project('s2'));
  await mustCreate(h, '/api/v1/projects/s1/secrets', secret('app', { apiKey: VALUE }));
  await mustCreate(h, '/api/v1/projects/s1/secrets', secret('registry', { server: 'reg.example:5000', username: 'bot', password: PASSWORD }, 'RegistryAuth'));
  tokA = await nodeToken('sec-a');
  tokB = await nodeToken('sec-b');
  await mustCreate(h, '/api/v1/projects/s1/allocations', alloc('on-a', 'sec-a', TASK));
}, 60_000);
afterAll(async () => h?.close());

describe('Secret values are write-only', () => {
  it('GET and list show the key names, never a value', async () => {
    const one = await h.call('GET', '/api/v1/projects/s1/secrets/app');
    expect(one.status).toBe(200);
    expect(one.body.spec).toEqual({ type: 'Opaque', keys: ['apiKey'] });
    const all = await h.call('GET', '/api/v1/projects/s1/secrets');
    expect(all.text).not.toContain(VALUE);
    expect(all.text).not.toContain(PASSWORD);
    expect(all.body.items.map((s: { spec: unknown }) => s.spec)).toContainEqual({ type: 'RegistryAuth', keys: ['password', 'server', 'username'] });
  });

  it('a watch sees the Secret change without its values', async () => {
    const sse = await openSse(`${h.url}/api/v1/projects/s1/secrets?watch=true`, h.adminToken);
    try {
      const r = await h.call('PUT', '/api/v1/projects/s1/secrets/app', { body: secret('app', { apiKey: `${VALUE}-2`, other: VALUE }) });
      expect(r.status, r.text).toBe(200);
      const events = await sse.waitFor(3);
      const modified = events.find((e) => e.data.type === 'MODIFIED');
      expect(modified?.data.object.spec).toEqual({ type: 'Opaque', keys: ['apiKey', 'other'] });
      expect(JSON.stringify(sse.events)).not.toContain(VALUE);
    } finally {
      sse.close();
    }
  });

  it('labels change without new data and keep the stored values', async () => {
    const r = await h.call('PATCH', '/api/v1/projects/s1/secrets/app', { body: { metadata: { labels: { team: 'x' } } }, contentType: 'application/merge-patch+json' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.spec).toEqual({ type: 'Opaque', keys: ['apiKey', 'other'] });
  });

  it('the database holds no value in plain text, and the audit log names no value', async () => {
    const sql = driverOf(h.store)!.read;
    const rows = await sql.query<{ t: string }>("SELECT body::text AS t FROM resources WHERE kind = 'Secret' UNION ALL SELECT object::text FROM changes WHERE kind = 'Secret'", []);
    const sealed = await sql.query<{ t: string }>('SELECT sealed::text AS t FROM secret_values', []);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(sealed.length).toBe(2);
    for (const r of [...rows, ...sealed]) {
      expect(r.t).not.toContain(VALUE);
      expect(r.t).not.toContain(PASSWORD);
      expect(r.t).not.toContain(Buffer.from(VALUE).toString('base64').slice(0, 12));
    }
    const audit = await h.call('GET', '/api/v1/audit?limit=1000');
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('secrets');
    expect(audit.text).not.toContain(VALUE);
  });

  it('admission policies see the names of the values, never the values', async () => {
    await mustCreate(h, '/api/v1/policies', {
      apiVersion: 'weft/v1',
      kind: 'Policy',
      metadata: { name: 'echo-secret' },
      spec: {
        match: { kinds: ['Secret'], projects: ['s2'] },
        // Would copy the value into a stored label if policies could read it.
        mutations: [{ path: 'metadata.labels["echo"]', expression: 'has(object.spec.data) ? object.spec.data.token : "keys-" + object.spec.keys[0]' }],
      },
    });
    const r = await h.call('POST', '/api/v1/projects/s2/secrets', { body: secret('echoed', { token: 'abc123' }) });
    expect(r.status, r.text).toBe(201);
    expect(r.text).not.toContain('abc123');
    expect(r.body.metadata.labels.echo).toBe('keys-token');
    expect((await h.call('DELETE', '/api/v1/policies/echo-secret')).status).toBe(200);
    expect((await h.call('DELETE', '/api/v1/projects/s2/secrets/echoed')).status).toBe(200);
  });

  it('a RegistryAuth Secret needs server, username and password; a new Secret needs data', async () => {
    const r = await h.call('POST', '/api/v1/projects/s1/secrets', { body: secret('half', { server: 'r:1' }, 'RegistryAuth') });
    expect(r.status).toBe(422);
    expect(r.body.issues.map((i: { field: string }) => i.field)).toEqual(['spec.data.username', 'spec.data.password']);
    const empty = await h.call('POST', '/api/v1/projects/s1/secrets', { body: { kind: 'Secret', metadata: { name: 'nothing' }, spec: {} } });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('spec.data');
  });
});

describe('workloads name Secrets that exist', () => {
  const job = (extra: Record<string, unknown>) => ({ kind: 'Job', metadata: { name: 'uses' }, spec: { replicas: 1, resources: {}, image: 'train:1', ...extra } });
  it('refuses a missing Secret, a missing key, a non-registry pull secret, and value with valueFrom', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, 'spec.env.0.valueFrom.secretKeyRef.name', /does not exist/],
      [{ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'app', key: 'nokey' } } }] }, 'spec.env.0.valueFrom.secretKeyRef.key', /has no key "nokey"/],
      [{ imagePullSecrets: [{ name: 'app' }] }, 'spec.imagePullSecrets.0.name', /not RegistryAuth/],
      [{ env: [{ name: 'K', value: 'v', valueFrom: { secretKeyRef: { name: 'app', key: 'apiKey' } } }] }, 'spec.env.0', /exactly one of value and valueFrom/],
    ];
    for (const [extra, field, msg] of cases) {
      const r = await h.call('POST', '/api/v1/projects/s1/jobs', { body: job(extra) });
      expect(r.status, field).toBe(422);
      expect(r.body.issues[0].field).toBe(field);
      expect(r.body.issues[0].message).toMatch(msg);
    }
    // Another project's Secret of the same name is not this project's.
    const other = await h.call('POST', '/api/v1/projects/s2/jobs', { body: job({ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'app', key: 'apiKey' } } }] }) });
    expect(other.status).toBe(422);
  });
});

describe('delivery to the node running the replica', () => {
  const path = '/api/v1/projects/s1/allocations/on-a/secrets';
  it('gives the bound node exactly the values its task names', async () => {
    const r = await h.call('GET', path, { token: tokA });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ env: { API_KEY: `${VALUE}-2` }, registryAuth: [{ serveraddress: 'reg.example:5000', username: 'bot', password: PASSWORD }] });
  });

  it('refuses another node, a user (even the cluster admin), and an ended allocation', async () => {
    expect((await h.call('GET', path, { token: tokB })).status).toBe(403);
    expect((await h.call('GET', path)).status).toBe(403);
    expect((await h.call('GET', path, { token: null })).status).toBe(401);
    const st = await h.call('PATCH', '/api/v1/projects/s1/allocations/on-a/status', { token: tokA, body: { status: { phase: 'Succeeded' } }, contentType: 'application/merge-patch+json' });
    expect(st.status, st.text).toBe(200);
    expect((await h.call('GET', path, { token: tokA })).status).toBe(409);
  });

  it('a deleted Secret takes its sealed values with it', async () => {
    expect((await h.call('DELETE', '/api/v1/projects/s1/secrets/app')).status).toBe(200);
    const left = await driverOf(h.store)!.read.query<{ name: string }>('SELECT name FROM secret_values', []);
    expect(left.map((r) => r.name)).toEqual(['registry']);
  });
});
