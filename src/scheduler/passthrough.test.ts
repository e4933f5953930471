// GPU passthrough: a VM's whole GPUs go only to GPUs its node can pass through (the agent's IOMMU
// report), under every policy; the other GPUs still serve other workloads, and a VM no node can
// serve is told why, never offered preemption.
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy, POLICY_NAMES } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { GangRequest } from './types.js';
import { gpuPassthrough } from './filters/gpu-passthrough.js';

const GIB = 1024 ** 3;
const typical = [{ cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 1 }];
const node = (name: string, noPassthroughGpus?: number[]): NodeInput => ({ name, gpus: 4, cpuMilli: 64_000, memoryBytes: 256 * GIB, gpuModel: 'H100', ...(noPassthroughGpus ? { noPassthroughGpus } : {}) });
const vm = (id: string, count: number, passthrough = true): GangRequest => ({ id, replicas: 1, resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole', count } }, isolation: 'dedicated', ...(passthrough ? { passthrough } : {}) });

describe.each(POLICY_NAMES)('GPU passthrough under policy %s', (policyName) => {
  it('gives a VM only GPUs its node can pass through; a job may still take the others', () => {
    // n-a's GPUs 0 and 1 share an IOMMU group with a NIC; n-b cannot pass any through.
    const snap = new Snapshot([node('n-a', [0, 1]), node('n-b', [0, 1, 2, 3])]);
    const config = { policy: createPolicy(policyName, { typicalPods: typical }) };
    const { decisions } = schedule(snap, [vm('box', 2)], config, 0, seededRng(3));
    expect(decisions[0]!.placed).toBe(true);
    expect(decisions[0]!.placements[0]).toMatchObject({ nodeName: 'n-a', gpus: [2, 3] });
    const job = schedule(snap, [vm('job', 4, false)], config, 0, seededRng(3)).decisions[0]!;
    expect(job.placements[0]).toMatchObject({ nodeName: 'n-b' });
  });
});

describe('gpu-passthrough filter', () => {
  it('counts only free passable GPUs: a second VM waits while the passable ones are taken', () => {
    const snap = new Snapshot([node('n-a', [0, 1])]);
    const config = { policy: createPolicy('weft', { typicalPods: typical }) };
    expect(schedule(snap, [vm('one', 2)], config, 0, seededRng(1)).decisions[0]!.placed).toBe(true);
    const second = schedule(snap, [vm('two', 1)], config, 0, seededRng(1)).decisions[0]!;
    expect(second.placed).toBe(false);
    expect(second.unplaced[0]!.rejected).toEqual({ InsufficientGpu: 1 });
  });

  it('says why when no node can pass through enough GPUs, and that preemption cannot help', () => {
    const snap = new Snapshot([node('n-a', [0, 1, 2]), node('n-b', [0, 1, 2, 3])]);
    const [d] = schedule(snap, [vm('big', 2)], { policy: createPolicy('weft', { typicalPods: typical }) }, 0, seededRng(1)).decisions;
    expect(d!.placed).toBe(false);
    expect(d!.refused).toBe(true);
    expect(d!.explanation).toContain('asks 2 GPUs passed through to a VM; the most any node it may use can pass through is 1');
    expect(gpuPassthrough.resolvable).toBe(false);
  });
});
