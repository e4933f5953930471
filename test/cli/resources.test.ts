// apply / get / describe / delete / token through the real binary against a real `weft up`.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, assertBuilt, interrupt, sandbox, waitForOutput, weftUp, type Sandbox, type UpServer } from './helpers.js';

const TOUR = join(ROOT, 'examples', 'tour');
const MISTAKES = join(ROOT, 'examples', 'mistakes');

interface Obj {
  kind: string;
  metadata: { name: string; project?: string; labels?: Record<string, string>; resourceVersion: string };
  spec: Record<string, unknown>;
}

describe('weft resource commands', () => {
  let box: Sandbox;
  let up: UpServer;
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    // The tour runs on the simulated demo fleet.
    up = await weftUp(box, '.weft', ['--demo']);
    const res = await box.weft(['apply', '-f', TOUR]);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('weft version prints the CLI\'s and the server\'s version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const res = await box.weft(['version']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`weft ${version}\nserver ${up.url}: weft ${version} (API weft/v1)\n`);
  });

  it('weft up printed the URL and a one-time admin token, saved as context "local"', () => {
    expect(up.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(up.token).toMatch(/^weft_[A-Za-z0-9_-]{43}$/);
    const cfgPath = box.env.WEFT_CONFIG!;
    expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
    const cfg = parse(readFileSync(cfgPath, 'utf8')) as { currentContext: string; contexts: unknown[] };
    expect(cfg.currentContext).toBe('local');
    expect(cfg.contexts).toEqual([{ name: 'local', server: up.url, token: up.token }]);
  });

  it('applies the tour idempotently: a second apply changes nothing', async () => {
    const res = await box.weft(['apply', '-f', TOUR]);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toContain('job/train-resnet unchanged');
    expect(lines).toContain('service/llama-serve unchanged');
    expect(lines.every((l) => l.endsWith(' unchanged'))).toBe(true);
  });

  it('creates, configures and deletes from stdin; get shows each state', async () => {
    const job = (replicas: number): string => `apiVersion: weft/v1
kind: Job
metadata: { name: smoke, labels: { purpose: smoke } }
spec:
  replicas: ${replicas}
  resources: { gpu: { count: 1, models: [H100-80GB] } }
`;
    expect((await box.weft(['apply', '-p', 'vision', '-f', '-'], { input: job(1) })).stdout.trim()).toBe('job/smoke created');
    expect((await box.weft(['apply', '-p', 'vision', '-f', '-'], { input: job(1) })).stdout.trim()).toBe('job/smoke unchanged');
    expect((await box.weft(['apply', '-p', 'vision', '-f', '-'], { input: job(2) })).stdout.trim()).toBe('job/smoke configured');

    const got = await box.weft(['get', 'job', 'smoke', '-p', 'vision', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const obj = JSON.parse(got.stdout) as Obj;
    expect(obj.spec.replicas).toBe(2);
    expect(obj.metadata.project).toBe('vision');

    const described = await box.weft(['describe', 'job', 'smoke']); // unique name: no -p needed
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+smoke$/m);
    expect(described.stdout).toMatch(/^Project:\s+vision$/m);
    expect(described.stdout).toMatch(/^\s+replicas: 2$/m);

    const del = await box.weft(['delete', 'job', 'smoke', '-p', 'vision']);
    expect(del.stdout.trim()).toBe('job/smoke deleted');
    const gone = await box.weft(['get', 'job', 'smoke', '-p', 'vision']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not found/);
    expect((await box.weft(['delete', 'job', 'smoke', '-p', 'vision', '--ignore-not-found'])).code).toBe(0);
  });

  it('prints readable tables per kind', async () => {
    const nodes = await box.weft(['get', 'nodes']);
    expect(nodes.code, nodes.stderr).toBe(0);
    const [header, ...rows] = nodes.stdout.trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'SITE', 'RACK', 'GPUS', 'STATE', 'AGE']);
    expect(rows.find((r) => r.startsWith('fra1-h100-01'))!.split(/\s+/).slice(0, 5)).toEqual([
      'fra1-h100-01',
      'eu-fra-1',
      'fra1-r01',
      '8xH100-80GB',
      'Ready',
    ]);

    const jobs = await box.weft(['get', 'jobs', '-A']);
    expect(jobs.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'PROJECT', 'PHASE', 'GPUS', 'NODE(S)', 'AGE']);
    expect(jobs.stdout).toMatch(/^train-resnet\s+vision\s+\S+\s+16\s+\S+/m);
    expect(jobs.stdout).toMatch(/^eval-llama\s+nlp\s+\S+\s+2xmig:3g\.40gb\s/m);
    const oneProject = await box.weft(['get', 'jobs', '-p', 'vision']);
    expect(oneProject.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'PHASE', 'GPUS', 'NODE(S)', 'AGE']);
    const notebooks = await box.weft(['get', 'devenvironments', '-p', 'nlp']);
    expect(notebooks.stdout).toMatch(/^notebook-carol\s+\S+\s+1x0\.25\s/m);

    const wide = await box.weft(['get', 'nodes', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toContain('NVLINK-DOMAIN');
  });

  it('scopes project-scoped kinds with -p and -A, and filters with -l', async () => {
    const names = async (args: string[]): Promise<string[]> => (await box.weft([...args, '-o', 'name'])).stdout.trim().split('\n').sort();
    expect(await names(['get', 'jobs', '-p', 'nlp'])).toEqual(['job/eval-llama']);
    expect(await names(['get', 'jobs', '-A'])).toEqual(['job/eval-llama', 'job/train-resnet']);
    expect(await names(['get', 'nodes', '-l', 'gpu=a100'])).toHaveLength(8);
    expect(await names(['get', 'nodes', '-l', 'gpu=h100,site=eu-par-1'])).toHaveLength(12);
    expect(await names(['get', 'devenvironments', '-A', '-l', 'kind in (notebook,eval)'])).toEqual(['devenvironment/notebook-carol', 'devenvironment/notebook-dave']);
    const none = await box.weft(['get', 'jobs', '-p', 'weft-system']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('No jobs found in project weft-system.');
  });

  it('prints yaml and json that parse back', async () => {
    const y = parse((await box.weft(['get', 'sites', '-o', 'yaml'])).stdout) as { kind: string; items: Obj[] };
    expect(y.kind).toBe('List');
    expect(y.items.map((i) => i.metadata.name).sort()).toEqual(['eu-fra-1', 'eu-par-1']);
    const j = JSON.parse((await box.weft(['get', 'project', 'vision', '-o', 'json'])).stdout) as Obj;
    expect(j.kind).toBe('Project');
    expect(j.metadata.labels).toEqual({ org: 'research' });
  });

  it('rejects a bad manifest with exit 1 and names the fields', async () => {
    const res = await box.weft(['apply', '-f', join(MISTAKES, 'invalid-job.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^\s+spec\.replicas: must be an integer from 1 to \d+ \(got 0\)$/m);
    expect(res.stderr).toMatch(/^\s+spec\.resources\.mem: unknown field; did you mean "memory"\?$/m);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('errors help: a GPU count out of range names the range, a bad YAML line is quoted, a missing project is said so', async () => {
    const manifest = (gpu: string): string =>
      `apiVersion: weft/v1\nkind: Job\nmetadata: { name: x, project: vision }\nspec:\n  resources: { cpu: "1", memory: 1Gi, gpu: ${gpu} }\n`;
    for (const [count, shown] of [['-1', '-1'], ['100000', '100000']]) {
      const res = await box.weft(['apply', '-f', '-'], { input: manifest(`{ count: ${count} }`) });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`spec.resources.gpu.count: must be an integer from 0 to 64 (got ${shown})`);
    }
    const yaml = await box.weft(['apply', '-f', '-'], { input: 'apiVersion: weft/v1\nkind: Job\nmetadata:\n  name: x\n project: nlp\n' });
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toBe('error: <stdin>:5:1: not valid YAML or JSON: All mapping items must start at the same column\n    name: x\n   project: nlp\n  ^\n');
    const kind = await box.weft(['apply', '-f', '-'], { input: 'kind: Jb\nmetadata: { name: x }\n' });
    expect(kind.stderr).toMatch(/^error: <stdin>: kind: unknown kind "Jb"; did you mean "Job"\?; known kinds: Allocation, Budget, (\w+, )*DevEnvironment,/);

    const missing = await box.weft(['get', 'jobs', '-p', 'doesnotexist']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: project "doesnotexist" does not exist (`npx weft get projects` lists them)\n');
    expect((await box.weft(['describe', 'job', 'train-resnet', '-p', 'visoin'])).stderr).toContain('project "visoin" does not exist');
    // An existing project with nothing in it is still just empty.
    const empty = await box.weft(['get', 'services', '-p', 'vision']);
    expect([empty.code, empty.stderr]).toEqual([0, 'No services found in project vision.\n']);
  });

  it('rejects a job over quota, saying which resource and by how much', async () => {
    const res = await box.weft(['apply', '-f', join(MISTAKES, 'over-quota.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: job\/train-vit-huge .*\(QuotaExceeded\)$/m);
    // train-resnet holds 16 of the quota while it runs (3 simulated minutes), none after.
    expect(res.stderr).toMatch(/^\s+spec\.resources\.gpu: quota exceeded for gpu H100-80GB: requested 256, .*\(over by (80|64)\)$/m);
    expect((await box.weft(['get', 'job', 'train-vit-huge', '-p', 'vision'])).code).toBe(1);
  });

  it('reports unknown options with exit code 2 and unknown kinds with 1', async () => {
    expect((await box.weft(['get', 'nodes', '--bogus'])).code).toBe(2);
    const unknown = await box.weft(['get', 'gizmos']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown kind "gizmos"; known kinds: allocations, budgets, /);
    expect((await box.weft(['get', 'jbos'])).stderr).toMatch(/^error: unknown kind "jbos"; did you mean "jobs"\?; known kinds: /);
  });

  it('creates tokens: the token is the last word, and it works', async () => {
    const join = await box.weft(['token', 'create', '--join', '--expires', '1h']);
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout.trim().split(/\s+/).pop()).toMatch(/^weft_[A-Za-z0-9_-]{43}$/);

    const alice = await box.weft(['token', 'create', '--user', 'alice', '--description', 'laptop']);
    expect(alice.code, alice.stderr).toBe(0);
    const token = alice.stdout.trim().split(/\s+/).pop()!;
    const asAlice = { WEFT_SERVER: up.url, WEFT_TOKEN: token };
    const mine = await box.weft(['get', 'jobs', '-A', '-o', 'name'], { env: asAlice });
    expect(mine.stdout.trim()).toBe('job/train-resnet'); // alice sees only vision
    const denied = await box.weft(['get', 'jobs', '-p', 'nlp'], { env: asAlice });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/\(Forbidden\)/);

    const list = await box.weft(['token', 'list']);
    const row = list.stdout.split('\n').find((l) => l.includes('laptop'))!;
    const id = row.split(/\s+/)[0]!;
    expect((await box.weft(['token', 'revoke', id])).stdout.trim()).toBe(`token ${id} revoked`);
    const revoked = await box.weft(['get', 'jobs', '-A'], { env: asAlice });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/\(Unauthorized\)/);
  });

  it('WEFT_TOKEN and WEFT_SERVER each override their part of the saved context', async () => {
    const created = await box.weft(['token', 'create', '--user', 'alice', '--description', 'env']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim().split(/\s+/).pop()!;
    // WEFT_TOKEN alone: the saved server, alice's token (not the saved admin's).
    const asAlice = await box.weft(['get', 'jobs', '-A', '-o', 'name'], { env: { WEFT_TOKEN: token } });
    expect(asAlice.code, asAlice.stderr).toBe(0);
    expect(asAlice.stdout.trim()).toBe('job/train-resnet');
    // WEFT_SERVER alone, naming the saved server: the saved token goes with it.
    const asAdmin = await box.weft(['get', 'jobs', '-A', '-o', 'name'], { env: { WEFT_SERVER: `${up.url}/` } });
    expect(asAdmin.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(1);
    // WEFT_SERVER alone, naming another server: the saved token is never sent there.
    const seen: (string | undefined)[] = [];
    const other = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 401, title: 'Unauthorized', detail: 'no' }));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const elsewhere = await box.weft(['get', 'nodes'], { env: { WEFT_SERVER: `http://127.0.0.1:${(other.address() as AddressInfo).port}` } });
      expect(elsewhere.code).toBe(1);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((h) => h === undefined)).toBe(true);
    } finally {
      other.close();
    }
  });

  it('apply of an object over the request limit says it is too large, and what the limit is', async () => {
    // A small object first (it opens a keep-alive connection), then one of ~8 MiB (twice that with
    // the last-applied annotation).
    const blob = 'x'.repeat(30_000);
    const big = `apiVersion: weft/v1
kind: Site
metadata: { name: fine }
spec: {}
---
apiVersion: weft/v1
kind: Job
metadata: { name: huge, project: vision }
spec:
  resources: { cpu: "1" }
  env:
${Array.from({ length: 280 }, (_, i) => `    - { name: V${i}, value: ${blob} }`).join('\n')}
`;
    const file = join(box.dir, 'huge.yaml');
    writeFileSync(file, big);
    const res = await box.weft(['apply', '-f', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/job\/huge \(.*huge\.yaml#2\): the request is too large \(\d+\.\d MiB\): the API takes at most 1 MiB per request/);
    expect(res.stderr).not.toMatch(/cannot reach/);
  });

  it('watches: -w prints the list, then each change', async () => {
    const watch = box.spawn(['get', 'jobs', '-p', 'vision', '-w']);
    await waitForOutput(watch, /train-resnet/);
    const seen = waitForOutput(watch, /^watched\s+\S+\s+1\s/m);
    const input = `kind: Job
metadata: { name: watched, project: vision }
spec: { resources: { gpu: { count: 1, models: [H100-80GB] } } }
`;
    expect((await box.weft(['apply', '-f', '-'], { input })).code).toBe(0);
    await seen;
    expect(await interrupt(watch)).toBe(0);
    await box.weft(['delete', 'job', 'watched', '-p', 'vision']);
  });

  it('deletes what a manifest names with -f', async () => {
    const file = join(MISTAKES, '..', 'tour', '70-jobs.yaml');
    const del = await box.weft(['delete', '-f', file]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout.trim().split('\n').sort()).toEqual(['job/eval-llama deleted', 'job/train-resnet deleted']);
    expect((await box.weft(['apply', '-f', file])).stdout).toContain('job/train-resnet created');
  });

  it('after a restart, weft up prints no new token and the saved credential still works', async () => {
    expect(await interrupt(up.child)).toBe(0);
    up = await weftUp(box);
    expect(up.token).toBeUndefined();
    // The fleet registered by the first --demo start is still there, and still simulated.
    expect(up.output).toMatch(/Simulated fleet: 40 nodes, 320 GPUs/);
    expect(up.output).toContain('Using the existing admin credential saved as context "local"');
    const res = await box.weft(['get', 'jobs', '-A', '-o', 'name']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('job/train-resnet');
  });
});
