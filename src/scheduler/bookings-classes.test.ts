// Booked capacity keeps the scan by node class: the classes key booked nodes by what is booked
// there (node-classes.ts `tag`), so the cycle must still decide exactly what a scan over every
// node decides — with bookings before their start, open ones, shareWhenIdle, whole nodes, owners'
// use, gangs that ask for a reservation and gangs that backfill. A pass-everything 'node' filter
// forces the node-by-node scan on the second copy of the fleet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { DEFAULT_FILTERS, type Filter } from './filters/index.js';
import { createPolicy } from './policies.js';
import { permutation, seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { BookedCapacity, GangDecision, GangRequest } from './types.js';

const GIB = 1024 ** 3;
const H = 3_600_000;
const nodeByNode: Filter = { name: 'node-by-node', reason: 'NodeUnschedulable', reads: 'node', resolvable: false, filter: (_s, _r, _n, count) => count };

const arbBooking = fc.record({
  project: fc.constantFrom('p0', 'p1'),
  start: fc.constantFrom(0, 0, 2, 5), // few distinct values: bookings alike but for one field are what the tags must tell apart
  hours: fc.constantFrom(3, 8),
  share: fc.boolean(),
  whole: fc.boolean(),
  gpus: fc.constantFrom(2, 8),
  used: fc.constantFrom(0, 0, 2),
  nodes: fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
});
const arbGang = fc.record({
  gpus: fc.constantFrom(0, 1, 2, 4, 8),
  share: fc.boolean(),
  replicas: fc.integer({ min: 1, max: 3 }),
  project: fc.constantFrom('p0', 'p1', 'p2'),
  maxRuntime: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  preemptible: fc.boolean(),
  reservation: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
});

const comparable = (ds: readonly GangDecision[]) => ds.map((d) => ({ id: d.gangId, placed: d.placed, placements: d.placements.map((p) => [p.node, p.gpus, p.feasibleNodes]), unplaced: d.unplaced.map((u) => [u.replica, u.rejected]) }));

describe('booked capacity and node classes', () => {
  it('decide exactly as a scan over every node (property)', () => {
    fc.assert(
      fc.property(fc.array(arbBooking, { maxLength: 4 }), fc.array(arbGang, { minLength: 1, maxLength: 20 }), fc.constantFrom('best-fit', 'spread', 'gpu-packing'), fc.integer({ min: 0, max: 1000 }), (bs, gs, policyName, seed) => {
        const fleet: NodeInput[] = Array.from({ length: 20 }, (_, i) => ({ name: `n${i}`, cpuMilli: 64_000, memoryBytes: 256 * GIB, gpus: 8, gpuModel: 'A' }));
        const bookings: BookedCapacity[] = bs.map((b, k) => ({
          id: `${b.project}/r${k}`, project: b.project, name: `r${k}`, start: b.start * H, end: (b.start + b.hours) * H, shareWhenIdle: b.share,
          nodes: b.nodes.map((n) => ({ node: `n${n}`, gpus: b.whole ? 8 : b.gpus, ...(b.whole ? { whole: true } : {}) })),
          used: b.used > 0 ? { [`n${b.nodes[0]}`]: b.used } : {},
        }));
        const [byClass, byNode] = [new Snapshot(fleet), new Snapshot(fleet)];
        const ranks = permutation(fleet.length, seededRng(seed));
        byClass.setRanks(ranks);
        byNode.setRanks(ranks);
        const policy = createPolicy(policyName);
        gs.forEach((g, i) => {
          const now = (i % 8) * H;
          const gang: GangRequest = {
            id: `g${i}`, replicas: g.replicas, project: g.project, preemptible: g.preemptible,
            resources: { cpuMilli: 4000, memoryBytes: GIB, gpu: g.gpus === 0 ? { kind: 'none' } : g.share ? { kind: 'share', milli: 500 } : { kind: 'whole', count: g.gpus } },
            ...(g.maxRuntime !== undefined ? { maxRuntimeMs: g.maxRuntime * H } : {}),
            ...(g.reservation !== undefined ? { reservation: `r${g.reservation}` } : {}),
          };
          const a = schedule(byClass, [gang], { policy, bookings }, now, seededRng(i)).decisions;
          const b = schedule(byNode, [gang], { policy, bookings, filters: [...DEFAULT_FILTERS, nodeByNode] }, now, seededRng(i)).decisions;
          expect(comparable(a)).toEqual(comparable(b));
        });
      }),
      { numRuns: 300 },
    );
  });
});
