// FGD's fragmentation measure plus CPU-stranded GPU capacity: the measure weft places against.
//
// FGD counts idle GPU capacity as fragment when a typical pod cannot use it, but it judges each
// typical pod alone, so a node whose free CPU has run low looks fine as long as the smallest GPU
// pod still fits once. In the trace, GPU pods bring CPU roughly in proportion to their GPU
// request; a node whose free CPU cannot feed its idle GPUs at that ratio will end the fill with
// those GPUs idle, whichever pods arrive. We count that capacity as fragment too:
//
//   F(n) = FGD(n) + λ · max(0, idle(n) − freeCpu(n) / κ)
//
// κ is the expected milli-CPU per milli-GPU of a typical GPU pod, taken from the same typical-pod
// distribution FGD is given; λ weighs a stranded milli-GPU against an FGD fragment milli-GPU.
// The extra term moves the gradient for CPU-only pods too (which FGD's measure hardly sees), so
// they go where they strand the least GPU capacity.
import { FragmentationMeasure } from './fragmentation.js';
import type { TypicalPod } from './typical-pods.js';

/**
 * λ: weight of a stranded milli-GPU. Not sensitive: with λ = 1, 2 or 4 weft leaves 10.3–10.7%
 * fewer GPUs unallocated than FGD on the trace (docs/benchmarks.md).
 */
export const STRANDING_WEIGHT = 2;

/** κ: expected milli-CPU per milli-GPU of a typical GPU pod; 0 when the workload has none. */
export function cpuPerMilliGpu(typical: readonly TypicalPod[]): number {
  let cpu = 0;
  let gpu = 0;
  for (const m of typical) {
    if (m.gpuCount === 0) continue;
    cpu += m.p * m.cpuMilli;
    gpu += m.p * m.gpuCount * m.gpuMilli;
  }
  return gpu > 0 ? cpu / gpu : 0;
}

export class StrandingAwareFragmentation extends FragmentationMeasure {
  /** κ; with no CPU per GPU there is nothing to strand and the measure is FGD's. */
  readonly cpuPerMilliGpu: number;

  constructor(
    typical: readonly TypicalPod[],
    readonly weight = STRANDING_WEIGHT,
  ) {
    super(typical);
    this.cpuPerMilliGpu = cpuPerMilliGpu(typical);
  }

  protected override extraFragment(cpu: number, g: Int32Array, count: number, fgd: number): number {
    if (this.cpuPerMilliGpu <= 0) return fgd;
    let idle = 0;
    for (let j = 0; j < count; j++) idle += g[j]!;
    return fgd + this.weight * Math.max(0, idle - cpu / this.cpuPerMilliGpu);
  }
}
