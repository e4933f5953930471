// The forward half of the what-if: a gang that does not fit now starts when the allocations
// blocking it are expected to end, on the nodes they free, after pending work ahead of it.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { demoFleet } from '../../providers/sim/demo-fleet.js';
import { createPolicy, type GangRequest } from '../../scheduler/index.js';
import { FleetView } from '../fleet-view.js';
import { simulateForward, type Holding } from './forward.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const policy = createPolicy('best-fit');

function nodes(h100: number): Resource[] {
  return demoFleet({ h100Nodes: h100, a100MigNodes: 0, racksPerSite: 1 })
    .filter((o) => o.kind === 'Node')
    .map((o) => ({ ...o, apiVersion: 'weft/v1', metadata: { ...o.metadata, uid: o.metadata.name, resourceVersion: '1', generation: 1, creationTimestamp: '' }, status: { state: 'Ready' } }) as Resource);
}

function alloc(node: string): Resource {
  return {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: `x-${node}`, project: 'p', uid: `u-${node}`, resourceVersion: '2', generation: 1, creationTimestamp: '' },
    spec: { workload: { kind: 'Job', name: `x-${node}`, uid: `w-${node}` }, replica: 0, attempt: 0, node, gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB', milli: 1000 })), cpuMilli: 1000, memoryBytes: 0 },
    status: { phase: 'Running' },
  } as Resource;
}

const gang: GangRequest = { id: 'Job/p/big', resources: { cpuMilli: 1000, memoryBytes: 0, gpu: { kind: 'whole', count: 8 } }, replicas: 2, minAvailable: 2, submittedAt: NOW };

/** Every node fully held, the i-th until NOW + ends[i] (null: no known end). */
function setup(ends: (number | null)[]): { fleet: FleetView; holdings: Holding[] } {
  const fleet = new FleetView();
  const ns = nodes(ends.length);
  for (const n of ns) fleet.applyNode('ADDED', n);
  const holdings = ends.map((e, i): Holding => {
    const a = alloc(ns[i]!.metadata.name);
    fleet.applyAllocation('ADDED', a);
    return { ...fleet.replicaOf(a)!, endsAt: e === null ? null : NOW + e, owner: `Job/p/${a.metadata.name}` };
  });
  return { fleet, holdings };
}

describe('what-if: simulate forward', () => {
  it('starts when the second of two blocking allocations ends, and leaves the snapshot as it was', () => {
    const { fleet, holdings } = setup([60_000, 600_000, 120_000]);
    const snap = fleet.snapshot();
    const before = Array.from(snap.gpuFree);
    const r = simulateForward({ snap, holdings, queued: [], target: gang, now: NOW, policy });
    expect(r.startsAt).toBe(NOW + 120_000);
    expect(r.placements.map((p) => p.nodeName).sort()).toEqual(['fra1-h100-01', 'par1-h100-01']);
    expect(r.waitedFor.sort()).toEqual(['Job/p/x-fra1-h100-01', 'Job/p/x-par1-h100-01']);
    expect(Array.from(snap.gpuFree)).toEqual(before);
  });

  it('says so when nothing with a known end frees enough', () => {
    const { fleet, holdings } = setup([null, null, 60_000]);
    const r = simulateForward({ snap: fleet.snapshot(), holdings, queued: [], target: gang, now: NOW, policy });
    expect(r.startsAt).toBeNull();
    expect(r.lastReason).toBeTruthy();
  });

  it('places higher-priority pending work first', () => {
    const { fleet, holdings } = setup([60_000, 60_000, 60_000, 300_000]);
    const ahead = { gang: { ...gang, id: 'Job/p/urgent', priority: 10 }, durationMs: 600_000, owner: 'Job/p/urgent' };
    const r = simulateForward({ snap: fleet.snapshot(), holdings, queued: [ahead], target: gang, now: NOW, policy });
    expect(r.placedAhead).toEqual(['Job/p/urgent']);
    expect(r.startsAt).toBe(NOW + 300_000);
  });
});
