// Small builders shared by the scheduler's tests.
import type { NodeInput } from '../snapshot.js';
import type { GangRequest, GpuDemand } from '../types.js';

const GIB = 1024 ** 3;

export function node(name: string, gpus: number, opts: Partial<NodeInput> = {}): NodeInput {
  return { name, cpuMilli: 64_000, memoryBytes: 256 * GIB, gpus, gpuModel: gpus > 0 ? 'H100-80GB' : '', ...opts };
}

export function gang(id: string, gpu: GpuDemand, opts: Partial<GangRequest> & { cpu?: number; memGiB?: number; models?: string[] } = {}): GangRequest {
  const { cpu, memGiB, models, ...rest } = opts;
  return {
    id,
    replicas: 1,
    resources: { cpuMilli: cpu ?? 1000, memoryBytes: (memGiB ?? 1) * GIB, gpu, gpuModels: models },
    ...rest,
  };
}
