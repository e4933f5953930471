// The live loop's policy: weft learns the mix from the demands it sees and, a slice per cycle,
// replays it on the fleet to decide on its stranding term; until then it keeps the term.
import { describe, expect, it } from 'vitest';
import { schedule, seededRng, Snapshot, type GangRequest, type Policy } from '../scheduler/index.js';
import { PolicySource } from './policy-source.js';

const GIB = 1024 ** 3;
const fleet = () => new Snapshot(Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, cpuMilli: 64_000, memoryBytes: 512 * GIB, gpus: 8, gpuModel: 'H100-80GB' })));

// CPU-only tasks asking for far more CPU than the hosts have: the replay finds the term does not pay.
const shapes = [
  ...Array.from({ length: 30 }, () => ({ cpuMilli: 16_000, gpuMilli: 0, gpuCount: 0, gpuModels: [] })),
  ...Array.from({ length: 4 }, () => ({ cpuMilli: 12_000, gpuMilli: 1000, gpuCount: 1, gpuModels: [] })),
  ...Array.from({ length: 4 }, () => ({ cpuMilli: 2000, gpuMilli: 1000, gpuCount: 1, gpuModels: [] })),
  ...Array.from({ length: 2 }, () => ({ cpuMilli: 3000, gpuMilli: 500, gpuCount: 1, gpuModels: [] })),
];

/** Where a CPU-only pod lands on a fleet whose first node is a 34-core, 8-GPU host and second a 34-core, 2-GPU one. */
function landing(policy: Policy): string {
  const snap = new Snapshot([
    { name: 'big', cpuMilli: 34_000, memoryBytes: 64 * GIB, gpus: 8, gpuModel: 'H100-80GB' },
    { name: 'small', cpuMilli: 34_000, memoryBytes: 64 * GIB, gpus: 2, gpuModel: 'H100-80GB' },
  ]);
  const pod: GangRequest = { id: 'cpu', replicas: 1, resources: { cpuMilli: 8000, memoryBytes: GIB, gpu: { kind: 'none' } } };
  return schedule(snap, [pod], { policy }, 0, seededRng(1)).decisions[0]!.placements[0]!.nodeName;
}

describe('PolicySource (weft)', () => {
  it('keeps the stranding term until its replay of the learned mix answers, then follows the verdict', () => {
    const source = new PolicySource('weft');
    for (const s of shapes) source.observe(s);
    const before = source.current()!;
    // With the term, weft sends a CPU-only pod where it strands no GPU; FGD's rule ties and takes the first node.
    expect(landing(before)).toBe('small');
    const snap = fleet();
    let cycles = 0;
    while (source.current() === before && cycles < 10_000) {
      source.calibrate(snap);
      cycles++;
    }
    expect(cycles).toBeGreaterThan(1); // it took several slices
    const after = source.current()!;
    expect(after.name).toBe('weft');
    expect(landing(after)).toBe('big'); // the verdict: no term, FGD's rule
    // A new mix asks again; the same mix does not.
    source.calibrate(snap);
    expect(source.current()).toBe(after);
  });

  it('adopts share fill when the replay keeps it, though the term alone would not change', () => {
    // Shares only on CPU-rich hosts (the share-fill test's mix): the verdict keeps share fill.
    const share = (gpuMilli: number, cpuMilli: number, n: number) => Array.from({ length: n }, () => ({ cpuMilli, gpuMilli, gpuCount: 1, gpuModels: [] }));
    const source = new PolicySource('weft');
    for (const s of [...share(810, 6000, 20), ...share(470, 3000, 15), ...share(320, 2000, 6), ...share(650, 4000, 6), ...share(160, 1000, 3)]) source.observe(s);
    const before = source.current()!;
    const snap = fleet();
    for (let cycles = 0; source.current() === before && cycles < 10_000; cycles++) source.calibrate(snap);
    expect(source.current()).not.toBe(before); // rebuilt with share fill; the term alone was kept already
  });

  it('keeps its policy while the learned mix only wobbles by sampling, and rebuilds it when the mix moves', () => {
    const source = new PolicySource('weft');
    const rng = seededRng(7);
    // As the loop does: a few dozen demands a cycle, drawn from one unchanging mix.
    const cycle = (from: typeof shapes): void => {
      for (let i = 0; i < 60; i++) source.observe(from[Math.floor(rng.nextFloat() * from.length)]!);
      source.current();
    };
    for (let c = 0; c < 40; c++) cycle(shapes); // the window (2,000 shapes) is full
    const settled = source.current();
    for (let c = 0; c < 200; c++) {
      cycle(shapes);
      expect(source.current()).toBe(settled);
    }
    const eightGpu = [{ cpuMilli: 32_000, gpuMilli: 1000, gpuCount: 8, gpuModels: [] }];
    for (let c = 0; c < 40; c++) cycle(eightGpu);
    expect(source.current()).not.toBe(settled);
  });
});
