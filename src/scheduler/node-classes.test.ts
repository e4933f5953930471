// Node classes stand in for their members: a cycle that filters and scores one member per class
// must decide exactly what a scan over every node decides. A pass-everything filter that reads
// 'node' forces the node-by-node scan, so the same requests on two copies of a fleet compare the
// two paths — including tenants, isolation tiers, MIG and gangs that are rolled back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { DEFAULT_FILTERS, type Filter } from './filters/index.js';
import { nodeClassesOf } from './node-classes.js';
import { createPolicy } from './policies.js';
import { placementDelta } from './placement-delta.js';
import { permutation, seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { GangDecision, GangRequest, GpuDemand, IsolationTier } from './types.js';

const GIB = 1024 ** 3;

const nodeByNode: Filter = {
  name: 'node-by-node',
  reason: 'NodeUnschedulable',
  reads: 'node',
  resolvable: false,
  filter: (_snap, _req, _nodes, count) => count,
};

const typical = [
  { cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.4 },
  { cpuMilli: 2000, gpuMilli: 300, gpuCount: 1, gpuModels: [], p: 0.3 },
  { cpuMilli: 16000, gpuMilli: 1000, gpuCount: 4, gpuModels: ['A'], p: 0.2 },
  { cpuMilli: 1000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.1 },
];

const arbNode = fc.record({
  kind: fc.integer({ min: 0, max: 3 }),
  copies: fc.integer({ min: 1, max: 12 }), // many alike, so classes stay fewer than half the nodes (the class path)
  schedulable: fc.constantFrom(true, true, true, false),
});

const KINDS: Omit<NodeInput, 'name'>[] = [
  { cpuMilli: 64_000, memoryBytes: 256 * GIB, gpus: 8, gpuModel: 'A' },
  { cpuMilli: 32_000, memoryBytes: 128 * GIB, gpus: 2, gpuModel: 'B' },
  { cpuMilli: 96_000, memoryBytes: 512 * GIB, gpus: 4, gpuModel: 'A', migGpus: [0, 1] },
  { cpuMilli: 16_000, memoryBytes: 64 * GIB, gpus: 0, gpuModel: '' },
];

const arbGpu: fc.Arbitrary<GpuDemand> = fc.oneof(
  fc.constant<GpuDemand>({ kind: 'none' }),
  fc.integer({ min: 1, max: 8 }).map((count): GpuDemand => ({ kind: 'whole', count })),
  fc.constantFrom(250, 300, 500, 700).map((milli): GpuDemand => ({ kind: 'share', milli })),
  fc.constantFrom('1g.10gb', '3g.40gb').map((profile): GpuDemand => ({ kind: 'mig', profile })),
);

const arbGang = fc.record({
  gpu: arbGpu,
  cpu: fc.integer({ min: 0, max: 40 }),
  replicas: fc.integer({ min: 1, max: 3 }),
  models: fc.constantFrom<string[] | undefined>(undefined, undefined, ['A'], ['B']),
  project: fc.constantFrom('p0', 'p1', 'p2'),
  isolation: fc.constantFrom<IsolationTier | undefined>(undefined, undefined, 'shared', 'dedicated', 'exclusive-node'),
  allowSharing: fc.boolean(),
  release: fc.boolean(),
});

const comparable = (ds: readonly GangDecision[]) =>
  ds.map((d) => ({
    id: d.gangId,
    placed: d.placed,
    refused: d.refused,
    placements: d.placements.map((p) => [p.node, p.gpus, p.migStart, p.feasibleNodes, p.total]),
    unplaced: d.unplaced.map((u) => [u.replica, u.rejected, u.message]),
    explanation: d.explanation,
  }));

describe('node classes', () => {
  it('decide exactly as a scan over every node (property)', () => {
    fc.assert(
      fc.property(
        fc.array(arbNode, { minLength: 1, maxLength: 5 }),
        fc.array(arbGang, { minLength: 1, maxLength: 25 }),
        fc.constantFrom('weft', 'fgd', 'best-fit', 'gpu-clustering', 'spread'),
        fc.integer({ min: 0, max: 1000 }),
        (kinds, gangs, policyName, seed) => {
          const fleet: NodeInput[] = [];
          kinds.forEach((k, i) => {
            for (let c = 0; c < k.copies; c++) fleet.push({ name: `n${i}-${c}`, ...KINDS[k.kind]!, schedulable: k.schedulable || c > 0 });
          });
          const byClass = new Snapshot(fleet);
          const byNode = new Snapshot(fleet);
          const ranks = permutation(fleet.length, seededRng(seed));
          byClass.setRanks(ranks);
          byNode.setRanks(ranks);
          const policy = createPolicy(policyName, { typicalPods: typical });
          const placed: { gang: GangRequest; d: GangDecision }[] = [];
          gangs.forEach((g, i) => {
            const gang: GangRequest = {
              id: `g${i}`,
              replicas: g.replicas,
              project: g.project,
              allowSharing: g.allowSharing,
              resources: { cpuMilli: g.cpu * 1000, memoryBytes: GIB, gpu: g.gpu, gpuModels: g.models },
            };
            if (g.isolation) gang.isolation = g.isolation;
            const a = schedule(byClass, [gang], { policy }, i, seededRng(i)).decisions;
            const b = schedule(byNode, [gang], { policy, filters: [...DEFAULT_FILTERS, nodeByNode] }, i, seededRng(i)).decisions;
            expect(comparable(a)).toEqual(comparable(b));
            if (a[0]!.placed) placed.push({ gang, d: a[0]! });
            // Now and then a placed gang leaves again, on both copies.
            if (g.release && placed.length > 0) {
              const gone = placed.splice(seed % placed.length, 1)[0]!;
              for (const snap of [byClass, byNode]) {
                const mark = snap.mark();
                schedule(snap, [gone.gang], { policy }, i, seededRng(i)); // a what-if dirties classes too
                snap.rollback(mark);
                for (const p of gone.d.placements) snap.release(p.node, placementDelta(snap, gone.gang, p));
              }
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('group a fresh fleet of identical hosts into one class, and split it as replicas land', () => {
    const fleet = Array.from({ length: 100 }, (_, i) => ({ name: `h${i}`, ...KINDS[0]! }));
    const snap = new Snapshot(fleet);
    const classes = nodeClassesOf(snap);
    classes.sync();
    expect(classes.active).toHaveLength(1);
    expect(classes.staticMembers).toHaveLength(1);
    const policy = createPolicy('best-fit');
    const one: GangRequest = { id: 'one', replicas: 3, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole', count: 8 } } };
    schedule(snap, [one], { policy }, 0, seededRng(1));
    classes.sync();
    expect(classes.active).toHaveLength(2); // full hosts, empty hosts
    expect(classes.active.map((c) => classes.size(c)).sort((a, b) => a - b)).toEqual([3, 97]);
  });
});
