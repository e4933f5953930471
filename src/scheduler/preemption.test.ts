import { describe, expect, it } from 'vitest';
import { createPolicy } from './policies.js';
import { findVictims, lostGpuTime, type RunningGang } from './preemption.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeDelta } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';

const MIN = 60_000;
const NOW = 1000 * MIN;
const cfg = { policy: createPolicy('best-fit') };
const urgent = gang('urgent', { kind: 'whole', count: 8 }, { replicas: 2, priority: 100 });

/** A gang holding `gpus` whole GPUs on each listed node (from the node's first free GPU), assumed on `snap`. */
function run(snap: Snapshot, id: string, priority: number, placements: { node: number; gpus: number }[], minutesAgo: number, checkpointMinutesAgo?: number): RunningGang {
  const replicas = placements.map(({ node: n, gpus }) => {
    const ids: number[] = [];
    for (let g = snap.gpuStart[n]!; ids.length < gpus; g++) if (snap.gpuFree[g] === 1000) ids.push(g);
    const delta: NodeDelta = { cpuMilli: 1000, memoryBytes: 1, gpus: ids, milliPerGpu: 1000, migMask: 0, shapeClass: gpus };
    snap.assume(n, delta);
    return { node: n, delta };
  });
  snap.commit();
  const g: RunningGang = { id, priority, replicas, startedAt: NOW - minutesAgo * MIN };
  if (checkpointMinutesAgo !== undefined) g.lastCheckpointAt = NOW - checkpointMinutesAgo * MIN;
  return g;
}

/** Four full 8-GPU nodes: one 2×8 gang on n0,n1 and sixteen 1-GPU gangs on n2,n3. */
function mixedFleet(bigMinutes: number, smallMinutes: number, bigPrio = 0, smallPrio = 0): { snap: Snapshot; running: RunningGang[] } {
  const snap = new Snapshot([node('n0', 8), node('n1', 8), node('n2', 8), node('n3', 8)]);
  const running = [run(snap, 'big', bigPrio, [{ node: 0, gpus: 8 }, { node: 1, gpus: 8 }], bigMinutes)];
  for (let i = 0; i < 16; i++) running.push(run(snap, `small-${String(i).padStart(2, '0')}`, smallPrio, [{ node: 2 + (i >> 3), gpus: 1 }], smallMinutes));
  return { snap, running };
}

describe('findVictims', () => {
  it('prefers one 2×8 gang over sixteen 1-GPU gangs when that loses less GPU-time', () => {
    // big: 16 GPUs × 10 min = 160 GPU-min; the smalls: 16 × 1 GPU × 60 min = 960 GPU-min.
    const { snap, running } = mixedFleet(10, 60);
    const before = snap.gpuMilliFree;
    const plan = findVictims(snap, urgent, running, cfg, NOW, seededRng(1))!;
    expect(plan.victims).toEqual(['big']);
    expect(plan.cost).toBe(16 * 1000 * 10 * MIN);
    expect(plan.placement.placements.map((p) => p.nodeName).sort()).toEqual(['n0', 'n1']);
    expect(snap.gpuMilliFree).toBe(before); // the what-if left nothing behind
  });

  it('takes the sixteen small gangs when they lose less', () => {
    // big: 16 × 10 = 160 GPU-min; smalls: 16 × 5 = 80 GPU-min.
    const { snap, running } = mixedFleet(10, 5);
    const plan = findVictims(snap, urgent, running, cfg, NOW, seededRng(1))!;
    expect(plan.victims.sort()).toEqual(running.slice(1).map((g) => g.id));
    expect(plan.placement.placements.map((p) => p.nodeName).sort()).toEqual(['n2', 'n3']);
  });

  it('goes to the lowest priority first, however cheap higher-priority work would be', () => {
    const { snap, running } = mixedFleet(10, 600, 50, 0);
    expect(findVictims(snap, urgent, running, cfg, NOW, seededRng(1))!.victims).toHaveLength(16);
  });

  it('picks a minimal set: two of three full nodes, the two losing least', () => {
    const snap = new Snapshot([node('n0', 8), node('n1', 8), node('n2', 8)]);
    const running = [
      run(snap, 'old', 0, [{ node: 0, gpus: 8 }], 120),
      run(snap, 'checkpointed', 0, [{ node: 1, gpus: 8 }], 120, 3),
      run(snap, 'young', 0, [{ node: 2, gpus: 8 }], 5),
    ];
    const plan = findVictims(snap, urgent, running, cfg, NOW, seededRng(1))!;
    expect(plan.victims).toEqual(['checkpointed', 'young']);
  });

  it('drops a victim the greedy pass took but did not need', () => {
    // cheapest first: "tiny" (1 GPU on n0, which "rest" also holds) is taken first, yet freeing n1
    // and n2 alone is enough, so it is put back.
    const snap = new Snapshot([node('n0', 8), node('n1', 8), node('n2', 8)]);
    const running = [
      run(snap, 'tiny', 0, [{ node: 0, gpus: 1 }], 1),
      run(snap, 'rest', 0, [{ node: 0, gpus: 7 }], 500),
      run(snap, 'a', 0, [{ node: 1, gpus: 8 }], 10),
      run(snap, 'b', 0, [{ node: 2, gpus: 8 }], 10),
    ];
    expect(findVictims(snap, urgent, running, cfg, NOW, seededRng(1))!.victims).toEqual(['a', 'b']);
  });

  it('never preempts equal or higher priority', () => {
    const { snap, running } = mixedFleet(10, 5, 100, 200);
    expect(findVictims(snap, urgent, running, cfg, NOW, seededRng(1))).toBeNull();
  });

  it('returns null when even every candidate would not make room', () => {
    const snap = new Snapshot([node('n0', 8), node('n1', 8)]);
    const running = [run(snap, 'low', 0, [{ node: 0, gpus: 8 }], 10), run(snap, 'high', 500, [{ node: 1, gpus: 8 }], 10)];
    const before = snap.gpuMilliFree;
    expect(findVictims(snap, urgent, running, cfg, NOW, seededRng(1))).toBeNull();
    expect(snap.gpuMilliFree).toBe(before);
  });

  it('counts lost work from the last checkpoint, else the start', () => {
    const snap = new Snapshot([node('n0', 8)]);
    const g = run(snap, 'g', 0, [{ node: 0, gpus: 2 }], 30, 10);
    expect(lostGpuTime(g, NOW)).toBe(2000 * 10 * MIN);
    expect(lostGpuTime({ ...g, lastCheckpointAt: undefined }, NOW)).toBe(2000 * 30 * MIN);
  });
});
