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

/**
 * Best (score, GPU) for a share request on node n: the GPU with the highest gradient score, first
 * index on ties. A positive `tightness` (below 1, so it never outweighs one integer step) adds a
 * best-fit key: tightness × (1 − leftover / 1000), so comparing scores compares the pair
 * (integer score, fill) lexicographically. FGD uses 0.
 */
export function fgdShareChoice(
  measure: FragmentationMeasure,
  snap: Snapshot,
  n: number,
  req: ReplicaShape,
  tightness = 0,
): { score: number; gpu: number } {
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
    const gradient = fgdScoreOf(before - measure.fragAfterShare(snap, n, req.cpuMilli, g, milli));
    const s = tightness === 0 ? gradient : gradient + tightness * (1 - (free - milli) / 1000);
    if (s > bestScore) {
      bestScore = s;
      bestGpu = g;
    }
  }
  return { score: bestScore, gpu: bestGpu };
}

/** FGD's scorer over `measure`; weft reuses it with its own measure and a share tightness. */
export function gradientScorer(name: string, measure: FragmentationMeasure, shareTightness = 0): Scorer {
  return {
    name,
    nodeLocal: true,
    score({ snap, req }: ScoreContext, nodes, count, out) {
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        if (req.gpuKind === GPU_SHARE) {
          out[i] = fgdShareChoice(measure, snap, n, req, shareTightness).score;
        } else {
          // CPU-only, whole-GPU and MIG: the emptiest-that-fit GPUs, as FGD measures them.
          const before = measure.nodeFrag(snap, n);
          out[i] = fgdScoreOf(before - measure.fragAfterWhole(snap, n, req.cpuMilli, req.gpuCount, req.milliPerGpu));
        }
      }
    },
  };
}

export function fgdScorer(measure: FragmentationMeasure): Scorer {
  return gradientScorer('fgd', measure);
}
