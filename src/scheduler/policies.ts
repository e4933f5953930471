// The policy catalogue. Each baseline is written from the FGD paper's experiment description
// (its simulator's score plugins), so our results can be compared with the published ones.
import { ValidationError } from '../model/errors.js';
import { FragmentationMeasure } from './fragmentation.js';
import { bestFitGpu } from './gpu-pickers/best-fit-gpu.js';
import { fgdGpu } from './gpu-pickers/fgd-gpu.js';
import { randomGpu } from './gpu-pickers/random-gpu.js';
import type { Policy } from './policy.js';
import { leastAllocated, mostAllocated } from './scorers/allocation-balance.js';
import { bestFit } from './scorers/best-fit.js';
import { dotProduct } from './scorers/dot-product.js';
import { fgdScorer } from './scorers/fgd.js';
import { gpuClustering } from './scorers/gpu-clustering.js';
import { gpuPacking } from './scorers/gpu-packing.js';
import { imageLocality } from './scorers/image-locality.js';
import type { TypicalPod } from './typical-pods.js';
import { weftPolicy } from './weft-policy.js';

export const POLICY_NAMES = ['random', 'spread', 'binpack', 'best-fit', 'dot-product', 'gpu-packing', 'gpu-clustering', 'fgd', 'weft'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicyOptions {
  /** The workload-shape distribution FGD and weft measure fragmentation against. */
  typicalPods?: readonly TypicalPod[];
  /** weft: the whole learned distribution of shapes (typicalPods(shapes, 1)), replayed to decide on the stranding term. */
  mix?: readonly TypicalPod[];
  /** weft: keep (true) or drop (false) the stranding term instead of deciding by replay (weft-policy.ts). */
  stranding?: boolean;
  /** weft, with `stranding`: weigh the measure's shares by share fill (share-fill.ts). */
  shareFill?: boolean;
  /**
   * Prefer, among equally good nodes, those that already hold the replica's image (a tie-break:
   * scorers/image-locality.ts). The live scheduler turns it on; the simulator's experiments do not.
   */
  imageLocality?: boolean;
}

function single(name: string, scorer: Policy['scorers'][number]['scorer']): Policy {
  return { name, scorers: [{ scorer, weight: 1 }], sharePicker: bestFitGpu, selection: 'max-score' };
}

function requireTypical(name: string, opts: PolicyOptions): readonly TypicalPod[] {
  if (!opts.typicalPods || opts.typicalPods.length === 0) {
    throw ValidationError.field('typicalPods', `policy ${name} needs the workload-shape distribution (typical pods)`);
  }
  return opts.typicalPods;
}

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

export function createPolicy(name: string, opts: PolicyOptions = {}): Policy {
  const policy = basePolicy(name, opts);
  return opts.imageLocality && policy.selection === 'max-score' ? { ...policy, tieBreak: imageLocality } : policy;
}

function basePolicy(name: string, opts: PolicyOptions): Policy {
  switch (name) {
    case 'random':
      return { name, scorers: [], sharePicker: randomGpu, selection: 'uniform' };
    case 'spread':
      return single(name, leastAllocated);
    case 'binpack':
      return single(name, mostAllocated);
    case 'best-fit':
      return single(name, bestFit);
    case 'dot-product':
      return single(name, dotProduct);
    case 'gpu-packing':
      return single(name, gpuPacking);
    case 'gpu-clustering':
      return single(name, gpuClustering);
    case 'fgd': {
      const measure = new FragmentationMeasure(requireTypical(name, opts));
      return { name, scorers: [{ scorer: fgdScorer(measure), weight: 1 }], sharePicker: fgdGpu(measure), selection: 'max-score' };
    }
    case 'weft':
      return weftPolicy(requireTypical(name, opts), { ...(opts.mix ? { mix: opts.mix } : {}), ...(opts.stranding !== undefined ? { stranding: opts.stranding, shareFill: opts.shareFill ?? false } : {}) });
    default:
      throw ValidationError.field('policy', `unknown policy "${name}" (known: ${POLICY_NAMES.join(', ')})`);
  }
}
