// A policy is a named, weighted set of scorers plus the rule for choosing a GPU inside the node.
import type { SharePicker } from './gpu-pickers/share-picker.js';
import type { ReplicaShape } from './request.js';
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
  /**
   * Decides only between nodes whose weighted totals are equal (then rank): a preference that must
   * never outweigh fit or fragmentation, such as holding the replica's image already.
   */
  readonly tieBreak?: Scorer;
}

/** The policy's tie-break when it has something to say about this request, else null. */
export function activeTieBreak(policy: Policy, req: ReplicaShape): Scorer | null {
  const t = policy.tieBreak;
  return t && policy.selection === 'max-score' && (t.appliesTo?.(req) ?? true) ? t : null;
}

/** True when every scorer is node-local, so totals can be cached per node version. */
export function isCacheable(policy: Policy): boolean {
  return policy.selection === 'max-score' && policy.scorers.every((w) => w.scorer.nodeLocal);
}
