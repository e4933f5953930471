import { describe, expect, it } from 'vitest';
import { fieldOf } from '../testing/fields.js';
import { runReplay } from './engine.js';
import { extendArrivals, offeredLoad, scaleToLoad } from './load.js';
import type { ReplayGang } from './types.js';

const GIB = 1024 ** 3;
const nodes = Array.from({ length: 4 }, (_, i) => ({ name: `n${i}`, cpuMilli: 64_000, memoryBytes: 512 * GIB, gpus: 8, gpuModel: 'H100-80GB' }));

/** n one-GPU gangs a minute apart, each running `runMs`. */
function gangs(n: number, runMs: number): ReplayGang[] {
  return Array.from({ length: n }, (_, i) => ({
    gang: { id: `g${i}`, replicas: 1, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole' as const, count: 1 } } },
    queue: 'default',
    submitAt: i * 60_000,
    durationMs: runMs,
    shape: { cpuMilli: 1000, gpuMilli: 1000, gpuCount: 1, gpuModels: [] },
  }));
}

describe('replay load', () => {
  it('measures offered load as GPU-time asked over GPU-time in the arrival window', () => {
    // 11 gangs × 1 GPU × 10 min over a 10-minute window of a 32-GPU fleet.
    expect(offeredLoad(gangs(11, 600_000), 32)).toBeCloseTo((11 * 600_000) / (32 * 600_000), 12);
  });

  it('reaches the target by arrival gaps, by run times, or as a Poisson stream', () => {
    const g = gangs(200, 600_000);
    for (const by of ['arrivals', 'durations', 'poisson'] as const) {
      const s = scaleToLoad(g, 32, 0.9, by, 7);
      expect(s.offeredAfter, by).toBeCloseTo(0.9, 6);
      expect(s.gangs.map((x) => x.gang.id)).toEqual(g.map((x) => x.gang.id)); // order kept
    }
    const arr = scaleToLoad(g, 32, 0.9, 'arrivals');
    expect(arr.gangs.every((x) => x.durationMs === 600_000)).toBe(true);
    const dur = scaleToLoad(g, 32, 0.9, 'durations');
    expect(dur.gangs.map((x) => x.submitAt)).toEqual(g.map((x) => x.submitAt));
    expect(scaleToLoad(g, 32, 0.9, 'poisson', 7)).toEqual(scaleToLoad(g, 32, 0.9, 'poisson', 7)); // seeded
  });

  it('extends a stream with its own gangs, drawn with replacement, after the originals', () => {
    const g = gangs(10, 60_000);
    const more = extendArrivals(g, 25, 3);
    expect(more).toHaveLength(25);
    expect(more.slice(0, 10)).toEqual(g);
    expect(new Set(more.map((x) => x.gang.id)).size).toBe(25);
    for (const c of more.slice(10)) expect(c.gang.id).toMatch(/^g\d-copy-\d+$/);
    expect(Math.min(...more.slice(10).map((x) => x.submitAt))).toBeGreaterThan(Math.max(...g.map((x) => x.submitAt)));
  });

  it('loads the fleet: above capacity gangs wait, below it they hardly do', () => {
    const g = extendArrivals(gangs(50, 3_600_000), 600, 1);
    const wait = (load: number) => runReplay({ nodes, gangs: scaleToLoad(g, 32, load, 'poisson', 1).gangs }, { policy: 'best-fit', seed: 1 });
    const low = wait(0.5);
    const high = wait(1.5);
    expect(high.arrivalWindow.utilisationPct).toBeGreaterThan(low.arrivalWindow.utilisationPct);
    expect(high.overall.waitSeconds.mean).toBeGreaterThan(10 * Math.max(1, low.overall.waitSeconds.mean));
  });

  it('refuses what it cannot scale, naming the field', () => {
    expect(fieldOf(() => scaleToLoad(gangs(5, 1000), 32, 0))).toBe('load');
    expect(fieldOf(() => scaleToLoad(gangs(1, 1000), 32, 1))).toBe('load'); // one arrival: no window
    expect(fieldOf(() => scaleToLoad(gangs(5, 1000).map((x) => ({ ...x, durationMs: null })), 32, 1))).toBe('load');
  });
});
