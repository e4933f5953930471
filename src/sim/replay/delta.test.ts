// A replica the replay releases must give back exactly what the scheduler took, tenant marks
// included, or the fleet would drift over a long replay.
import { describe, expect, it } from 'vitest';
import { createPolicy, schedule, seededRng, Snapshot, type GangRequest, type NodeInput } from '../../scheduler/index.js';
import { heldGpus, placementDelta } from './delta.js';

const GIB = 1024 ** 3;
const nodes: NodeInput[] = [
  { name: 'a', cpuMilli: 64_000, memoryBytes: 512 * GIB, gpus: 8, gpuModel: 'H100-80GB' },
  { name: 'm', cpuMilli: 64_000, memoryBytes: 512 * GIB, gpus: 2, gpuModel: 'H100-80GB', migGpus: [0, 1] },
  { name: 'e', cpuMilli: 128_000, memoryBytes: 512 * GIB, gpus: 0, gpuModel: '' },
];

/** Free resources plus what the isolation rules see, through the snapshot's public queries. */
function state(s: Snapshot): string {
  const arrays = [s.cpuFree, s.memFree, s.gpuFree, s.migUsed, s.fullFree, s.shapeCounts].map((a) => Array.from(a));
  const outsider = s.tenantId('outsider');
  const nodeMarks = Array.from({ length: s.nodeCount }, (_, n) => [s.nodeOnlyTenant(n, outsider), s.nodeExclusiveToOther(n, outsider)]);
  const gpuMarks = Array.from({ length: s.gpuTotal }, (_, g) => s.gpuShareAllowed(g, outsider, false));
  return JSON.stringify([arrays, nodeMarks, gpuMarks]);
}

describe('placementDelta', () => {
  it('releasing every placed replica restores the snapshot exactly', () => {
    const snap = new Snapshot(nodes);
    const empty = state(snap);
    const gangs: GangRequest[] = [
      { id: 'whole', replicas: 2, project: 'p1', isolation: 'dedicated', resources: { cpuMilli: 4000, memoryBytes: 8 * GIB, gpu: { kind: 'whole', count: 2 } } },
      { id: 'share', replicas: 3, project: 'p2', isolation: 'shared', allowSharing: false, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'share', milli: 300 } } },
      { id: 'excl', replicas: 1, project: 'p3', isolation: 'exclusive-node', resources: { cpuMilli: 100_000, memoryBytes: GIB, gpu: { kind: 'none' } } },
      { id: 'mig', replicas: 2, project: 'p1', resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'mig', profile: '3g.40gb' } } },
    ];
    const { decisions } = schedule(snap, gangs, { policy: createPolicy('best-fit'), explain: false }, 0, seededRng(1));
    snap.commit();
    expect(decisions.map((d) => d.placed)).toEqual([true, true, true, true]);
    expect(state(snap)).not.toBe(empty);
    let gpus = 0;
    for (const d of decisions) {
      const gang = gangs.find((g) => g.id === d.gangId)!;
      for (const p of d.placements) {
        const delta = placementDelta(snap, gang, p);
        gpus += heldGpus(delta);
        snap.release(p.node, delta);
      }
    }
    expect(state(snap)).toBe(empty);
    // 2 × 2 whole + 3 × 0.3 shares + 2 × a 3g instance's weight (3 of 7 compute slices).
    expect(gpus).toBeCloseTo(4 + 0.9 + 2 * 0.428, 9);
  });
});
