// Volumes: a gang whose replicas mount data lands only on nodes that hold all of it (a hostPath
// volume's nodes, or any node of a shared volume's sites), under every policy, and a gang kept
// out by its volumes is told so and never offered preemption.
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy, POLICY_NAMES } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { GangRequest } from './types.js';
import { volumes } from './filters/volumes.js';

const GIB = 1024 ** 3;
const typical = [{ cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 1 }];
const fleet: NodeInput[] = ['a', 'b', 'c', 'd'].map((s, i) => ({ name: `n-${s}`, gpus: 8, cpuMilli: 64_000, memoryBytes: 256 * GIB, gpuModel: 'H100', rack: 'r', site: i < 2 ? 'east' : 'west' }));
const gang = (id: string, vols: GangRequest['volumes'], replicas = 1): GangRequest => ({ id, replicas, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole', count: 1 } }, ...(vols ? { volumes: vols } : {}) });

describe.each(POLICY_NAMES)('volumes under policy %s', (policyName) => {
  it('places replicas only where every volume they mount is', () => {
    const snap = new Snapshot(fleet);
    const config = { policy: createPolicy(policyName, { typicalPods: typical }) };
    const cache = { name: 'cache', nodes: ['n-b', 'n-c'], sites: null };
    const dataset = { name: 'imagenet', nodes: null, sites: ['west'] };
    const { decisions } = schedule(snap, [gang('both', [cache, dataset], 3)], config, 0, seededRng(7));
    expect(decisions[0]!.placed).toBe(true);
    expect(new Set(decisions[0]!.placements.map((p) => p.nodeName))).toEqual(new Set(['n-c']));
  });
});

describe('volumes filter', () => {
  it('says which volumes keep a gang out, and that preemption cannot help', () => {
    const snap = new Snapshot(fleet);
    const [d] = schedule(snap, [gang('nowhere', [{ name: 'cache', nodes: ['n-a'], sites: null }, { name: 'imagenet', nodes: null, sites: ['west'] }])], { policy: createPolicy('weft', { typicalPods: typical }) }, 0, seededRng(1)).decisions;
    expect(d!.placed).toBe(false);
    expect(d!.unplaced[0]!.rejected).toEqual({ VolumeNotOnNode: 4 });
    expect(d!.explanation).toBe('needs 1×GPU; 0/4 nodes fit (4 without its volumes)');
    expect(volumes.resolvable).toBe(false);
  });

  it('a volume that is nowhere (deleted) keeps the gang out; no volumes means no restriction', () => {
    const snap = new Snapshot(fleet);
    const config = { policy: createPolicy('weft', { typicalPods: typical }) };
    expect(schedule(snap, [gang('gone', [{ name: 'old', nodes: null, sites: [] }])], config, 0, seededRng(1)).decisions[0]!.placed).toBe(false);
    expect(schedule(snap, [gang('free', undefined, 4)], config, 0, seededRng(1)).decisions[0]!.placed).toBe(true);
  });
});
