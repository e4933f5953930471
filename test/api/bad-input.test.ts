// Bad input over real HTTP: every case must get a clear 4xx problem response naming what is wrong,
// and nothing may be stored. A final property test throws random documents and names at the API
// and asserts that none of them yields a 5xx.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
let rvBefore: string;
const JOBS = '/api/v1/projects/bad/jobs';
const IMAGES = '/api/v1/projects/bad/images';
const VMS = '/api/v1/projects/bad/virtualmachines';
const SUM = `sha256:${'0'.repeat(64)}`;
const vm = (spec: Record<string, unknown>) => ({ kind: 'VirtualMachine', metadata: { name: 'v' }, spec: { resources: {}, rootDisk: { image: 'disk' }, ...spec } });

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project('bad'));
  await mustCreate(h, JOBS, job('existing'));
  await mustCreate(h, IMAGES, { kind: 'Image', metadata: { name: 'disk' }, spec: { source: { url: 'https://example.org/disk.raw' }, checksum: SUM, format: 'raw' } });
  rvBefore = await h.store.currentResourceVersion();
});
afterAll(async () => h?.close());

interface Case {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  token?: string | null;
  status: number;
  /** A field the problem's issues (or detail) must name. */
  field?: string;
  detail?: RegExp;
}

const withSpec = (spec: Record<string, unknown>) => ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'x' }, spec: { resources: {}, ...spec } });
const named = (name: string) => ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name }, spec: { resources: {} } });
const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]}]`)].join('\n');
let deep: unknown = 'x';
for (let i = 0; i < 200; i++) deep = { d: deep };

const CASES: Case[] = [
  { name: 'malformed JSON', raw: '{"kind": "Job",', status: 400, detail: /JSON/ },
  { name: 'JSON array', raw: '[1,2,3]', status: 400 },
  { name: 'JSON string', raw: '"hello"', status: 400 },
  { name: 'empty body', raw: '', status: 400 },
  { name: 'malformed YAML', raw: 'kind: Job\nmetadata: {name: [unclosed', contentType: 'application/yaml', status: 400, detail: /YAML/ },
  { name: 'two YAML documents', raw: 'kind: Job\n---\nkind: Job\n', contentType: 'application/yaml', status: 400, detail: /one YAML document/ },
  { name: 'YAML duplicate keys', raw: 'kind: Job\nkind: Queue\n', contentType: 'application/yaml', status: 400 },
  { name: 'YAML alias bomb', raw: laughs, contentType: 'application/yaml', status: 400 },
  { name: 'YAML non-finite number', raw: 'kind: Job\nmetadata: {name: x}\nspec: {replicas: .inf, resources: {}}\n', contentType: 'application/yaml', status: 400, field: 'spec.replicas' },
  { name: 'unsupported content type', raw: 'kind=Job', contentType: 'text/plain', status: 415 },
  { name: 'oversized body', raw: JSON.stringify({ ...named('big'), metadata: { name: 'big', annotations: { blob: 'x'.repeat(1_100_000) } } }), status: 413, detail: /too large.*at most 1 MiB/ },
  // Upper bounds: every quantity is bounded, and the problem names the field and the range.
  { name: '400-digit CPU', body: withSpec({ resources: { cpu: '9'.repeat(400) } }), status: 422, field: 'spec.resources.cpu', detail: /too large: allowed 0 to 10000000 cores/ },
  { name: 'CPU as a huge number', body: withSpec({ resources: { cpu: 1e300 } }), status: 422, field: 'spec.resources.cpu', detail: /allowed 0 to 10000000 cores/ },
  { name: 'memory 1e30Ti', body: withSpec({ resources: { memory: 1e30 } }), status: 422, field: 'spec.resources.memory', detail: /allowed 0 to 4Pi/ },
  { name: 'memory of a million Pi', body: withSpec({ resources: { memory: '1000000Pi' } }), status: 422, field: 'spec.resources.memory', detail: /allowed 0 to 4Pi/ },
  { name: 'maxRuntimeSeconds 1e20', body: withSpec({ maxRuntimeSeconds: 1e20 }), status: 422, field: 'spec.maxRuntimeSeconds', detail: /must be an integer from 1 to 31622400/ },
  { name: 'activeDeadlineSeconds too long', body: withSpec({ activeDeadlineSeconds: 10 ** 9 }), status: 422, field: 'spec.activeDeadlineSeconds', detail: /from 1 to 31622400/ },
  { name: 'GPU count over 64', body: withSpec({ resources: { gpu: { count: 65 } } }), status: 422, field: 'spec.resources.gpu' },
  { name: 'replicas over the bound', body: withSpec({ replicas: 10_001 }), status: 422, field: 'spec.replicas', detail: /from 1 to 10000/ },
  { name: 'gang over the bound', body: withSpec({ replicas: 2, gang: { minAvailable: 20_000 } }), status: 422, field: 'spec.gang.minAvailable', detail: /from 1 to 10000/ },
  { name: 'unknown site', body: withSpec({ placement: { sites: ['mars'] } }), status: 422, field: 'spec.placement.sites', detail: /site "mars" does not exist/ },
  { name: 'project allowing an unknown site', path: '/api/v1/projects', body: { kind: 'Project', metadata: { name: 'martian' }, spec: { allowedSites: ['mars'] } }, status: 422, field: 'spec.allowedSites' },
  { name: 'node with a huge CPU count', path: '/api/v1/nodes', body: { kind: 'Node', metadata: { name: 'huge' }, spec: { cpu: '1'.repeat(30), memory: '1Gi' } }, status: 422, field: 'spec.cpu' },
  { name: 'quota with a huge memory', path: '/api/v1/projects', body: { kind: 'Project', metadata: { name: 'greedy' }, spec: { quota: { memory: '9'.repeat(40) } } }, status: 422, field: 'spec.quota.memory' },
  { name: 'malformed resourceVersion', method: 'PUT', path: `${JOBS}/existing`, body: { ...named('existing'), metadata: { name: 'existing', resourceVersion: 'abc' } }, status: 422, field: 'metadata.resourceVersion' },
  { name: 'malformed resourceVersion in a patch', method: 'PATCH', path: `${JOBS}/existing`, body: { metadata: { resourceVersion: '12x' } }, status: 422, field: 'metadata.resourceVersion' },
  { name: 'wrong type', body: withSpec({ replicas: 'three' }), status: 422, field: 'spec.replicas' },
  { name: 'negative replicas', body: withSpec({ replicas: -1 }), status: 422, field: 'spec.replicas' },
  { name: 'huge number', raw: '{"kind":"Job","metadata":{"name":"x"},"spec":{"replicas":1e400,"resources":{}}}', status: 400, field: 'spec.replicas' },
  { name: 'unknown spec field', body: withSpec({ replicaz: 2 }), status: 422, field: 'spec.replicaz', detail: /spec\.replicaz: unknown field; did you mean "replicas"\?/ },
  { name: 'negative GPU count', body: withSpec({ resources: { gpu: { count: -1 } } }), status: 422, field: 'spec.resources.gpu.count', detail: /must be an integer from 0 to 64 \(got -1\)/ },
  { name: 'unknown top-level field', body: { ...named('x'), extra: true }, status: 422, field: 'extra' },
  { name: 'bad quantity', body: withSpec({ resources: { cpu: 'lots' } }), status: 422, field: 'spec.resources.cpu' },
  { name: 'wrong kind for the URL', body: { ...named('x'), kind: 'Queue' }, status: 422, field: 'kind' },
  { name: 'unknown kind', body: { ...named('x'), kind: 'Gizmo' }, status: 422, field: 'kind' },
  { name: 'project mismatch', body: { ...named('x'), metadata: { name: 'x', project: 'other' } }, status: 422, field: 'metadata.project' },
  { name: 'unknown plural', path: '/api/v1/gizmos', status: 404, detail: /unknown resource type "gizmos"/ },
  { name: 'unknown plural in a project', path: '/api/v1/projects/bad/gizmos', status: 404, detail: /gizmos/ },
  { name: 'unicode name', body: named('jöb'), status: 422, field: 'metadata.name' },
  { name: 'emoji name', body: named('job-🚀'), status: 422, field: 'metadata.name' },
  { name: 'right-to-left override in name', body: named('abc\u202edef'), status: 422, field: 'metadata.name' },
  { name: 'zero-width space in name', body: named('a\u200bb'), status: 422, field: 'metadata.name' },
  { name: 'SQL injection name', body: named("x'; DROP TABLE resources;--"), status: 422, field: 'metadata.name' },
  { name: 'path traversal name', body: named('../../etc/passwd'), status: 422, field: 'metadata.name' },
  { name: 'over-long name', body: named('a'.repeat(64)), status: 422, field: 'metadata.name' },
  { name: 'NUL in an annotation', body: { ...named('x'), metadata: { name: 'x', annotations: { note: 'a\u0000b' } } }, status: 400, field: 'metadata.annotations.note' },
  { name: 'lone surrogate', raw: '{"kind":"Job","metadata":{"name":"x","annotations":{"n":"\\ud800"}},"spec":{"resources":{}}}', status: 400, field: 'metadata.annotations.n' },
  { name: '__proto__ key', raw: '{"kind":"Job","metadata":{"name":"x"},"spec":{"resources":{}},"__proto__":{"admin":true}}', status: 400 },
  { name: 'deep nesting', body: { ...named('x'), spec: { resources: {}, deep } }, status: 400 },
  { name: 'bad label key', body: { ...named('x'), metadata: { name: 'x', labels: { 'bad key!': 'v' } } }, status: 422 },
  // Containers: the image reference and the fields that only a container has.
  { name: 'image reference with upper case and spaces', body: withSpec({ image: 'Team/My Image:v1' }), status: 422, field: 'spec.image', detail: /image reference/ },
  { name: 'unknown imagePullPolicy', body: withSpec({ image: 'train:v1', imagePullPolicy: 'Sometimes' }), status: 422, field: 'spec.imagePullPolicy', detail: /IfNotPresent/ },
  { name: 'relative workingDir', body: withSpec({ image: 'train:v1', workingDir: 'workspace' }), status: 422, field: 'spec.workingDir', detail: /absolute path/ },
  { name: 'shmSize without an image', body: withSpec({ command: ['true'], shmSize: '1Gi' }), status: 422, field: 'spec.shmSize', detail: /only to a container/ },
  { name: 'a port listed twice', body: withSpec({ image: 'train:v1', ports: [{ containerPort: 8000 }, { containerPort: 8000, protocol: 'TCP' }] }), status: 422, field: 'spec.ports.1.containerPort' },
  { name: 'a volume mount of a Volume that does not exist', body: withSpec({ image: 'train:v1', volumeMounts: [{ name: 'nope', mountPath: '/data' }] }), status: 422, field: 'spec.volumeMounts.0.name', detail: /Volume "nope" does not exist/ },
  { name: 'two volumes at one mount path', body: withSpec({ image: 'train:v1', volumeMounts: [{ name: 'a', mountPath: '/data' }, { name: 'b', mountPath: '/data' }] }), status: 422, field: 'spec.volumeMounts.1.mountPath' },
  { name: 'a hostPath Volume without nodes', path: '/api/v1/projects/bad/volumes', body: { kind: 'Volume', metadata: { name: 'v' }, spec: { type: 'hostPath', path: '/data/x' } }, status: 422, field: 'spec.nodes' },
  { name: 'a Volume at the root of the host', path: '/api/v1/projects/bad/volumes', body: { kind: 'Volume', metadata: { name: 'v' }, spec: { type: 'shared', path: '/', sites: ['s'] } }, status: 422, field: 'spec.path' },
  { name: 'a shared Volume in a site that does not exist', path: '/api/v1/projects/bad/volumes', body: { kind: 'Volume', metadata: { name: 'v' }, spec: { type: 'shared', path: '/mnt/lustre', sites: ['mars'] } }, status: 422, field: 'spec.sites' },
  { name: 'an Image without a checksum', path: IMAGES, body: { kind: 'Image', metadata: { name: 'i' }, spec: { source: { url: 'https://example.org/d.qcow2' }, format: 'qcow2' } }, status: 422, field: 'spec.checksum' },
  { name: 'an Image from a file: URL', path: IMAGES, body: { kind: 'Image', metadata: { name: 'i' }, spec: { source: { url: 'file:///etc/shadow' }, checksum: SUM, format: 'raw' } }, status: 422, field: 'spec.source.url' },
  { name: 'a public Image outside weft-system', path: IMAGES, body: { kind: 'Image', metadata: { name: 'i' }, spec: { source: { url: 'https://example.org/d.raw' }, checksum: SUM, format: 'raw', public: true } }, status: 422, field: 'spec.public' },
  { name: 'a VM whose Image does not exist', path: VMS, body: vm({ rootDisk: { image: 'nope' } }), status: 422, field: 'spec.rootDisk.image', detail: /Image "nope" does not exist/ },
  { name: 'a VM with a time-sliced GPU share', path: VMS, body: vm({ resources: { gpu: { share: 0.5 } } }), status: 422, field: 'spec.resources.gpu.share' },
  { name: 'a VM at shared isolation', path: VMS, body: vm({ isolation: 'shared' }), status: 422, field: 'spec.isolation' },
  { name: 'a VM with half a vCPU', path: VMS, body: vm({ resources: { cpu: '500m' } }), status: 422, field: 'spec.resources.cpu' },
  { name: 'a VM NIC with both kinds', path: VMS, body: vm({ networks: [{ network: 'n', userMode: true }] }), status: 422, field: 'spec.networks.0' },
  { name: 'a VM with an unknown runStrategy', path: VMS, body: vm({ runStrategy: 'Sometimes' }), status: 422, field: 'spec.runStrategy' },
  { name: 'gang larger than replicas', body: withSpec({ replicas: 1, gang: { minAvailable: 2 } }), status: 422, field: 'spec.gang.minAvailable' },
  { name: 'injection in the URL name', method: 'GET', path: `${JOBS}/${encodeURIComponent("' OR 1=1 --")}`, status: 400, field: 'name' },
  { name: 'NUL in the URL name', method: 'GET', path: `${JOBS}/a%00b`, status: 400, field: 'name' },
  { name: 'unicode in the URL project', method: 'GET', path: `/api/v1/projects/${encodeURIComponent('pröject')}/jobs`, status: 400, field: 'project' },
  { name: 'broken percent-encoding', method: 'GET', path: `${JOBS}/%E0%A4%A`, status: 400 },
  { name: 'over-long URL name', method: 'DELETE', path: `${JOBS}/${'a'.repeat(300)}`, status: 400, field: 'name' },
  { name: 'PUT name mismatch', method: 'PUT', path: `${JOBS}/existing`, body: named('other'), status: 422, field: 'metadata.name' },
  { name: 'merge patch that is not an object', method: 'PATCH', path: `${JOBS}/existing`, raw: '[1]', contentType: 'application/merge-patch+json', status: 400 },
  { name: 'patch making the object invalid', method: 'PATCH', path: `${JOBS}/existing`, body: { spec: { replicas: 0 } }, status: 422, field: 'spec.replicas' },
  { name: 'status write without status', method: 'PUT', path: `${JOBS}/existing/status`, body: { phase: 'x' }, status: 422, field: 'status' },
  { name: 'bad limit', method: 'GET', path: `${JOBS}?limit=-1`, status: 400, field: 'limit' },
  { name: 'non-numeric limit', method: 'GET', path: `${JOBS}?limit=abc`, status: 400, field: 'limit' },
  { name: 'garbage continue token', method: 'GET', path: `${JOBS}?limit=1&continue=Zm9vYmFy`, status: 400, field: 'continue' },
  { name: 'unknown list order', method: 'GET', path: `${JOBS}?order=bogus&limit=1`, status: 400, field: 'order' },
  { name: 'bad label selector', method: 'GET', path: `${JOBS}?labelSelector=${encodeURIComponent('a==b==c(')}`, status: 400, field: 'labelSelector' },
  ...['spec.queue=a', 'metadata.name!=x', 'metadata.name=x,metadata.name=y', 'metadata.name=', 'metadata.name=Bad_Name', 'metadata.namespace=x'].flatMap((sel): Case[] =>
    [JOBS, '/api/v1/jobs'].map((at) => ({
      name: `unsupported field selector ${JSON.stringify(sel)} on ${at}`,
      method: 'GET',
      path: `${at}?fieldSelector=${encodeURIComponent(sel)}`,
      status: 400,
      field: 'fieldSelector',
      detail: /only "metadata\.name=<name>" is supported/,
    })),
  ),
  { name: 'unsupported field selector on a watch', method: 'GET', path: `${JOBS}?watch=true&fieldSelector=${encodeURIComponent('status.phase=Running')}`, status: 400, field: 'fieldSelector' },
  { name: 'repeated field selector', method: 'GET', path: `${JOBS}?fieldSelector=${encodeURIComponent('metadata.name=a')}&fieldSelector=${encodeURIComponent('metadata.name=b')}`, status: 400, field: 'fieldSelector' },
  { name: 'bad watch resourceVersion', method: 'GET', path: `${JOBS}?watch=true&resourceVersion=abc`, status: 400, field: 'resourceVersion' },
  { name: 'bad watch flag', method: 'GET', path: `${JOBS}?watch=maybe`, status: 400, field: 'watch' },
  { name: 'repeated query parameter', method: 'GET', path: `${JOBS}?limit=1&limit=2`, status: 400, field: 'limit' },
  { name: 'no token', method: 'GET', path: JOBS, token: null, status: 401 },
  { name: 'garbage token', method: 'GET', path: JOBS, token: "weft_'; DROP TABLE tokens;--", status: 401 },
  { name: 'token with unknown fields', method: 'POST', path: '/api/v1/tokens', body: { user: 'admin', root: true }, status: 422, field: 'root' },
  { name: 'token for a bad user name', method: 'POST', path: '/api/v1/tokens', body: { user: 'Robert"); --' }, status: 400, field: 'user' },
  { name: 'token with negative expiry', method: 'POST', path: '/api/v1/tokens', body: { expiresInSeconds: -5 }, status: 422, field: 'expiresInSeconds' },
];

describe('bad input', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.status}`, async () => {
      const r = await h.call(c.method ?? 'POST', c.path ?? JOBS, {
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.raw !== undefined ? { raw: c.raw } : {}),
        ...(c.contentType ? { contentType: c.contentType } : {}),
        ...(c.token !== undefined ? { token: c.token } : {}),
      });
      expect(r.status, r.text.slice(0, 500)).toBe(c.status);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body).toMatchObject({ status: c.status, code: expect.any(String), detail: expect.any(String), title: expect.any(String) });
      if (c.field) {
        const named = r.body.issues?.some((i: { field: string }) => i.field === c.field) || r.body.detail.includes(c.field);
        expect(named, `problem should name ${c.field}: ${r.text}`).toBe(true);
      }
      if (c.detail) expect(r.body.detail).toMatch(c.detail);
    });
  }

  it('stored nothing', async () => {
    expect(await h.store.currentResourceVersion()).toBe(rvBefore);
    const jobs = await h.call('GET', JOBS);
    expect(jobs.body.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['existing']);
  });
});

describe('random input never yields a 5xx', () => {
  it('random documents, names and query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          doc: fc.oneof(fc.jsonValue(), fc.record({ kind: fc.constantFrom('Job', 'Queue', 'x'), metadata: fc.jsonValue(), spec: fc.jsonValue() })),
          name: fc.string({ unit: 'binary', maxLength: 80 }),
          query: fc.string({ unit: 'binary', maxLength: 40 }),
          method: fc.constantFrom('POST', 'PUT', 'PATCH', 'GET', 'DELETE'),
        }),
        async ({ doc, name, query, method }) => {
          const item = `${JOBS}/${encodeURIComponent(name)}`;
          const path = method === 'POST' ? JOBS : method === 'GET' ? `${JOBS}?labelSelector=${encodeURIComponent(query)}&continue=${encodeURIComponent(query)}` : item;
          const r = await h.call(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: doc });
          expect(r.status, `${method} ${path} ${JSON.stringify(doc)?.slice(0, 200)} → ${r.text.slice(0, 300)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
