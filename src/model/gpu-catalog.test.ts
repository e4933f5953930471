import { describe, expect, it } from 'vitest';
import { GPU_CATALOG, gpuModelInfo, migFits, migProfileOn, migProfileShape, migProfilesOf, migRunMask } from './gpu-catalog.js';

describe('GPU catalog', () => {
  it('knows the MIG models with 7 compute and 8 memory slices, and the plain ones without', () => {
    for (const name of ['A100-40GB', 'A100-80GB', 'H100-80GB', 'H200-141GB']) {
      const m = gpuModelInfo(name)!;
      expect(m.migComputeSlices).toBe(7);
      expect(m.migMemorySlices).toBe(8);
      expect(m.migProfiles.length).toBeGreaterThanOrEqual(7);
    }
    for (const name of ['L40S-48GB', 'L4-24GB', 'MI300X-192GB']) {
      expect(gpuModelInfo(name)!.migProfiles).toEqual([]);
      expect(gpuModelInfo(name)!.memoryGiB).toBeGreaterThan(0);
    }
    expect(gpuModelInfo('MI300X-192GB')!.memoryGiB).toBe(192);
    expect(new Set(GPU_CATALOG.map((m) => m.name)).size).toBe(GPU_CATALOG.length);
  });

  it('names each model’s profiles as nvidia-smi does', () => {
    const names = (m: string) => gpuModelInfo(m)!.migProfiles.map((p) => p.name);
    expect(names('A100-40GB')).toEqual(['1g.5gb', '1g.5gb+me', '1g.10gb', '2g.10gb', '3g.20gb', '4g.20gb', '7g.40gb']);
    expect(names('H100-80GB')).toEqual(['1g.10gb', '1g.10gb+me', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']);
    expect(names('H200-141GB')).toEqual(['1g.18gb', '1g.18gb+me', '1g.35gb', '2g.35gb', '3g.71gb', '4g.71gb', '7g.141gb']);
  });

  it('has the guide’s start slices and instance limits', () => {
    const on = (p: string) => migProfileOn('A100-40GB', p)!;
    expect(on('1g.5gb').starts).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(on('1g.10gb')).toMatchObject({ width: 2, starts: [0, 2, 4, 6], maxInstances: 4 });
    expect(on('2g.10gb')).toMatchObject({ width: 2, starts: [0, 2, 4], maxInstances: 3 });
    expect(on('3g.20gb')).toMatchObject({ computeSlices: 3, width: 4, starts: [0, 4], maxInstances: 2 });
    expect(on('4g.20gb')).toMatchObject({ width: 4, starts: [0], maxInstances: 1 });
    expect(on('7g.40gb')).toMatchObject({ computeSlices: 7, width: 8, starts: [0], maxInstances: 1 });
    expect(on('1g.5gb+me')).toMatchObject({ media: true, maxInstances: 1 });
    expect(migProfileOn('A100-40GB', '3g.40gb')).toBeUndefined();
    expect(migProfileOn('L4-24GB', '1g.10gb')).toBeUndefined();
  });

  it('every placement lies inside the 8 memory slices and the limits match the geometry', () => {
    for (const m of GPU_CATALOG) {
      for (const p of m.migProfiles) {
        for (const s of p.starts) expect(s + p.width).toBeLessThanOrEqual(8);
        // Non-overlapping placements of one profile: greedy over the starts gives the most.
        let used = 0;
        let count = 0;
        for (const s of p.starts) {
          if (!migFits(used, p, s)) continue;
          used |= migRunMask(s, p.width);
          count++;
        }
        expect(p.media ? 1 : count).toBe(p.maxInstances);
      }
    }
  });

  it('refuses overlapping placements and starts the guide does not allow', () => {
    const g3 = migProfileOn('H100-80GB', '3g.40gb')!;
    const g4 = migProfileOn('H100-80GB', '4g.40gb')!;
    const g1 = migProfileOn('H100-80GB', '1g.10gb')!;
    expect(migFits(0, g3, 2)).toBe(false); // not a valid start
    expect(migFits(0, g1, 7)).toBe(false); // slice 7 has no compute slice of its own
    const used = migRunMask(4, 4); // a 3g at 4
    expect(migFits(used, g3, 4)).toBe(false);
    expect(migFits(used, g3, 0)).toBe(true);
    expect(migFits(migRunMask(0, 1), g4, 0)).toBe(false); // a 1g at 0 blocks the only 4g start
    expect(migFits(migRunMask(6, 1), g4, 0)).toBe(true);
  });

  it('falls back to the A100-style grid by name for unknown models', () => {
    expect(migProfileShape('3g.90gb')).toMatchObject({ computeSlices: 3, width: 4, starts: [0, 4], memoryGB: 90 });
    expect(migProfileShape('1g.23gb+me')).toMatchObject({ width: 1, media: true, maxInstances: 1 });
    expect(migProfileShape('fat')).toBeUndefined();
    expect(migProfilesOf('X-unknown').length).toBe(7);
  });
});
