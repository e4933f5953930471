import { describe, expect, it } from 'vitest';
import { defaultMigMix, migStream, runMigMix } from './mig-mix.js';

// Deterministic for a seed: the same stream goes to both rules, so these cannot flake.
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);

describe('MIG mix experiment', () => {
  it('keep-most admits at least as many as first-fit on every seed, and more on average', () => {
    const r = runMigMix({ seeds });
    for (const run of r.runs) expect(run.keepMost, `seed ${run.seed}`).toBeGreaterThanOrEqual(run.firstFit);
    expect(r.meanKeepMost).toBeGreaterThan(r.meanFirstFit * 1.5);
  });

  it('holds on the other MIG models with their own profile names', () => {
    for (const model of ['A100-40GB', 'A100-80GB', 'H200-141GB']) {
      const r = runMigMix({ seeds: seeds.slice(0, 10), model });
      for (const run of r.runs) expect(run.keepMost, `${model} seed ${run.seed}`).toBeGreaterThanOrEqual(run.firstFit);
      expect(r.meanKeepMost).toBeGreaterThan(r.meanFirstFit);
    }
  });

  it('names the default mix in the model’s profiles and reproduces a stream from its seed', () => {
    expect(Object.keys(defaultMigMix('A100-40GB'))).toEqual(['1g.5gb', '1g.10gb', '2g.10gb', '3g.20gb', '4g.20gb', '7g.40gb']);
    expect(migStream(7, {}, 256).slice(0, 50)).toEqual(migStream(7, {}, 256).slice(0, 50));
  });

  it('without departures fills the fleet until a request fits nowhere', () => {
    const r = runMigMix({ seeds: [1, 2, 3], departures: false, nodes: 1, gpusPerNode: 2 });
    for (const run of r.runs) {
      expect(run.keepMost).toBeGreaterThan(0);
      expect(run.keepMost).toBeLessThanOrEqual(14); // 2 GPUs × 7 compute slices
      expect(run.firstFit).toBeLessThanOrEqual(14);
    }
  });
});
