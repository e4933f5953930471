// A replica released with placementDelta must give back exactly what schedule() took: resources,
// shape counts and tenant marks, for every kind of request and isolation tier.
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { placementDelta } from './placement-delta.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { GangRequest } from './types.js';

/** Everything a placement can change, read through the snapshot's public fields and queries. */
function fingerprint(s: Snapshot): unknown {
  const probe = s.tenantId('probe');
  return {
    free: [s.cpuFree, s.memFree, s.gpuFree, s.fullFree].map((a) => Array.from(a)),
    mig: Array.from(s.migUsed),
    shapes: Array.from(s.shapeCounts),
    owners: Array.from({ length: s.nodeCount }, (_, n) => s.nodeOnlyTenant(n, probe) && !s.nodeExclusiveToOther(n, probe)),
    sharable: Array.from({ length: s.gpuTotal }, (_, g) => s.gpuShareAllowed(g, probe, false)),
  };
}

/** Places `gangs`, checks they all landed, then releases every replica again. */
function placeAndRelease(snap: Snapshot, gangs: GangRequest[]): void {
  const { decisions } = schedule(snap, gangs, { policy: createPolicy('best-fit'), explain: false }, 0, seededRng(3));
  snap.commit();
  expect(decisions.filter((d) => d.placed).map((d) => d.gangId).sort()).toEqual(gangs.map((g) => g.id).sort());
  for (const d of decisions) {
    const g = gangs.find((x) => x.id === d.gangId)!;
    for (const p of d.placements) snap.release(p.node, placementDelta(snap, g, p));
  }
}

describe('placementDelta', () => {
  it('gives back the whole GPU a share under dedicated isolation took', () => {
    const snap = new Snapshot([node('a', 2)]);
    const empty = fingerprint(snap);
    const shared = gang('s', { kind: 'share', milli: 250 }, { project: 'alpha', isolation: 'dedicated' });
    const { decisions } = schedule(snap, [shared], { policy: createPolicy('best-fit'), explain: false }, 0, seededRng(1));
    const p = decisions[0]!.placements[0]!;
    expect(snap.gpuFree[p.gpus[0]!]).toBe(0);
    const delta = placementDelta(snap, shared, p);
    expect(delta).toMatchObject({ milliPerGpu: 1000, gpus: [p.gpus[0]] });
    snap.release(p.node, delta);
    expect(fingerprint(snap)).toEqual(empty);
  });

  it('restores the snapshot for whole, shared, MIG, CPU-only and exclusive-node placements', () => {
    const snap = new Snapshot([
      node('a', 8),
      node('m', 2, { migGpus: [0, 1] }),
      // A model the catalog does not know: MIG uses the generic geometry.
      node('x', 1, { gpuModel: 'FUTURE-GPU', migGpus: [0] }),
      node('c', 0, { cpuMilli: 128_000 }),
    ]);
    const empty = fingerprint(snap);
    placeAndRelease(snap, [
      gang('whole', { kind: 'whole', count: 2 }, { project: 'p1', replicas: 2 }),
      gang('share', { kind: 'share', milli: 300 }, { project: 'p2', isolation: 'shared', allowSharing: false, replicas: 3 }),
      gang('full-share', { kind: 'share', milli: 1000 }, { project: 'p2' }),
      gang('dedicated', { kind: 'share', milli: 100 }, { project: 'p3', isolation: 'dedicated' }),
      gang('mig', { kind: 'mig', profile: '3g.40gb' }, { project: 'p1', replicas: 2, models: ['H100-80GB'] }),
      gang('mig-generic', { kind: 'mig', profile: '2g.20gb' }, { project: 'p1', models: ['FUTURE-GPU'] }),
      gang('cpu', { kind: 'none' }, { project: 'p4', isolation: 'exclusive-node', cpu: 100_000 }),
    ]);
    expect(fingerprint(snap)).toEqual(empty);
  });
});
