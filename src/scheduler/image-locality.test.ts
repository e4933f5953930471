// Image locality: among nodes the policy rates equally, the one that already holds the replica's
// image wins; it never moves a replica to a node the policy rates lower (a worse fit, more
// fragmentation), and without the option (the simulator's experiments) nothing changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy, POLICY_NAMES } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { GangRequest, GpuDemand, ReplicaPlacement } from './types.js';

const typical = [
  { cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.5 },
  { cpuMilli: 2000, gpuMilli: 500, gpuCount: 1, gpuModels: [], p: 0.3 },
  { cpuMilli: 16_000, gpuMilli: 1000, gpuCount: 4, gpuModels: [], p: 0.2 },
];
const RANKED = POLICY_NAMES.filter((p) => p !== 'random');
const fleet = (n: number) => Array.from({ length: n }, (_, i) => node(`n${i}`, 8));

/** Places `fillers` first, then `target`; returns the target's placement. */
function place(policyName: string, imageLocality: boolean, nodes: number, fillers: GangRequest[], target: GangRequest): ReplicaPlacement | undefined {
  const snap = new Snapshot(fleet(nodes));
  const policy = createPolicy(policyName, { typicalPods: typical, imageLocality });
  for (const f of fillers) schedule(snap, [f], { policy }, 0, seededRng(1));
  const [d] = schedule(snap, [target], { policy }, 0, seededRng(2)).decisions;
  return d!.placed ? d!.placements[0] : undefined;
}

describe.each(RANKED)('image locality under policy %s', (policyName) => {
  it('takes the node that holds the image when the policy rates the nodes alike', () => {
    const target = gang('train', { kind: 'whole', count: 2 }, { imageNodes: ['n2'] });
    expect(place(policyName, false, 4, [], target)!.nodeName).not.toBe('n2');
    const chosen = place(policyName, true, 4, [], target)!;
    expect(chosen.nodeName).toBe('n2');
    // Shown in the breakdown, outside the total.
    expect(chosen.scores['image-locality']).toBe(100);
    expect(chosen.total).toBe(place(policyName, false, 4, [], target)!.total);
  });

  it('never takes a node the policy rates lower for holding the image', () => {
    const demand = fc.oneof(
      fc.integer({ min: 1, max: 8 }).map((count): GpuDemand => ({ kind: 'whole', count })),
      fc.constantFrom(250, 500, 750).map((milli): GpuDemand => ({ kind: 'share', milli })),
    );
    fc.assert(
      fc.property(fc.array(demand, { maxLength: 10 }), demand, fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }), (fill, want, holders) => {
        const fillers = fill.map((g, i) => gang(`f${i}`, g));
        const target = gang('t', want, { imageNodes: holders.map((h) => `n${h}`) });
        const without = place(policyName, false, 6, fillers, target);
        const withIt = place(policyName, true, 6, fillers, target);
        expect(withIt === undefined).toBe(without === undefined);
        if (!withIt || !without) return;
        // Same best total: locality only chose among the nodes tied for it.
        expect(withIt.total).toBe(without.total);
        if (holders.map((h) => `n${h}`).includes(without.nodeName)) expect(withIt.nodeName).toBe(without.nodeName);
      }),
      { numRuns: 40, seed: 15 },
    );
  });
});

describe('image locality switched off (the simulator, the FGD experiments)', () => {
  it('places exactly as if no node held the image', () => {
    for (const policyName of POLICY_NAMES) {
      const fillers = [gang('f0', { kind: 'whole', count: 3 }), gang('f1', { kind: 'share', milli: 500 })];
      const plain = place(policyName, false, 4, fillers, gang('t', { kind: 'whole', count: 1 }));
      const named = place(policyName, false, 4, fillers, gang('t', { kind: 'whole', count: 1 }, { imageNodes: ['n3'] }));
      expect(named).toEqual(plain);
      expect(createPolicy(policyName, { typicalPods: typical }).tieBreak).toBeUndefined();
    }
  });
});
