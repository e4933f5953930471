// weft, our default policy: FGD's fragmentation gradient over a measure that also counts
// CPU-stranded GPU capacity, with a best-fit tie-break for GPU shares.
//
// Why. Two changes to FGD, each aimed at GPU capacity FGD leaves idle on the Alibaba trace
// (docs/benchmarks.md has the numbers):
//  1. GPUs stranded by CPU. FGD rates each typical pod alone, so it lets CPU-only pods and
//     CPU-heavy GPU pods drain a node's CPU while its GPUs are still idle; those GPUs then stay
//     idle whatever arrives. The measure (stranding.ts) adds λ × the idle milli-GPU that the
//     node's free CPU cannot feed at the typical CPU-per-GPU ratio, so the gradient steers both
//     CPU-only and GPU pods away from stranding.
//  2. Share placement among equals. FGD's integer score often rates several GPUs of a node the
//     same and then takes the lowest index, whatever that leaves behind. Among equal scores weft
//     takes the GPU the share fills most tightly, keeping larger holes for larger shares; the
//     node's score carries the same key, so nodes tied on the integer score are ranked by it too.
// Everything else is FGD's: the integer sigmoid score (whose ties hand many choices to the fixed
// tie-break order, which we measured to be worth keeping), lowest-index whole GPUs, and only the
// typical-pod distribution FGD is given — no per-trace constants, nothing about future arrivals.
import { weftGpu } from './gpu-pickers/weft-gpu.js';
import type { Policy } from './policy.js';
import { weftScorer } from './scorers/weft.js';
import { StrandingAwareFragmentation } from './stranding.js';
import type { TypicalPod } from './typical-pods.js';

export function weftPolicy(typical: readonly TypicalPod[]): Policy {
  const measure = new StrandingAwareFragmentation(typical);
  return {
    name: 'weft',
    scorers: [{ scorer: weftScorer(measure), weight: 1 }],
    sharePicker: weftGpu(measure),
    selection: 'max-score',
  };
}
