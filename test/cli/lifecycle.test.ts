// The workload lifecycle through the real binary against `weft up --demo`: a job is placed on the
// simulated fleet, runs and succeeds; describe, top, suspend/resume and explain show it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, interrupt, sandbox, waitForOutput, weftUp, type Sandbox, type UpServer } from './helpers.js';

const TOUR = join(ROOT, 'examples', 'tour');

const job = (name: string, duration: string, gpus = 8): string => `apiVersion: weft/v1
kind: Job
metadata: { name: ${name}, project: vision, annotations: { weft.dev/sim-duration: ${duration} } }
spec:
  resources: { cpu: "8", memory: 64Gi, gpu: { count: ${gpus}, models: [H100-80GB] } }
  placement: { sites: [eu-fra-1] }
`;

describe('workloads on the simulated demo fleet', () => {
  let box: Sandbox;
  let up: UpServer;
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--demo']);
    for (const f of ['30-priority-classes.yaml', '40-projects.yaml', '50-queues.yaml']) {
      const res = await box.weft(['apply', '-f', join(TOUR, f)]);
      expect(res.code, res.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  async function phaseOf(name: string): Promise<string> {
    const res = await box.weft(['get', 'job', name, '-p', 'vision', '-o', 'json']);
    return String((JSON.parse(res.stdout) as { status?: { phase?: string } }).status?.phase ?? 'Pending');
  }

  async function until(name: string, phase: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < end) {
      if ((seen = await phaseOf(name)) === phase) return;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`job ${name} stayed ${seen}, never ${phase}`);
  }

  async function untilOutput(args: string[], pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      if (pattern.test((last = (await box.weft(args)).stdout))) return;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`weft ${args.join(' ')} never matched ${pattern}; last output:\n${last}`);
  }

  it('weft up --demo says what it registered and what to do next', () => {
    expect(up.output).toMatch(/Simulated fleet: 40 nodes, 320 GPUs/);
    // Run from a clone, `weft` is not on the PATH: every hint says how to reach it.
    expect(up.output).toContain('Next: npx weft apply -f examples/tour/   then   npx weft get jobs -A -w');
    expect(up.output).toContain('Try: npx weft get nodes');
    expect(up.output).not.toMatch(/(^|[^x] )weft (apply|get|up|login) /m);
  });

  it('a job goes Pending → Running → Succeeded, and describe shows its allocation and events', async () => {
    const watch = box.spawn(['get', 'jobs', '-p', 'vision', '-w']);
    await waitForOutput(watch, /NAME|No jobs/);
    const done = waitForOutput(watch, /^quick\s+Succeeded\s/m);
    expect((await box.weft(['apply', '-f', '-'], { input: job('quick', '2s') })).code).toBe(0);
    const out = await done;
    await interrupt(watch);
    const phases = [...out.matchAll(/^quick\s+(\w+)\s/gm)].map((m) => m[1]);
    expect(phases[0]).toBe('Pending');
    expect(phases).toContain('Running');
    expect(phases.indexOf('Running')).toBeLessThan(phases.indexOf('Succeeded'));

    const described = await box.weft(['describe', 'job', 'quick']);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^Allocations:\n\s+REPLICA\s+ATTEMPT\s+NODE\s+GPUS\s+PHASE/m);
    expect(described.stdout).toMatch(/^\s+0\s+0\s+fra1-h100-\d+\s+0-7\s+Succeeded\s/m);
    expect(described.stdout).toMatch(/^Conditions:\n\s+TYPE/m);
    expect(described.stdout).toMatch(/^Events:\n\s+LAST-SEEN/m);
    // The Status YAML does not repeat what the tables show, and lists of values take one line.
    const status = /^Status:\n([\s\S]*?)^\S/m.exec(described.stdout)?.[1] ?? '';
    expect(status).toMatch(/^\s+phase: Succeeded$/m);
    expect(status).not.toMatch(/placement|conditions|locality/);
    expect(described.stdout).toMatch(/^\s+models: \[H100-80GB\]$/m);

    // A simulated replica writes what happened to it, so the log path works on the demo fleet.
    const logs = await box.weft(['logs', 'quick']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^\S+ simulated replica 0 of job\/quick \(attempt 0\) started on fra1-h100-\d+, GPUs 0, 1, 2, 3, 4, 5, 6, 7; no process runs on the demo fleet\. It will run for 2s \(its weft\.dev\/sim-duration annotation\), then exit\.\n\S+ finished: exit code 0 \(simulated\)\.\n$/);
  });

  it('top shows allocation per node and per project against quota', async () => {
    expect((await box.weft(['apply', '-f', '-'], { input: job('held', '10m') })).code).toBe(0);
    await until('held', 'Running');
    const nodes = await box.weft(['top', 'nodes']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'SITE', 'GPU-MODEL', 'GPUS', 'GPU%', 'CPU', 'MEMORY', 'ALLOCS', 'STATE']);
    expect(nodes.stdout).toMatch(/^fra1-h100-\d+\s+eu-fra-1\s+H100-80GB\s+8\/8\s+100%\s/m);
    expect(nodes.stdout).toMatch(/^8 of 320 GPUs allocated \(3%\) on 40 nodes\.$/m);
    const projects = await box.weft(['top', 'projects']);
    expect(projects.stdout).toMatch(/^vision\s+H100-80GB\s+8\s+192\s+4%\s+1$/m);
    const fleet = await box.weft(['top', 'fleet']);
    expect(fleet.code, fleet.stderr).toBe(0);
    expect(fleet.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['GPU-MODEL', 'SITE', 'GPUS', 'ALLOCATED', 'FRAGMENTED', 'FREE', 'USE%']);
    expect(fleet.stdout).toMatch(/^H100-80GB\s+eu-fra-1\s+160\s+8\s+0\s+152\s+5%$/m);
    expect(fleet.stdout).toMatch(/^GPUs:\s+8 of 320 allocated \(3%\)$/m);
    expect(fleet.stdout).toMatch(/^Nodes:\s+40 \(40 Ready\)$/m);
    // Earlier tests in this file leave finished jobs behind: only `held` runs.
    expect(fleet.stdout).toMatch(/^Workloads:\s+\d+ \((.*, )?1 Running(, .*)?\)$/m);
  });

  it('suspend releases the GPUs and resume runs the job again', async () => {
    expect((await box.weft(['suspend', 'held', '-p', 'vision'])).stdout.trim()).toBe('job/held suspended');
    await until('held', 'Suspended');
    // The replica gets a short simulated stop before its GPUs are free.
    await untilOutput(['top', 'nodes'], /^0 of 320 GPUs allocated/m);
    expect((await box.weft(['resume', 'held', '-p', 'vision'])).stdout.trim()).toBe('job/held resumed');
    await until('held', 'Running');
  });

  it('explain says when and where a job that does not fit would start', async () => {
    // Fill eu-fra-1 (20 nodes x 8 H100) but for the one `held` uses: 19 more for 5 minutes.
    const filler = job('filler', '5m').replace('spec:\n', 'spec:\n  replicas: 19\n');
    expect((await box.weft(['apply', '-f', '-'], { input: filler })).code).toBe(0);
    await until('filler', 'Running');
    expect((await box.weft(['apply', '-f', '-'], { input: job('waiting', '1m') })).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const dbg = (await box.weft(['get', 'jobs', '-p', 'vision'])).stdout + (await box.weft(['top', 'nodes'])).stdout;
    expect(await phaseOf('waiting'), dbg).toBe('Pending');
    const described = await box.weft(['describe', 'job', 'waiting']);
    expect(described.stdout).toMatch(/^Why pending:\s+0\/40 nodes fit/m);
    const res = await box.weft(['explain', 'waiting', '-p', 'vision']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^It would start in about [45]m \d+s \(at .*\), on:$/m);
    expect(res.stdout).toMatch(/^\s+replica 0 → fra1-h100-\d+ GPUs 0-7$/m);
    expect(res.stdout).toContain('Waiting for: job/filler to finish.');
    // The same question about a manifest, before it is submitted: nothing is created.
    const manifest = await box.weft(['explain', '-f', '-'], { input: job('not-yet', '1m') });
    expect(manifest.code, manifest.stderr).toBe(0);
    expect(manifest.stdout).toMatch(/^job\/not-yet in project vision: 1 replica\(s\), 8 GPUs\.$/m);
    expect(manifest.stdout).toMatch(/^It would start in about \d+m \d+s \(at .*\), on:$/m);
    expect((await box.weft(['get', 'job', 'not-yet', '-p', 'vision'])).code).not.toBe(0);
  });
});
