// The fast preemption search (bounded what-ifs, victims put back by runs) must give exactly the
// plan of the plain search on random small fleets: same victims, cost, reasons and placement.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Filter } from './filters/filter.js';
import { DEFAULT_FILTERS } from './filters/index.js';
import { createPolicy } from './policies.js';
import { findVictims, type RunningGang } from './preemption.js';
import { findVictimsReference } from './preemption-reference.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeDelta } from './snapshot.js';
import { node } from './testing/fixtures.js';
import type { GangRequest, GpuDemand } from './types.js';

const GIB = 1024 ** 3;
const MIN = 60_000;
const NOW = 10_000 * MIN;

const arbNode = fc.record({ gpus: fc.constantFrom(4, 8), cores: fc.constantFrom(16, 32, 64), rack: fc.constantFrom('r0', 'r1', 'r2') });

const arbRunning = fc.record({
  // Mostly small gangs, so that a big preemptor needs several victims.
  gpus: fc.oneof(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 8 })),
  share: fc.constantFrom(0, 0, 0, 250, 500),
  replicas: fc.integer({ min: 1, max: 3 }),
  cores: fc.integer({ min: 1, max: 16 }),
  priority: fc.integer({ min: 0, max: 4 }),
  minutesAgo: fc.integer({ min: 1, max: 600 }),
  checkpoint: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
  borrowed: fc.boolean(),
  preemptible: fc.constantFrom(true, true, true, false),
  start: fc.nat(),
});

const arbPreemptor = fc.record({
  gpu: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map((count): GpuDemand => ({ kind: 'whole', count })) },
    { weight: 1, arbitrary: fc.constant<GpuDemand>({ kind: 'share', milli: 500 }) },
    { weight: 1, arbitrary: fc.constant<GpuDemand>({ kind: 'none' }) },
  ),
  cores: fc.integer({ min: 1, max: 40 }),
  replicas: fc.integer({ min: 1, max: 4 }),
  minFrac: fc.constantFrom(0.5, 1),
  priority: fc.integer({ min: 2, max: 6 }),
  topology: fc.constantFrom(undefined, 'required' as const, 'preferred' as const),
  policy: fc.constantFrom('best-fit' as const, 'weft' as const),
  // The default filters, or a chain without cpu-fit (a looser bound), or one more filter that eviction cannot change.
  filters: fc.constantFrom('default', 'default', 'no-cpu-fit', 'hide-nodes'),
});

const POLICIES = {
  'best-fit': createPolicy('best-fit'),
  weft: createPolicy('weft', { typicalPods: [{ cpuMilli: 8000, gpuMilli: 1000, gpuCount: 4, gpuModels: [], p: 1 }] }),
};

/** A per-node rule eviction cannot change: the bound leaves those nodes out, and the search must still match the plain one. */
const hideEveryThirdNode: Filter = {
  name: 'hide-every-third-node',
  reason: 'NodeUnschedulable',
  reads: 'node',
  resolvable: false,
  filter(_snap, _req, nodes, count) {
    let k = 0;
    for (let i = 0; i < count; i++) if (nodes[i]! % 3 !== 2) nodes[k++] = nodes[i]!;
    return k;
  },
};

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Places each running gang replica by replica on the first node (from a seeded start) with room; gangs that do not fit are skipped. */
function fill(snap: Snapshot, specs: ValueOf<typeof arbRunning>[]): RunningGang[] {
  const running: RunningGang[] = [];
  specs.forEach((g, id) => {
    const replicas: { node: number; delta: NodeDelta }[] = [];
    for (let r = 0; r < g.replicas; r++) {
      for (let k = 0; k < snap.nodeCount; k++) {
        const n = (g.start + k) % snap.nodeCount;
        if (snap.cpuFree[n]! < g.cores * 1000) continue;
        const ids: number[] = [];
        for (let x = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; x < e; x++) {
          if (g.share > 0 ? snap.gpuFree[x]! >= g.share && ids.length < 1 : snap.gpuFree[x] === 1000 && ids.length < g.gpus) ids.push(x);
        }
        if (ids.length < (g.share > 0 ? 1 : g.gpus)) continue;
        const delta: NodeDelta = {
          cpuMilli: g.cores * 1000,
          memoryBytes: GIB,
          gpus: ids,
          milliPerGpu: g.share > 0 ? g.share : 1000,
          migMask: 0,
          shapeClass: g.share > 0 ? 0 : g.gpus,
        };
        snap.assume(n, delta);
        replicas.push({ node: n, delta });
        break;
      }
    }
    if (replicas.length === 0) return;
    const gang: RunningGang = { id: `run-${String(id).padStart(2, '0')}`, priority: g.priority, replicas, startedAt: NOW - g.minutesAgo * MIN };
    if (g.checkpoint !== undefined) gang.lastCheckpointAt = NOW - Math.min(g.checkpoint, g.minutesAgo) * MIN;
    if (g.borrowed) gang.borrowed = true;
    if (!g.preemptible) gang.preemptible = false;
    running.push(gang);
  });
  snap.commit();
  return running;
}

