import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeDelta } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { GangRequest } from './types.js';

const run = (snap: Snapshot, gangs: GangRequest[]) => schedule(snap, gangs, { policy: createPolicy('spread') }, 0, seededRng(1)).decisions;

/** Takes `count` whole GPUs on node n, as a running replica would. */
function occupy(snap: Snapshot, n: number, count: number): void {
  const gpus = Array.from({ length: count }, (_, i) => snap.gpuStart[n]! + i);
  const d: NodeDelta = { cpuMilli: 0, memoryBytes: 0, gpus, milliPerGpu: 1000, migMask: 0, shapeClass: count };
  snap.assume(n, d);
}

describe('topology-aware gangs', () => {
  const racks = () =>
    new Snapshot([
      node('big-1', 8, { rack: 'r-big' }),
      node('big-2', 8, { rack: 'r-big' }),
      node('big-3', 8, { rack: 'r-big' }),
      node('small-1', 8, { rack: 'r-small' }),
      node('small-2', 8, { rack: 'r-small' }),
    ]);

  it('preferred: picks the smallest rack that fits the whole gang and reports it', () => {
    const snap = racks();
    const [d] = run(snap, [gang('g', { kind: 'whole', count: 8 }, { replicas: 2, topology: { within: 'rack', mode: 'preferred' } })]);
    expect(d!.placed).toBe(true);
    expect(d!.placements.map((p) => p.nodeName).sort()).toEqual(['small-1', 'small-2']);
    expect(d!.locality).toEqual({ within: 'rack', mode: 'preferred', domain: 'r-small', achieved: true });
  });

  it('preferred: spreads over racks when none fits, and says the locality was not achieved', () => {
    const snap = racks();
    occupy(snap, 0, 8);
    occupy(snap, 1, 8);
    occupy(snap, 3, 8);
    const [d] = run(snap, [gang('g', { kind: 'whole', count: 8 }, { replicas: 2, topology: { within: 'rack', mode: 'preferred' } })]);
    expect(d!.placed).toBe(true);
    expect(d!.placements.map((p) => p.nodeName).sort()).toEqual(['big-3', 'small-2']);
    expect(d!.locality).toEqual({ within: 'rack', mode: 'preferred', achieved: false });
  });

  it('required: fails with TopologyDomain and names the best rack and what it has', () => {
    const snap = racks();
    occupy(snap, 0, 4); // r-big: 4 + 2 + 0 free
    occupy(snap, 1, 6);
    occupy(snap, 2, 8);
    occupy(snap, 3, 5); // r-small: 3 + 0 free
    occupy(snap, 4, 8);
    const g = gang('g', { kind: 'whole', count: 4 }, { replicas: 2, topology: { within: 'rack', mode: 'required' }, models: ['H100-80GB'] });
    const [d] = run(snap, [g]);
    expect(d!.placed).toBe(false);
    expect(d!.unplaced[0]!.rejected).toEqual({ TopologyDomain: 1 });
    expect(d!.reasons?.[0]).toMatchObject({ code: 'TopologyDomain', data: { within: 'rack', bestDomain: 'r-big', bestFreeGpus: 6, bestReplicas: 1 } });
    expect(d!.locality).toEqual({ within: 'rack', mode: 'required', domain: 'r-big', achieved: false });
    expect(d!.explanation).toBe('needs 2 replicas of 4×H100-80GB within one rack; best rack r-big has 6 free GPUs (room for 1 of 2 replicas)');
    expect(snap.fullFree[0]).toBe(4); // nothing assumed
  });

  it('required: places inside one NVLink domain when one fits', () => {
    const snap = new Snapshot([node('a', 4, { nvlinkDomain: 'nv1' }), node('b', 4, { nvlinkDomain: 'nv2' }), node('c', 4, { nvlinkDomain: 'nv2' })]);
    const [d] = run(snap, [gang('g', { kind: 'whole', count: 4 }, { replicas: 2, topology: { within: 'nvlink-domain', mode: 'required' } })]);
    expect(d!.placements.map((p) => p.nodeName).sort()).toEqual(['b', 'c']);
    expect(d!.locality).toEqual({ within: 'nvlink-domain', mode: 'required', domain: 'nv2', achieved: true });
  });
});
