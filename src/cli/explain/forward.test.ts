// The what-if behind `weft explain`: a gang that does not fit now starts when the allocations
// blocking it are expected to end, on the nodes they free.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { demoFleet } from '../../providers/sim/demo-fleet.js';
import type { GangRequest } from '../../scheduler/types.js';
import { simulateForward, type Holding } from './forward.js';
import { allocationDelta, buildSnapshot } from './snapshot.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function nodes(h100: number): Resource[] {
  return demoFleet({ h100Nodes: h100, a100MigNodes: 0, racksPerSite: 1 })
    .filter((o) => o.kind === 'Node')
    .map((o) => ({ ...o, apiVersion: 'weft/v1', metadata: { ...o.metadata, uid: o.metadata.name, resourceVersion: '1', generation: 1, creationTimestamp: '' }, status: { state: 'Ready' } }) as Resource);
}

function alloc(node: string, endsInMs: number | null): { a: Resource; endsAt: number | null } {
  const a = {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: `x-${node}`, project: 'p', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '' },
    spec: { node, gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB', milli: 1000 })), cpuMilli: 1000, memoryBytes: 0 },
  } as Resource;
  return { a, endsAt: endsInMs === null ? null : NOW + endsInMs };
}

const gang: GangRequest = { id: 'Job/p/big', resources: { cpuMilli: 1000, memoryBytes: 0, gpu: { kind: 'whole', count: 8 } }, replicas: 2, minAvailable: 2, submittedAt: NOW };

function setup(ends: (number | null)[]): { live: ReturnType<typeof buildSnapshot>; holdings: Holding[] } {
  const fleet = nodes(ends.length);
  const live = buildSnapshot(fleet);
  const holdings: Holding[] = ends.map((e, i) => {
    const { a, endsAt } = alloc(fleet[i]!.metadata.name, e);
    const d = allocationDelta(live, a)!;
    live.snap.assume(d.node, d.delta);
    return { ...d, endsAt, label: a.metadata.name };
  });
  live.snap.commit();
  return { live, holdings };
}

describe('explain: simulate forward', () => {
  it('starts when the second of two blocking allocations ends', () => {
    const { live, holdings } = setup([60_000, 600_000, 120_000]);
    const r = simulateForward(live, holdings, [], gang, NOW);
    expect(r.startsAt).toBe(NOW + 120_000);
    expect(r.placements.map((p) => p.nodeName).sort()).toEqual(['fra1-h100-01', 'par1-h100-01']);
  });

  it('says so when nothing with a known end frees enough', () => {
    const { live, holdings } = setup([null, null, 60_000]);
    const r = simulateForward(live, holdings, [], gang, NOW);
    expect(r.startsAt).toBeNull();
    expect(r.lastReason).toBeTruthy();
  });

  it('places higher-priority pending work first', () => {
    const { live, holdings } = setup([60_000, 60_000, 60_000, 300_000]);
    const ahead = { gang: { ...gang, id: 'Job/p/urgent', priority: 10 }, durationMs: 600_000, label: 'job/urgent' };
    const r = simulateForward(live, holdings, [ahead], gang, NOW);
    expect(r.placedAhead).toEqual(['job/urgent']);
    expect(r.startsAt).toBe(NOW + 300_000);
  });
});
