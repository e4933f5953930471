import { describe, expect, it } from 'vitest';
import { parseFleetYaml, parseWorkloadYaml } from './weft-yaml.js';

describe('Weft YAML fleet and workload', () => {
  it('expands node templates', () => {
    const nodes = parseFleetYaml(`
kind: Fleet
nodes:
  - { name: h100, count: 3, cpu: "96", memory: 1Ti, gpus: 8, gpuModel: H100-80GB, rack: r1 }
  - { name: cpu-box, cpu: 500m, memory: 2Gi }
`);
    expect(nodes.map((n) => n.name)).toEqual(['h100-0', 'h100-1', 'h100-2', 'cpu-box']);
    expect(nodes[0]).toMatchObject({ cpuMilli: 96_000, memoryBytes: 1024 ** 4, gpus: 8, gpuModel: 'H100-80GB', rack: 'r1' });
    expect(nodes[3]).toMatchObject({ cpuMilli: 500, gpus: 0 });
  });

  it('reads gangs with whole, share and MIG GPUs', () => {
    const pods = parseWorkloadYaml(`
kind: Workload
gangs:
  - { name: train, count: 2, replicas: 4, resources: { cpu: "32", memory: 256Gi, gpu: { count: 8 } }, topology: { within: rack, mode: required } }
  - { name: infer, resources: { cpu: "4", memory: 16Gi, gpu: { share: 0.25, models: [A10] } } }
  - { name: nb, resources: { cpu: "2", gpu: { mig: 1g.10gb } } }
`);
    expect(pods.map((p) => p.name)).toEqual(['train-0', 'train-1', 'infer', 'nb']);
    expect(pods[0]!.requestMilli).toBe(32_000);
    expect(pods[0]!.gang.topology).toEqual({ within: 'rack', mode: 'required' });
    expect(pods[2]!.gang.resources).toMatchObject({ gpu: { kind: 'share', milli: 250 }, gpuModels: ['A10'] });
    expect(pods[3]!.gang.resources.gpu).toEqual({ kind: 'mig', profile: '1g.10gb' });
  });

  it('rejects a malformed GPU request', () => {
    expect(() => parseWorkloadYaml('gangs:\n  - { name: x, resources: { gpu: { share: 2 } } }')).toThrow(/share/);
  });
});