/** Fills every remaining free GPU (where CPU allows) with a 1-GPU gang of varied priority and age. */
function pack(snap: Snapshot, running: RunningGang[], salt: number): void {
  for (let n = 0; n < snap.nodeCount; n++) {
    for (let x = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; x < e; x++) {
      if (snap.gpuFree[x] !== 1000 || snap.cpuFree[n]! < 1000) continue;
      const delta: NodeDelta = { cpuMilli: 1000, memoryBytes: GIB, gpus: [x], milliPerGpu: 1000, migMask: 0, shapeClass: 1 };
      snap.assume(n, delta);
      const i = running.length + salt;
      running.push({ id: `fill-${String(x).padStart(3, '0')}`, priority: (i * 7) % 5, replicas: [{ node: n, delta }], startedAt: NOW - (((i * 37) % 600) + 1) * MIN });
    }
  }
  snap.commit();
}

function preemptor(p: ValueOf<typeof arbPreemptor>): GangRequest {
  const g: GangRequest = {
    id: 'urgent',
    replicas: p.replicas,
    minAvailable: Math.max(1, Math.ceil(p.replicas * p.minFrac)),
    priority: p.priority,
    resources: { cpuMilli: p.cores * 1000, memoryBytes: 2 * GIB, gpu: p.gpu },
  };
  if (p.topology) g.topology = { within: 'rack', mode: p.topology };
  return g;
}

describe('fast preemption search', () => {
  it('gives the plain search’s plan on random fleets', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.array(arbNode, { minLength: 2, maxLength: 12 }), fc.array(arbRunning, { minLength: 1, maxLength: 60 }), arbPreemptor, fc.option(fc.nat(100), { nil: undefined }), (nodes, specs, p, packSalt) => {
        const snap = new Snapshot(nodes.map((n, i) => node(`n${i}`, n.gpus, { cpuMilli: n.cores * 1000, rack: n.rack })));
        const running = fill(snap, specs);
        if (packSalt !== undefined) pack(snap, running, packSalt);
        const gang = preemptor(p);
        const config = {
          policy: POLICIES[p.policy],
          explain: false,
          ...(p.filters === 'no-cpu-fit' ? { filters: DEFAULT_FILTERS.filter((f) => f.name !== 'cpu-fit') } : {}),
          ...(p.filters === 'hide-nodes' ? { filters: [...DEFAULT_FILTERS, hideEveryThirdNode] } : {}),
        };
        const free = snap.gpuMilliFree;
        const expected = findVictimsReference(snap, gang, running, config, NOW, seededRng(1));
        const actual = findVictims(snap, gang, running, config, NOW, seededRng(1));
        expect(actual).toEqual(expected);
        expect(snap.gpuMilliFree).toBe(free);
      }),
      { numRuns: 400 },
    );
  });

  it('finds the one full rack among many partly freed ones with few victims', () => {
    // 6 racks of 4 nodes, each node two 4-GPU gangs; the cheapest gangs are spread over racks,
    // so the plain prefix is long while only one rack's 8 gangs are needed.
    const nodes = Array.from({ length: 24 }, (_, i) => node(`n${i}`, 8, { rack: `r${Math.floor(i / 4)}` }));
    const snap = new Snapshot(nodes);
    const running: RunningGang[] = [];
    for (let n = 0; n < 24; n++) {
      for (let k = 0; k < 2; k++) {
        const delta: NodeDelta = { cpuMilli: 1000, memoryBytes: GIB, gpus: [0, 1, 2, 3].map((x) => snap.gpuStart[n]! + 4 * k + x), milliPerGpu: 1000, migMask: 0, shapeClass: 4 };
        snap.assume(n, delta);
        // Rack r5 (nodes 20..23) is the costliest per gang but the only one fully released soonest.
        const minutes = n >= 20 ? 50 + n : 10 + ((n * 7 + k * 3) % 40);
        running.push({ id: `g${n}-${k}`, priority: n >= 20 ? 0 : k, replicas: [{ node: n, delta }], startedAt: NOW - minutes * MIN });
      }
    }
    snap.commit();
    const gang: GangRequest = { id: 'big', replicas: 4, priority: 10, topology: { within: 'rack', mode: 'required' }, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole', count: 8 } } };
    const config = { policy: createPolicy('best-fit'), explain: false };
    const plan = findVictims(snap, gang, running, config, NOW, seededRng(1))!;
    expect(plan).toEqual(findVictimsReference(snap, gang, running, config, NOW, seededRng(1)));
    expect(plan.victims).toHaveLength(8);
    expect(new Set(plan.placement.placements.map((p) => nodes[p.node]!.rack))).toEqual(new Set(['r5']));
  });
});
