import { describe, expect, it } from 'vitest';
import { gpuModelOf, inPartitions, nodeSpecOf, nodeStateOf, parseGresGpus, weftNodeName } from './nodes.js';
import type { SlurmNode } from './rest.js';

const node = (over: Partial<SlurmNode> = {}): SlurmNode => ({ name: 'gpu001', state: 'idle', cpus: 64, real_memory: 512000, gres: 'gpu:h100:8', partitions: ['gpu'], ...over });

describe('a Slurm node as a Weft Node', () => {
  it('reads GPUs from GRES, typed or not, with socket affinity and other GRES around them', () => {
    expect(parseGresGpus('gpu:h100:8(S:0-1)')).toEqual([{ type: 'h100', count: 8 }]);
    expect(parseGresGpus('gpu:4,nic:2')).toEqual([{ type: undefined, count: 4 }]);
    expect(parseGresGpus('gpu:a100:2(S:0),gpu:l4:1(S:1)')).toEqual([{ type: 'a100', count: 2 }, { type: 'l4', count: 1 }]);
    expect(parseGresGpus('(null)')).toEqual([]);
  });

  it('names the GPU model from the catalog when the GRES type says which, and keeps an unknown one', () => {
    expect(gpuModelOf('h100')).toBe('H100-80GB');
    expect(gpuModelOf('H200-141GB')).toBe('H200-141GB');
    expect(gpuModelOf('a100')).toBe('A100'); // 40 GB or 80 GB: Slurm does not say
    expect(gpuModelOf(undefined)).toBe('GPU');
  });

  it('maps Slurm states: allocated and mixed are Ready, drain is Cordoned, down or not responding NotReady', () => {
    expect(nodeStateOf({ state: 'mixed' })).toBe('Ready');
    expect(nodeStateOf({ state: 'allocated' })).toBe('Ready');
    expect(nodeStateOf({ state: 'idle', state_flags: ['DRAIN'] })).toBe('Cordoned');
    expect(nodeStateOf({ state: 'mixed', state_flags: ['DRAIN'] })).toBe('Cordoned');
    expect(nodeStateOf({ state: 'down' })).toBe('NotReady');
    expect(nodeStateOf({ state: 'idle', state_flags: ['NOT_RESPONDING'] })).toBe('NotReady');
  });

  it('builds the spec: CPUs, memory in MiB, GPUs indexed across GRES entries, the cluster site', () => {
    const spec = nodeSpecOf(node({ gres: 'gpu:h100:2,gpu:l4:1' }), 'eu-fra-1');
    expect(spec).toEqual({
      site: 'eu-fra-1',
      cpu: '64',
      memory: '512000Mi',
      provider: 'slurm',
      gpus: [
        { index: 0, model: 'H100-80GB' },
        { index: 1, model: 'H100-80GB' },
        { index: 2, model: 'L4-24GB' },
      ],
    });
  });

  it('keeps names valid and distinct per cluster, and only the partitions Weft may use', () => {
    expect(weftNodeName('hpc', 'GPU_001')).toBe('hpc-gpu-001');
    expect(inPartitions(node({ partitions: ['debug'] }), ['gpu'])).toBe(false);
    expect(inPartitions(node(), ['gpu'])).toBe(true);
    expect(inPartitions(node({ partitions: ['debug'] }), undefined)).toBe(true);
  });
});
