// `weft audit residency` through the real binary against `weft up --demo`: a job runs on the
// simulated German site; the report shows its GPU-seconds there; once the project is restricted
// to France the same work is a breach (exit 1), and the audit chain lists the rule change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResidencyReport } from '../../src/client/index.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

const SETUP = `
apiVersion: weft/v1
kind: Project
metadata: { name: clinic }
spec: { allowedCountries: [DE] }
---
apiVersion: weft/v1
kind: Job
metadata: { name: scan, project: clinic, annotations: { weft.dev/sim-duration: 2s } }
spec: { resources: { cpu: "1", gpu: { count: 8, models: [H100-80GB] } } }
`;

describe('weft audit residency', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--demo']);
    const r = await box.weft(['apply', '-f', '-'], { input: SETUP });
    expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < 150; i++) {
      const j = await box.weft(['get', 'job', 'scan', '-p', 'clinic', '-o', 'json']);
      if ((JSON.parse(j.stdout) as { status?: { phase?: string } }).status?.phase === 'Succeeded') return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error('job scan never finished');
  }, 90_000);
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('reports the GPU-seconds by country, site and node, and no breach', async () => {
    const r = await box.weft(['audit', 'residency', '-p', 'clinic', '--from', '1h', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ResidencyReport;
    expect(report.residency.sites).toEqual(['eu-fra-1']);
    expect(report.byCountry.map((c) => c.country)).toEqual(['DE']);
    expect(report.byNode).toHaveLength(1);
    expect(report.byNode[0]!.site).toBe('eu-fra-1');
    // 8 GPUs for the job's simulated two seconds (the provider's own start and end times).
    expect(report.gpuSeconds).toBeGreaterThanOrEqual(8 * 2);
    expect(report.gpuSeconds).toBeLessThan(8 * 10);
    expect(report.breaches).toEqual([]);
    expect(report.audit.chain.ok).toBe(true);
    const text = await box.weft(['audit', 'residency', '-p', 'clinic', '--from', '1h']);
    expect(text.stdout).toMatch(/^COUNTRY\s+SITE\s+NODE\s+GPU-SECONDS$/m);
    expect(text.stdout).toMatch(/^DE\s+eu-fra-1\s+fra1-h100-\d+\s+[\d.]+$/m);
    expect(text.stdout).toContain('Breaches: none');
  });

  it('flags the same work as a breach once the project may only use France, and shows the rule change', async () => {
    const patch = 'apiVersion: weft/v1\nkind: Project\nmetadata: { name: clinic }\nspec: { allowedCountries: [FR] }\n';
    expect((await box.weft(['apply', '-f', '-'], { input: patch })).code).toBe(0);
    const r = await box.weft(['audit', 'residency', '-p', 'clinic', '--from', '1h']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Breaches: 1$/m);
    expect(r.stdout).toMatch(/^Job\/scan\s+scan-\S+\s+fra1-h100-\d+\s+eu-fra-1\s+DE\s/m);
    expect(r.stdout).toMatch(/rule changes: \n {2}\S+ admin patch Project\/clinic \(entry \d+\)/);
    expect(r.stderr).toContain('residency breached: 1 allocation(s) of project clinic ran outside eu-par-1');
  });
});
