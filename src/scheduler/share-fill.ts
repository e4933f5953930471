// Share-fill weighting: a view of the typical-pod distribution for the fragmentation measure in
// which each GPU-share shape counts in proportion to how likely the hole it leaves is filled.
//
// Why. FGD weighs each typical pod by how often it arrives, so a GPU with 530 milli free is
// fragment for every share larger than 530, in proportion to those shares' frequency. On a mix of
// shares only, the most frequent share (0.81 GPU in the Alibaba trace) is also the worst packer:
// it leaves 190 milli that only rare tiny shares can use. Protecting room for it keeps whole GPUs
// free until it arrives, and every GPU it opens ends at ~81%. When arrivals outnumber the fleet,
// the GPUs it does not get go to shares that pair well (0.47 + 0.47, 0.65 + 0.32), and those end
// at ~94–97%. So here a share's weight is multiplied by the chance that a share drawn from the mix
// fits beside it on its GPU (Alibaba's typical shares: 0.81, 2%; 0.47, 51%), and the weights
// renormalised; whole-GPU and CPU-only shapes keep their weight. Whether this pays depends on the
// mix (it loses where whole-GPU tasks compete for the same GPUs), so weft keeps it only where its
// replay of the mix shows a gain (weft-calibration.ts).
import type { TypicalPod } from './typical-pods.js';

const isShare = (m: TypicalPod) => m.gpuCount === 1 && m.gpuMilli > 0 && m.gpuMilli < 1000;

/** The typical pods with share shapes reweighted by the chance their hole is filled; unchanged without shares. */
export function shareFillWeighted(typical: readonly TypicalPod[]): TypicalPod[] {
  const shares = typical.filter(isShare);
  const total = shares.reduce((s, m) => s + m.p, 0);
  if (total <= 0) return [...typical];
  const weighted = typical.map((m) => {
    if (!isShare(m)) return m;
    let fits = 0;
    for (const o of shares) if (o.gpuMilli <= 1000 - m.gpuMilli) fits += o.p;
    return { ...m, p: (m.p * fits) / total };
  });
  const sum = weighted.reduce((s, m) => s + m.p, 0);
  return sum > 0 ? weighted.map((m) => ({ ...m, p: m.p / sum })) : [...typical];
}

/** Whether the weighting changes anything: the mix has a share whose hole some share fits. */
export function hasShares(typical: readonly TypicalPod[]): boolean {
  return typical.some(isShare);
}
