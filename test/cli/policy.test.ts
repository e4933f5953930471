// Policies through the real `weft` binary against a real `weft up`: a Warn policy's message is
// printed, a Deny policy's refusal names it, and `weft get policies` shows what they did; and
// `weft policy test` offline, on the examples.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, interrupt, ROOT, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

const POLICIES = `
apiVersion: weft/v1
kind: Project
metadata: { name: cli-pol }
spec: {}
---
apiVersion: weft/v1
kind: Policy
metadata: { name: team-label }
spec:
  action: Warn
  match: { kinds: [Job], projects: [cli-pol] }
  validations:
    - expression: has(object.metadata.labels) && "team" in object.metadata.labels
      message: label the work with its team
---
apiVersion: weft/v1
kind: Policy
metadata: { name: few-replicas }
spec:
  match: { kinds: [Job], projects: [cli-pol] }
  validations:
    - expression: object.spec.replicas <= 2
      messageExpression: '"at most 2 replicas, not " + string(object.spec.replicas)'
      field: spec.replicas
`;

const jobYaml = (name: string, replicas: number) => `apiVersion: weft/v1\nkind: Job\nmetadata: { name: ${name}, project: cli-pol }\nspec: { replicas: ${replicas}, resources: { cpu: "1" } }\n`;

describe('weft and policies', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box);
    const r = await box.weft(['apply', '-f', '-'], { input: POLICIES });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('prints a Warn policy\'s message and names a Deny policy that refused', async () => {
    const warned = await box.weft(['apply', '-f', '-'], { input: jobYaml('ok', 1) });
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stdout).toContain('job/ok created');
    expect(warned.stderr).toContain('Warning: policy "team-label": label the work with its team');

    const denied = await box.weft(['apply', '-f', '-'], { input: jobYaml('wide', 3) });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe('error: job/wide (<stdin>): a policy refused to create Job "wide" (PolicyDenied)\n  spec.replicas: policy "few-replicas": at most 2 replicas, not 3\n');
  });

  it('weft get policies shows matches, denials and the last denial', { timeout: 60_000 }, async () => {
    let out = '';
    // The server adds its counts to the policies' status every 10 s.
    for (let i = 0; i < 150; i++) {
      const r = await box.weft(['get', 'policies']);
      expect(r.code, r.stderr).toBe(0);
      out = r.stdout;
      if (/few-replicas\s+Deny\s+Job\s+2\s+1\s/.test(out)) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ACTION\s+KINDS\s+MATCHES\s+DENIALS\s+LAST-DENIAL\s+AGE$/);
    expect(lines.find((l) => l.startsWith('few-replicas'))).toMatch(/few-replicas\s+Deny\s+Job\s+2\s+1\s+\d+s ago job\/wide by admin\s/);
    expect(lines.find((l) => l.startsWith('team-label'))).toMatch(/team-label\s+Warn\s+Job\s+2\s+0\s+<none>/);
    const wide = await box.weft(['get', 'policies', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/WARNINGS\s+AUDITS/);
  });
});

const OBJECTS = `
apiVersion: weft/v1
kind: Project
metadata: { name: batchy, labels: { weft.dev/default-priority-class: batch } }
spec: {}
---
apiVersion: weft/v1
kind: Job
metadata: { name: paid, project: batchy, labels: { cost-centre: cc-1234 } }
spec: { resources: { cpu: "1" } }
---
apiVersion: weft/v1
kind: Job
metadata: { name: unpaid, project: batchy }
spec: { priorityClass: urgent, resources: { cpu: "1" } }
`;

describe('weft policy test (offline)', () => {
  let box: Sandbox;
  beforeAll(() => {
    assertBuilt();
    box = sandbox();
    writeFileSync(join(box.dir, 'objects.yaml'), OBJECTS);
  });
  afterAll(() => box?.cleanup());

  const policies = ['-f', join(ROOT, 'examples/policies/cost-centre-label.yaml'), '-f', join(ROOT, 'examples/policies/default-priority-class.yaml')];

  it('prints allow, mutate and deny per object, and exits 1 when one is denied', async () => {
    const r = await box.weft(['policy', 'test', ...policies, '-f', 'objects.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual([
      'OBJECT RESULT POLICY MESSAGE',
      'project/batchy allow - -',
      'job/batchy/paid mutate default-priority-class spec.priorityClass = "batch"',
      'job/batchy/paid allow - -',
      'job/batchy/unpaid deny cost-centre-label metadata.labels: every workload needs a label cost-centre=cc-NNNN',
    ]);
    expect(r.stderr).toContain('1 of 3 objects denied or invalid');
  });

  it('answers JSON, and refuses a policy that does not compile, naming the field and position', async () => {
    const ok = await box.weft(['policy', 'test', '-f', join(ROOT, 'examples/policies/default-priority-class.yaml'), '-f', 'objects.yaml', '-o', 'json']);
    expect(ok.code, ok.stderr).toBe(0);
    const results = JSON.parse(ok.stdout) as { object: string; result: string; mutations: unknown[] }[];
    expect(results.map((x) => [x.object, x.result, x.mutations.length])).toEqual([['project/batchy', 'allow', 0], ['job/batchy/paid', 'allow', 1], ['job/batchy/unpaid', 'allow', 0]]);
    writeFileSync(join(box.dir, 'bad.yaml'), 'apiVersion: weft/v1\nkind: Policy\nmetadata: { name: bad }\nspec:\n  match: { kinds: [Job] }\n  validations:\n    - expression: "object.spec.replicas >"\n');
    const bad = await box.weft(['policy', 'test', '-f', 'bad.yaml', '-f', 'objects.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/policy\/bad \(bad.yaml\):\n {2}spec.validations\[0\].expression: line 1, column \d+: /);
  });
});
