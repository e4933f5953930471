// weft: FGD's fragmentation gradient with a CPU-stranding guard as the tie-breaker.
//
// Why this shape. On the Alibaba trace FGD's integer score ties often, and the random tie-break
// among near-equal nodes turned out to be worth keeping: every deterministic secondary key we
// measured over FGD ties for GPU requests (exact real-valued fragmentation change, best-fit,
// CPU/GPU balance) made results worse, the exact change by almost 6 pp, because it quietly
// prefers emptier nodes. What FGD does miss is CPU-only work: its fragmentation change barely
// moves when a CPU-only pod lands, so such pods go to a random tied node and, on CPU-heavy
// workloads, use up CPU that the node's idle GPUs needed. weft breaks those ties towards nodes
// that keep enough CPU for their idle GPUs, at the CPU-per-GPU ratio of the typical pods.
//
// The guard's weight (0.001 × 0–100) can never outweigh one step of the integer FGD score, so
// weft only reorders FGD's ties; it uses nothing but the typical-pod distribution FGD is given.
import { FragmentationMeasure } from './fragmentation.js';
import { fgdGpu } from './gpu-pickers/fgd-gpu.js';
import type { Policy } from './policy.js';
import { cpuHeadroom } from './scorers/cpu-headroom.js';
import { fgdScorer } from './scorers/fgd.js';
import type { TypicalPod } from './typical-pods.js';

/** Typical CPU per milli-GPU requested by GPU pods (0 when the workload has none). */
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

export function weftPolicy(typical: readonly TypicalPod[]): Policy {
  const measure = new FragmentationMeasure(typical);
  return {
    name: 'weft',
    scorers: [
      { scorer: fgdScorer(measure), weight: 1 },
      { scorer: cpuHeadroom(cpuPerMilliGpu(typical)), weight: 0.001 },
    ],
    sharePicker: fgdGpu(measure),
    selection: 'max-score',
  };
}
