// `weft top` arithmetic: active allocations only; whole, shared and MIG GPUs in GPU equivalents
// (each allocated GPU's milli, as placement writes it: a 3g MIG instance weighs 428).
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { formatAmount, nodeUsage, projectUsage } from './usage.js';

const meta = (name: string, project?: string): Resource['metadata'] => ({ name, project, uid: name, resourceVersion: '1', generation: 1, creationTimestamp: '' });

const node: Resource = { apiVersion: 'weft/v1', kind: 'Node', metadata: meta('n1'), spec: { site: 's', cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB' })) }, status: { state: 'Ready' } };

function alloc(name: string, project: string, gpus: unknown[], phase = 'Running'): Resource {
  return { apiVersion: 'weft/v1', kind: 'Allocation', metadata: meta(name, project), spec: { node: 'n1', workload: { kind: 'Job', name, uid: name }, gpus, cpuMilli: 4000, memoryBytes: 1024 ** 3 }, status: { phase } };
}

describe('top', () => {
  const allocs = [
    alloc('whole', 'a', [0, 1].map((index) => ({ index, model: 'H100-80GB', milli: 1000 }))),
    alloc('share', 'a', [{ index: 2, model: 'H100-80GB', milli: 250 }]),
    alloc('mig', 'b', [{ index: 3, model: 'H100-80GB', milli: 428, mig: { profile: '3g.40gb', start: 0, size: 4 } }]),
    alloc('done', 'b', [{ index: 4, model: 'H100-80GB', milli: 1000 }], 'Succeeded'),
  ];

  it('sums active allocations per node', () => {
    const [u] = nodeUsage([node], allocs);
    expect(u).toMatchObject({ gpusTotal: 8, cpuUsedMilli: 12_000, cpuTotalMilli: 64_000, allocations: 3, state: 'Ready' });
    expect(formatAmount(u!.gpusUsed)).toBe('2.68');
  });

  it('sums per project and model against quota', () => {
    const project: Resource = { apiVersion: 'weft/v1', kind: 'Project', metadata: meta('a'), spec: { quota: { gpu: { 'H100-80GB': 16, 'A100-80GB': 8 } } } };
    expect(projectUsage([project], allocs)).toEqual([
      { project: 'a', model: 'A100-80GB', allocated: 0, quota: 8, workloads: 0 },
      { project: 'a', model: 'H100-80GB', allocated: 2.25, quota: 16, workloads: 2 },
      { project: 'b', model: 'H100-80GB', allocated: 0.428, workloads: 1 },
    ]);
  });
});
