// A policy is a named, weighted set of scorers plus the rule for choosing a GPU inside the node.
import type { SharePicker } from './gpu-pickers/share-picker.js';
import type { Scorer } from './scorers/scorer.js';

export interface WeightedScorer {
  readonly scorer: Scorer;
  readonly weight: number;
}

export interface Policy {
  readonly name: string;
  readonly scorers: readonly WeightedScorer[];
  readonly sharePicker: SharePicker;
  /**
   * 'max-score': the highest weighted total wins, ties going to the node with the smallest rank.
   * 'uniform': any feasible node, uniformly at random (the random baseline).
   */
  readonly selection: 'max-score' | 'uniform';
}

/** True when every scorer is node-local, so totals can be cached per node version. */
export function isCacheable(policy: Policy): boolean {
  return policy.selection === 'max-score' && policy.scorers.every((w) => w.scorer.nodeLocal);
}
