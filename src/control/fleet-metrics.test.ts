import { describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { fleetGauges } from './fleet-metrics.js';
import { placementWait } from './queue-wait.js';

let rv = 1;
const meta = (name: string, project?: string) => ({
  name,
  ...(project ? { project } : {}),
  uid: `uid-${name}`,
  resourceVersion: String(rv++),
  generation: 1,
  creationTimestamp: '2026-11-24T10:00:00.000Z',
});

const node = (name: string, site: string, model: string, migEnabled = false): Resource => ({
  apiVersion: 'weft/v1',
  kind: 'Node',
  metadata: meta(name),
  spec: { site, cpu: '128', memory: '1Ti', gpus: Array.from({ length: 8 }, (_, index) => ({ index, model, ...(migEnabled ? { migEnabled } : {}) })) },
  status: { state: 'Ready' },
});

const alloc = (name: string, project: string, nodeName: string, gpus: unknown[], isolation: string, phase = 'Running'): Resource => ({
  apiVersion: 'weft/v1',
  kind: 'Allocation',
  metadata: meta(name, project),
  spec: { workload: { kind: 'Job', name, uid: `w-${name}` }, replica: 0, attempt: 0, node: nodeName, gpus, cpuMilli: 8000, memoryBytes: 2 ** 34, isolation },
  status: { phase },
});

const job = (name: string, project: string, phase: string | undefined, queue?: string): Resource => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: meta(name, project),
  spec: { replicas: 1, resources: {}, ...(queue ? { queue } : {}) },
  ...(phase ? { status: { phase } } : {}),
});

describe('fleetGauges', () => {
  const nodes = [node('h1', 'eu-fra-1', 'H100-80GB'), node('a1', 'eu-par-1', 'A100-80GB', true)];
  const allocs = [
    alloc('train', 'vision', 'h1', [0, 1, 2, 3].map((index) => ({ index, model: 'H100-80GB', milli: 1000 })), 'dedicated'),
    alloc('notebook', 'nlp', 'h1', [{ index: 4, model: 'H100-80GB', milli: 500 }], 'shared'),
    alloc('infer', 'nlp', 'a1', [{ index: 0, model: 'A100-80GB', milli: 429, mig: { profile: '3g.40gb', start: 0, size: 4 } }], 'mig'),
    // A 7g instance spans all 8 memory slices and is exactly one GPU.
    alloc('big', 'nlp', 'a1', [{ index: 1, model: 'A100-80GB', milli: 1000, mig: { profile: '7g.80gb', start: 0, size: 8 } }], 'mig'),
    alloc('done', 'nlp', 'h1', [{ index: 7, model: 'H100-80GB', milli: 1000 }], 'dedicated', 'Succeeded'),
  ];
  const workloads = [job('a', 'vision', undefined, 'team-a'), job('b', 'vision', 'Pending', 'team-a'), job('c', 'nlp', 'Running', 'team-a'), job('d', 'nlp', 'Pending')];
  const g = fleetGauges(nodes, allocs, workloads);

  it('counts GPUs by model and site, shares and MIG slices as fractions, terminal allocations not at all', () => {
    const h100 = g.gpus.find((c) => c.model === 'H100-80GB')!;
    expect(h100).toEqual({ model: 'H100-80GB', site: 'eu-fra-1', total: 8, allocated: 4.5, free: 3.5 });
    const a100 = g.gpus.find((c) => c.model === 'A100-80GB')!;
    expect(a100).toEqual({ model: 'A100-80GB', site: 'eu-par-1', total: 8, allocated: 1.429, free: 6.571 });
    expect(g.allocationRatio).toBeCloseTo((4.5 + 1.429) / 16, 6);
  });

  it('splits allocated GPUs by isolation tier and by project', () => {
    const tiers = Object.fromEntries(g.allocatedByTier.map((t) => [t.tier, t.gpus]));
    expect(tiers).toEqual({ dedicated: 4, shared: 0.5, mig: 1.429 });
    const vision = g.projectGpus.filter((p) => p.project === 'vision');
    expect(vision).toEqual([{ project: 'vision', model: 'H100-80GB', gpus: 4 }]);
  });

  it('counts pending workloads per queue and workloads per phase', () => {
    expect(Object.fromEntries(g.queueDepth.map((q) => [q.queue, q.pending]))).toEqual({ 'team-a': 2, '': 1 });
    expect(g.workloadPhases.find((p) => p.phase === 'Running')?.count).toBe(1);
    expect(g.workloadPhases.find((p) => p.phase === 'Pending')?.count).toBe(3);
  });

  it('reports fragmentation as a share of the free capacity', () => {
    expect(g.fragmentedGpus).toBeGreaterThan(0); // the half-used GPU cannot take a 4-GPU or whole-GPU job
    expect(g.fragmentationRatio).toBeGreaterThan(0);
    expect(g.fragmentationRatio).toBeLessThanOrEqual(1);
    expect(fleetGauges(nodes, [], []).fragmentedGpus).toBe(0);
  });
});

describe('placementWait', () => {
  const w = (status: Record<string, unknown> | undefined): Resource => ({ ...job('x', 'p', undefined), ...(status ? { status } : {}) });
  it('measures the first placement from creation and later ones from pendingSince', () => {
    expect(placementWait(w(undefined), w({ admittedTime: '2026-11-24T10:00:30.000Z' }))).toBe(30);
    expect(placementWait(w({ admittedTime: '2026-11-24T10:00:30.000Z' }), w({ admittedTime: '2026-11-24T10:05:00.000Z', pendingSince: '2026-11-24T10:04:00.000Z' }))).toBe(60);
  });
  it('ignores updates that are not a new placement, and requeues whose start is unknown', () => {
    const placed = w({ admittedTime: '2026-11-24T10:00:30.000Z' });
    expect(placementWait(placed, placed)).toBeUndefined();
    expect(placementWait(placed, w({ admittedTime: '2026-11-24T10:09:00.000Z' }))).toBeUndefined();
    expect(placementWait(undefined, w({}))).toBeUndefined();
  });
});
