// FGD: place where the fleet's expected fragmentation grows least (or shrinks most). The score is
// the sigmoid of the fragmentation decrease, truncated to an integer exactly as in the paper's
// simulator — which makes ties common and hands many decisions to the tie-break order.
import type { FragmentationMeasure } from '../fragmentation.js';
import { GPU_SHARE, type ReplicaShape } from '../request.js';
import type { Snapshot } from '../snapshot.js';
import type { Scorer, ScoreContext } from './scorer.js';

export function fgdScoreOf(deltaMilli: number): number {
  return Math.floor(100 / (1 + Math.exp(-deltaMilli / 1000)));
}

/** Best (score, GPU) for a share request on node n: the first GPU with the highest score. */
export function fgdShareChoice(measure: FragmentationMeasure, snap: Snapshot, n: number, req: ReplicaShape): { score: number; gpu: number } {
  const before = measure.nodeFrag(snap, n);
  let bestScore = -1;
  let bestGpu = -1;
  const milli = req.milliPerGpu;
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
    const free = snap.gpuFree[g]!;
    if (free < milli) continue;
    // GPUs with equal free milli give the same after-state; the first one already won ties.
    let seen = false;
    for (let h = snap.gpuStart[n]!; h < g; h++) if (snap.gpuFree[h] === free) seen = true;
    if (seen) continue;
    const s = fgdScoreOf(before - measure.fragAfterShare(snap, n, req.cpuMilli, g, milli));
    if (s > bestScore) {
      bestScore = s;
      bestGpu = g;
    }
  }
  return { score: bestScore, gpu: bestGpu };
}

export function fgdScorer(measure: FragmentationMeasure): Scorer {
  return {
    name: 'fgd',
    nodeLocal: true,
    score({ snap, req }: ScoreContext, nodes, count, out) {
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        if (req.gpuKind === GPU_SHARE) {
          out[i] = fgdShareChoice(measure, snap, n, req).score;
        } else {
          const before = measure.nodeFrag(snap, n);
          out[i] = fgdScoreOf(before - measure.fragAfterWhole(snap, n, req.cpuMilli, req.gpuCount, req.milliPerGpu));
        }
      }
    },
  };
}
