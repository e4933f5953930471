import { describe, expect, it } from 'vitest';
import { parseAlibabaNodes, parseAlibabaPods } from './alibaba.js';

describe('Alibaba trace loaders', () => {
  it('reads nodes', () => {
    const [n] = parseAlibabaNodes('sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0000,64000,262144,2,P100\n');
    expect(n).toEqual({ name: 'openb-node-0000', cpuMilli: 64000, memoryBytes: 262144 * 2 ** 20, gpus: 2, gpuModel: 'P100' });
  });

  it('classifies pods as CPU-only, share, whole and multi-GPU', () => {
    const csv = [
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec',
      'p0,8000,100,0,0,',
      'p1,3152,100,1,810,',
      'p2,11300,100,1,1000,V100M16|V100M32',
      'p3,88000,100,8,1000,',
    ].join('\n');
    const pods = parseAlibabaPods(csv);
    expect(pods.map((p) => p.gang.resources.gpu)).toEqual([
      { kind: 'none' },
      { kind: 'share', milli: 810 },
      { kind: 'whole', count: 1 },
      { kind: 'whole', count: 8 },
    ]);
    expect(pods.map((p) => p.requestMilli)).toEqual([0, 810, 1000, 8000]);
    expect(pods[2]!.gang.resources.gpuModels).toEqual(['V100M16', 'V100M32']);
  });

  it('names the row and column of bad input', () => {
    expect(() => parseAlibabaPods('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,x,1,0,0')).toThrow(/pod row 2: column cpu_milli/);
  });
});
