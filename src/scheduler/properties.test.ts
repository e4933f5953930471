// Invariants of the scheduler, checked on random fleets and request streams for every policy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy, POLICY_NAMES } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { GangDecision, GangRequest, GpuDemand } from './types.js';

const GIB = 1024 ** 3;

const arbNode = fc.record({
  gpus: fc.constantFrom(0, 1, 2, 4, 8),
  cpu: fc.integer({ min: 1, max: 128 }),
  mem: fc.integer({ min: 1, max: 512 }),
  model: fc.constantFrom('A', 'B'),
  rack: fc.constantFrom('r1', 'r2', 'r3'),
});

const arbGpu: fc.Arbitrary<GpuDemand> = fc.oneof(
  fc.constant<GpuDemand>({ kind: 'none' }),
  fc.integer({ min: 1, max: 8 }).map((count): GpuDemand => ({ kind: 'whole', count })),
  fc.integer({ min: 1, max: 999 }).map((milli): GpuDemand => ({ kind: 'share', milli })),
);

const arbGang = fc.record({
  gpu: arbGpu,
  cpu: fc.integer({ min: 0, max: 64_000 }),
  mem: fc.integer({ min: 0, max: 128 }),
  replicas: fc.integer({ min: 1, max: 4 }),
  minFrac: fc.constantFrom(0.5, 1),
  models: fc.constantFrom<string[] | undefined>(undefined, ['A'], ['B']),
  topology: fc.constantFrom(undefined, { within: 'rack' as const, mode: 'required' as const }),
});

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

function build(nodes: ValueOf<typeof arbNode>[], gangs: ValueOf<typeof arbGang>[]): { fleet: NodeInput[]; requests: GangRequest[] } {
  const fleet = nodes.map((n, i) => ({
    name: `n${i}`,
    gpus: n.gpus,
    cpuMilli: n.cpu * 1000,
    memoryBytes: n.mem * GIB,
    gpuModel: n.gpus > 0 ? n.model : '',
    rack: n.rack,
  }));
  const requests = gangs.map((g, i) => ({
    id: `g${i}`,
    replicas: g.replicas,
    minAvailable: Math.max(1, Math.ceil(g.replicas * g.minFrac)),
    submittedAt: i,
    topology: g.topology,
    resources: { cpuMilli: g.cpu, memoryBytes: g.mem * GIB, gpu: g.gpu, gpuModels: g.models },
  }));
  return { fleet, requests };
}

const typical = [
  { cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.4 },
  { cpuMilli: 2000, gpuMilli: 300, gpuCount: 1, gpuModels: [], p: 0.4 },
  { cpuMilli: 8000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.2 },
];

/** Runs requests one cycle at a time (as arrivals) and returns the decisions. */
function run(policy: string, fleet: NodeInput[], requests: GangRequest[], seed: number): { snap: Snapshot; decisions: GangDecision[] } {
  const snap = new Snapshot(fleet);
  const config = { policy: createPolicy(policy, { typicalPods: typical }) };
  const rng = seededRng(seed);
  const decisions = requests.flatMap((r, i) => schedule(snap, [r], config, i, rng).decisions);
  return { snap, decisions };
}

describe.each(POLICY_NAMES)('policy %s', (policy) => {
  it('never over-allocates, gives distinct whole GPUs, and keeps gangs all-or-nothing', () => {
    fc.assert(
      fc.property(fc.array(arbNode, { minLength: 1, maxLength: 12 }), fc.array(arbGang, { maxLength: 25 }), fc.integer(), (nodes, gangs, seed) => {
        const { fleet, requests } = build(nodes, gangs);
        const { snap, decisions } = run(policy, fleet, requests, seed);
        // Recompute usage from the decisions alone and compare with capacities.
        const cpu = new Float64Array(fleet.length);
        const mem = new Float64Array(fleet.length);
        const gpu = new Map<string, number>();
        decisions.forEach((d, i) => {
          const req = requests[i]!;
          const need = req.minAvailable ?? req.replicas;
          if (!d.placed) expect(d.placements).toHaveLength(0);
          else expect(d.placements.length).toBeGreaterThanOrEqual(need);
          for (const p of d.placements) {
            cpu[p.node] = cpu[p.node]! + req.resources.cpuMilli;
            mem[p.node] = mem[p.node]! + req.resources.memoryBytes;
            const g = req.resources.gpu;
            if (g.kind === 'whole') {
              expect(new Set(p.gpus).size).toBe(g.count);
              for (const k of p.gpus) gpu.set(`${p.node}/${k}`, (gpu.get(`${p.node}/${k}`) ?? 0) + 1000);
            } else if (g.kind === 'share') {
              expect(p.gpus).toHaveLength(1);
              gpu.set(`${p.node}/${p.gpus[0]}`, (gpu.get(`${p.node}/${p.gpus[0]}`) ?? 0) + g.milli);
            }
            // Model constraints bind GPU requests only; CPU-only replicas may land anywhere.
            if (req.resources.gpuModels && g.kind !== 'none') expect(req.resources.gpuModels).toContain(fleet[p.node]!.gpuModel);
          }
          if (req.topology && d.placements.length > 0) expect(new Set(d.placements.map((p) => fleet[p.node]!.rack)).size).toBe(1);
        });
        fleet.forEach((n, i) => {
          expect(cpu[i]).toBeLessThanOrEqual(n.cpuMilli);
          expect(mem[i]).toBeLessThanOrEqual(n.memoryBytes);
          expect(snap.cpuFree[i]).toBe(n.cpuMilli - cpu[i]!);
        });
        for (const [key, used] of gpu) {
          expect(used).toBeLessThanOrEqual(1000);
          const [n, k] = key.split('/').map(Number);
          expect(snap.gpuFree[snap.gpuStart[n!]! + k!]).toBe(1000 - used);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same result for the same seed', () => {
    fc.assert(
      fc.property(fc.array(arbNode, { minLength: 1, maxLength: 10 }), fc.array(arbGang, { maxLength: 20 }), fc.integer(), (nodes, gangs, seed) => {
        const { fleet, requests } = build(nodes, gangs);
        const a = run(policy, fleet, requests, seed).decisions;
        const b = run(policy, fleet, requests, seed).decisions;
        expect(b).toEqual(a);
      }),
      { numRuns: 30 },
    );
  });
});
