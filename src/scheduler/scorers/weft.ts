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
import type { ReplicaShape } from '../request.js';
import type { Snapshot } from '../snapshot.js';
import { fgdShareChoice, gradientScorer } from './fgd.js';
import type { Scorer } from './scorer.js';

/** Weight of the best-fit key: at most 0.001, well below one step of the integer score. */
const TIGHTNESS = 0.001;

/** Best share placement on node n: highest (integer score, tightness), first index on ties. */
export function weftShareChoice(measure: FragmentationMeasure, snap: Snapshot, n: number, req: ReplicaShape): { score: number; gpu: number } {
  return fgdShareChoice(measure, snap, n, req, TIGHTNESS);
}

export function weftScorer(measure: FragmentationMeasure): Scorer {
  return gradientScorer('weft', measure, TIGHTNESS);
}
