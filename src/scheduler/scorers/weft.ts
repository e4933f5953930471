// weft's scorer: FGD's integer gradient score, taken over the stranding-aware measure
// (stranding.ts), and for GPU shares a best-fit tie-break among the node's equally good GPUs.
//
// The integer score is kept on purpose: it makes many nodes tie, and the fixed tie-break order
// among them is worth more than any finer real-valued preference we measured (those drift
// towards spreading or over-packing). The best-fit key never outweighs one integer step; it only
// decides between GPUs — and so between nodes — whose fragmentation score is the same, by
// leaving the least capacity behind on the GPU used: a share that fills a GPU tightly keeps
// larger holes for larger shares.
import type { FragmentationMeasure } from '../fragmentation.js';
import { GPU_SHARE, type ReplicaShape } from '../request.js';
import type { Snapshot } from '../snapshot.js';
import { fgdScoreOf } from './fgd.js';
import type { Scorer, ScoreContext } from './scorer.js';

/** Weight of the best-fit key: at most 0.001, well below one step of the integer score. */
const TIGHTNESS = 0.001;

/**
 * Best share placement on node n: the GPU with the highest (integer score, tightness), first
 * index on ties. score = integer score + TIGHTNESS × (1 − leftover / 1000), so comparing scores
 * compares the pair lexicographically.
 */
export function weftShareChoice(measure: FragmentationMeasure, snap: Snapshot, n: number, req: ReplicaShape): { score: number; gpu: number } {
  const before = measure.nodeFrag(snap, n);
  const milli = req.milliPerGpu;
  let bestScore = -1;
  let bestGpu = -1;
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
    const free = snap.gpuFree[g]!;
    if (free < milli) continue;
    // GPUs with equal free milli give the same after-state; the first one already won ties.
    let seen = false;
    for (let h = snap.gpuStart[n]!; h < g; h++) if (snap.gpuFree[h] === free) seen = true;
    if (seen) continue;
    const gradient = fgdScoreOf(before - measure.fragAfterShare(snap, n, req.cpuMilli, g, milli));
    const score = gradient + TIGHTNESS * (1 - (free - milli) / 1000);
    if (score > bestScore) {
      bestScore = score;
      bestGpu = g;
    }
  }
  return { score: bestScore, gpu: bestGpu };
}

export function weftScorer(measure: FragmentationMeasure): Scorer {
  return {
    name: 'weft',
    nodeLocal: true,
    score({ snap, req }: ScoreContext, nodes, count, out) {
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        if (req.gpuKind === GPU_SHARE) {
          out[i] = weftShareChoice(measure, snap, n, req).score;
        } else {
          // CPU-only, whole-GPU and MIG: the emptiest-that-fit GPUs, as FGD measures them.
          const before = measure.nodeFrag(snap, n);
          out[i] = fgdScoreOf(before - measure.fragAfterWhole(snap, n, req.cpuMilli, req.gpuCount, req.milliPerGpu));
        }
      }
    },
  };
}
