import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { FragmentationMeasure } from './fragmentation.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { SHAPE_SHARE, Snapshot } from './snapshot.js';
import { cpuPerMilliGpu, StrandingAwareFragmentation } from './stranding.js';
import { judgeStranding, STRANDING_MARGIN } from './weft-calibration.js';
import { gang, node } from './testing/fixtures.js';
import type { TypicalPod } from './typical-pods.js';

// κ = (0.5 × 4000 + 0.3 × 2000) / (0.5 × 1000 + 0.3 × 500) = 4 milli-CPU per milli-GPU.
const typical: TypicalPod[] = [
  { cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.5 },
  { cpuMilli: 2000, gpuMilli: 500, gpuCount: 1, gpuModels: [], p: 0.3 },
  { cpuMilli: 8000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.2 },
];

describe('weft', () => {
  it('measures FGD fragmentation plus λ × the idle GPU that free CPU cannot feed', () => {
    expect(cpuPerMilliGpu(typical)).toBeCloseTo(4, 12);
    // 8 idle GPUs need 32 cores at κ = 4: the first node has them, the second strands 6 GPUs.
    const snap = new Snapshot([node('fed', 8, { cpuMilli: 64_000 }), node('starved', 8, { cpuMilli: 8_000 })]);
    const fgd = new FragmentationMeasure(typical);
    const weft = new StrandingAwareFragmentation(typical);
    expect(weft.nodeFrag(snap, 0)).toBe(fgd.nodeFrag(snap, 0));
    expect(weft.nodeFrag(snap, 1)).toBeCloseTo(fgd.nodeFrag(snap, 1) + 2 * (8000 - 8000 / 4), 9);
    // No GPU pods in the typical set: nothing to strand, the measure is FGD's.
    const cpuOnly = typical.slice(2);
    expect(new StrandingAwareFragmentation(cpuOnly).nodeFrag(snap, 1)).toBe(new FragmentationMeasure(cpuOnly).nodeFrag(snap, 1));
  });

  it('sends a CPU-only pod where it strands no GPU, where FGD sees a tie', () => {
    // Both nodes keep every typical pod feasible after the pod, so FGD ties and takes the first
    // rank; on the 8-GPU node the pod would leave 26 cores for 8 GPUs (κ asks 32).
    const nodes = [node('big', 8, { cpuMilli: 34_000 }), node('small', 2, { cpuMilli: 34_000 })];
    const pod = gang('cpu', { kind: 'none' }, { cpu: 8000 });
    const place = (policy: string, stranding?: boolean) =>
      schedule(new Snapshot(nodes), [pod], { policy: createPolicy(policy, { typicalPods: typical, ...(stranding !== undefined ? { stranding } : {}) }) }, 0, seededRng(1)).decisions[0]!
        .placements[0]!.nodeName;
    expect(place('fgd')).toBe('big');
    expect(place('weft', true)).toBe('small');
    // Without the term (its replay found it does not pay) weft places exactly as FGD.
    expect(place('weft', false)).toBe('big');
  });

  it('puts a share on the GPU it fills most tightly when the fragmentation scores tie', () => {
    // With only CPU-only typical pods every GPU scores the same: FGD takes the first, weft the
    // fullest that fits.
    const cpuOnly = typical.slice(2);
    const share = gang('s', { kind: 'share', milli: 300 });
    const pick = (policy: string, stranding?: boolean) => {
      const snap = new Snapshot([node('a', 3)]);
      snap.assume(0, { cpuMilli: 0, memoryBytes: 0, gpus: [2], milliPerGpu: 400, migMask: 0, shapeClass: SHAPE_SHARE });
      const opts = { typicalPods: cpuOnly, ...(stranding !== undefined ? { stranding } : {}) };
      return schedule(snap, [share], { policy: createPolicy(policy, opts) }, 0, seededRng(1)).decisions[0]!.placements[0]!.gpus;
    };
    expect(pick('fgd')).toEqual([0]);
    expect(pick('weft', true)).toEqual([2]);
    expect(pick('weft', false)).toEqual([0]);
  });

  it('keeps the stranding term only where a replay of the mix on the fleet shows it pays', () => {
    // 40 hosts of 8 GPUs and 64 cores. With GPU tasks alone the term has room to help; with
    // CPU-only tasks asking for far more CPU than the hosts have, every host ends CPU-bound
    // whatever the placement, and the term only misleads.
    const fleet = new Snapshot(Array.from({ length: 40 }, (_, i) => node(`n${i}`, 8, { cpuMilli: 64_000 })));
    const gpuOnly: TypicalPod[] = [
      { cpuMilli: 12_000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.4 },
      { cpuMilli: 2000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.4 },
      { cpuMilli: 3000, gpuMilli: 500, gpuCount: 1, gpuModels: [], p: 0.2 },
    ];
    const cpuHeavy: TypicalPod[] = [...gpuOnly.map((m) => ({ ...m, p: m.p / 4 })), { cpuMilli: 16_000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.75 }];
    const a = judgeStranding(gpuOnly, gpuOnly, fleet);
    const b = judgeStranding(cpuHeavy, cpuHeavy, fleet);
    expect(a).toEqual(judgeStranding(gpuOnly, gpuOnly, fleet)); // a pure function of mix and fleet
    expect(a.nodes).toBe(40);
    for (const v of [a, b]) {
      const gain = Math.min(v.stranding[0] - v.fgd[0], v.stranding[1] - v.fgd[1]);
      expect(v.pays).toBe(gain >= STRANDING_MARGIN);
    }
    expect(a.pays).toBe(true);
    expect(b.pays).toBe(false);
  });
});
