// Reservations through the real `weft` binary against `weft up --demo`: `weft reserve` books, a
// second booking over the same window is refused with the earliest window where it fits, `weft
// get reservations` and `weft calendar` show what is booked, and the example applies.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, interrupt, ROOT, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

describe('weft reserve, get reservations and calendar', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  const day = new Date(Date.now() + 24 * 3_600_000);
  day.setUTCMinutes(0, 0, 0);
  const start = day.toISOString();
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box, '.weft', ['--demo']);
    const r = await box.weft(['apply', '-f', join(ROOT, 'examples/tour/30-priority-classes.yaml'), '-f', join(ROOT, 'examples/tour/40-projects.yaml'), '-f', join(ROOT, 'examples/tour/50-queues.yaml')]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('books, refuses an overbooking with the window that fits, and draws the calendar', async () => {
    const ok = await box.weft(['reserve', 'tuesday', '-p', 'vision', '--gpus', '64', '--model', 'H100-80GB', '--site', 'eu-fra-1', '--start', start, '--for', '8h']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^reservation\/tuesday booked in project vision: /);
    const full = await box.weft(['reserve', 'more', '-p', 'vision', '--gpus', '128', '--model', 'H100-80GB', '--site', 'eu-fra-1', '--start', start, '--for', '4h']);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toContain('128 × H100-80GB in eu-fra-1 is booked out for');
    expect(full.stderr).toContain('it fits from');
    const bad = await box.weft(['reserve', 'x', '-p', 'vision', '--gpus', '8', '--start', start, '--for', '1h']);
    expect(bad.stderr).toContain('spec.model');

    const got = await box.weft(['get', 'reservations', '-p', 'vision']);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/tuesday\s+Pending\s+64 × H100-80GB/);
    const cal = await box.weft(['calendar', '--site', 'eu-fra-1', '--days', '3']);
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stdout).toContain('A  vision/tuesday  64 GPUs on 8 node(s)');
    expect(cal.stdout).toMatch(/^fra1-h100-\S+\s+\.+A+\.+$/m);

    const example = await box.weft(['apply', '-f', join(ROOT, 'examples/reservations/reservation.yaml'), '-f', join(ROOT, 'examples/reservations/lease.yaml')]);
    expect(example.code, example.stderr).toBe(0);
    const leases = await box.weft(['get', 'leases', '-p', 'vision']);
    expect(leases.stdout).toMatch(/metal-week\s+Pending\s+2 node\(s\) × H100-80GB\s+2027-03-08T00:00:00Z\s+2027-03-15T00:00:00Z\s+par1-h100-01,par1-h100-02/);
  });
});
