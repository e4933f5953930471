// The acceleration probe against this host's real QEMU: the boot sector prints its marker under
// TCG, and the probe answers within its bound whatever KVM does here (present, absent or hanging).
import { describe, expect, it } from 'vitest';
import { bootsWith, bootSector, MARKER, probeAccelerator } from './accel.js';
import { findQemu } from './qemu-binary.js';

const qemu = findQemu();

describe('boot sector', () => {
  it('is one 512-byte sector with the boot signature and the marker', () => {
    const s = bootSector();
    expect(s.length).toBe(512);
    expect([s[510], s[511]]).toEqual([0x55, 0xaa]);
    expect(s.toString('latin1')).toContain(MARKER);
  });
});

describe.skipIf(!qemu)(`acceleration probe${qemu ? '' : ' (skipped: QEMU is not installed; apt-get install qemu-system-x86)'}`, () => {
  it('boots the test sector with TCG', async () => {
    expect(await bootsWith(qemu!, 'tcg', 20_000)).toBe(true);
  }, 30_000);

  it('answers KVM or TCG within its bound, saying why when it is not KVM', async () => {
    const t0 = Date.now();
    const r = await probeAccelerator(qemu!, 3000);
    expect(Date.now() - t0).toBeLessThan(3000 + 20_000); // the bound, plus one TCG check
    if (r.accelerator === 'tcg') expect(r.note).toMatch(/using TCG$/);
    else expect(r.note).toBeUndefined();
  }, 40_000);
});
