// Data residency as a property: for any random fleet spread over sites and any stream of gangs
// with a residency rule (possibly allowing no site at all), no placement, by any policy, lands
// outside the allowed sites, neither in a cycle nor in a preemption plan; and a gang kept out
// only by residency is told so.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy, POLICY_NAMES } from './policies.js';
import { findVictims, type RunningGang } from './preemption.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { GangRequest, GpuDemand } from './types.js';

const SITES = ['s0', 's1', 's2'];
const GIB = 1024 ** 3;

const arbNode = fc.record({
  gpus: fc.constantFrom(0, 2, 4, 8),
  cpu: fc.integer({ min: 8, max: 128 }),
  site: fc.constantFrom(...SITES),
  rack: fc.constantFrom('r1', 'r2'),
});

const arbGpu: fc.Arbitrary<GpuDemand> = fc.oneof(
  fc.constant<GpuDemand>({ kind: 'none' }),
  fc.integer({ min: 1, max: 8 }).map((count): GpuDemand => ({ kind: 'whole', count })),
  fc.integer({ min: 1, max: 999 }).map((milli): GpuDemand => ({ kind: 'share', milli })),
);

const arbGang = fc.record({
  gpu: arbGpu,
  cpu: fc.integer({ min: 0, max: 16_000 }),
  replicas: fc.integer({ min: 1, max: 4 }),
  residency: fc.option(fc.subarray(SITES), { nil: undefined }),
  sites: fc.option(fc.subarray(SITES, { minLength: 1 }), { nil: undefined }),
  topology: fc.constantFrom(undefined, { within: 'site' as const, mode: 'required' as const }, { within: 'rack' as const, mode: 'preferred' as const }),
  priority: fc.integer({ min: 0, max: 3 }),
});

const typical = [
  { cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.5 },
  { cpuMilli: 2000, gpuMilli: 300, gpuCount: 1, gpuModels: [], p: 0.5 },
];

type GangArb = typeof arbGang extends fc.Arbitrary<infer T> ? T : never;

function fleetOf(nodes: { gpus: number; cpu: number; site: string; rack: string }[]): NodeInput[] {
  return nodes.map((n, i) => ({ name: `n${i}`, gpus: n.gpus, cpuMilli: n.cpu * 1000, memoryBytes: 256 * GIB, gpuModel: n.gpus > 0 ? 'H100' : '', rack: `${n.site}-${n.rack}`, site: n.site }));
}

function request(g: GangArb, i: number): GangRequest {
  return {
    id: `g${i}`,
    replicas: g.replicas,
    submittedAt: i,
    priority: g.priority,
    resources: { cpuMilli: g.cpu, memoryBytes: GIB, gpu: g.gpu },
    ...(g.topology ? { topology: g.topology } : {}),
    ...(g.sites ? { sites: g.sites } : {}),
    ...(g.residency ? { residency: { sites: g.residency, rule: `project p${i}: sites ${g.residency.join(',')}` } } : {}),
  };
}

describe.each(POLICY_NAMES)('residency under policy %s', (policyName) => {
  it('never places a replica outside the residency sites', () => {
    fc.assert(
      fc.property(fc.array(arbNode, { minLength: 1, maxLength: 10 }), fc.array(arbGang, { maxLength: 20 }), fc.integer(), (nodes, gangs, seed) => {
        const fleet = fleetOf(nodes);
        const snap = new Snapshot(fleet);
        const config = { policy: createPolicy(policyName, { typicalPods: typical }) };
        const rng = seededRng(seed);
        const requests = gangs.map(request);
        const running: RunningGang[] = [];
        requests.forEach((req, i) => {
          const allowed = req.residency ? new Set(req.residency.sites) : null;
          const [d] = schedule(snap, [req], config, i, rng).decisions;
          for (const p of d!.placements) {
            if (allowed) expect(allowed.has(fleet[p.node]!.site!), `${req.id} on ${p.nodeName} (${fleet[p.node]!.site})`).toBe(true);
          }
          if (d!.placed) {
            snap.commit();
            running.push({ id: req.id, priority: req.priority ?? 0, startedAt: i, replicas: [] });
          } else {
            // A preemption plan must keep to the residency too.
            const plan = findVictims(snap, req, running, config, i, rng);
            for (const p of plan?.placement.placements ?? []) if (allowed) expect(allowed.has(fleet[p.node]!.site!)).toBe(true);
            if (allowed && d!.unplaced[0]?.rejected.OutsideResidency) expect(d!.explanation).toContain('data residency allows');
          }
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe('residency explanation', () => {
  it('says which rule keeps a gang out', () => {
    const snap = new Snapshot(fleetOf([{ gpus: 8, cpu: 64, site: 's1', rack: 'r1' }, { gpus: 8, cpu: 64, site: 's2', rack: 'r1' }]));
    const req: GangRequest = { id: 'g', replicas: 1, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole', count: 8 } }, residency: { sites: ['s0'], rule: 'data class restricted: countries DE' } };
    const [d] = schedule(snap, [req], { policy: createPolicy('weft', { typicalPods: typical }) }, 0, seededRng(1)).decisions;
    expect(d!.placed).toBe(false);
    expect(d!.unplaced[0]!.rejected).toEqual({ OutsideResidency: 2 });
    expect(d!.refused).toBe(true); // no node in s0 at all: nothing to wait for until one joins
    expect(d!.explanation).toBe('needs 8×GPU; can never fit this fleet: no node is in a site data residency allows; data residency allows only s0 (data class restricted: countries DE)');
  });
});
