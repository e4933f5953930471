import { describe, expect, it } from 'vitest';
import { shareFillWeighted } from './share-fill.js';
import { Snapshot } from './snapshot.js';
import { node } from './testing/fixtures.js';
import type { TypicalPod } from './typical-pods.js';
import { judgeStranding, STRANDING_MARGIN } from './weft-calibration.js';

const share = (gpuMilli: number, p: number, cpuMilli = 4000): TypicalPod => ({ cpuMilli, gpuMilli, gpuCount: 1, gpuModels: [], p });

describe('share-fill weights', () => {
  it('weighs each share by the chance that a share of the mix fits in the hole it leaves', () => {
    // Beside 0.81: only 0.16 fits (0.2); beside 0.47: 0.47 and 0.16 (0.5); beside 0.16: all (1).
    const w = shareFillWeighted([share(810, 0.5), share(470, 0.3), share(160, 0.2)]);
    const raw = [0.5 * 0.2, 0.3 * 0.5, 0.2 * 1];
    const sum = raw.reduce((a, b) => a + b, 0);
    expect(w.map((m) => m.p)).toEqual(raw.map((r) => expect.closeTo(r / sum, 12)));
    expect(w.map((m) => m.gpuMilli)).toEqual([810, 470, 160]);
  });

  it('keeps whole-GPU and CPU-only shapes at their weight, and a mix without shares unchanged', () => {
    const whole: TypicalPod = { cpuMilli: 8000, gpuMilli: 1000, gpuCount: 2, gpuModels: [], p: 0.5 };
    const cpu: TypicalPod = { cpuMilli: 2000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.5 };
    expect(shareFillWeighted([whole, cpu])).toEqual([whole, cpu]);
    // One share that nothing fits beside drops to 0; the others keep their ratio.
    const w = shareFillWeighted([whole, cpu, share(600, 0.2)]);
    expect(w.map((m) => m.p)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(0.5, 12), 0]);
  });

  it('is kept by the replay where it beats FGD, and the plain term where that wins too', () => {
    // 8-GPU hosts with CPU to spare: the stranding term changes nothing here.
    const fleet = new Snapshot(Array.from({ length: 40 }, (_, i) => node(`n${i}`, 8, { cpuMilli: 64_000 })));
    // Shares only, the most common one a poor packer: room kept for it is worth little.
    const shares = [share(810, 0.4, 6000), share(470, 0.3, 3000), share(320, 0.12, 2000), share(650, 0.12), share(160, 0.06, 1000)];
    const noShares: TypicalPod[] = [{ cpuMilli: 8000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 1 }];
    const a = judgeStranding(shares, shares, fleet);
    const b = judgeStranding(noShares, noShares, fleet);
    const wins = (x: [number, number], y: [number, number]) => x[0] - y[0] >= STRANDING_MARGIN && x[1] - y[1] >= STRANDING_MARGIN;
    expect(a.stranding).toEqual(a.fgd);
    expect(wins(a.shareFillPoints, a.fgd)).toBe(true);
    expect(a.shareFill).toBe(true);
    expect(a.pays).toBe(true);
    expect(b.shareFill).toBe(false);
    expect(b.shareFillPoints).toEqual([0, 0]); // nothing to reweigh: not replayed
  });
});
