// A scorer rates feasible nodes for one replica, 0 (worst) to 100 (best). Like filters it works
// on a candidate list at once. A policy is a weighted sum of scorers.

import type { ReplicaShape } from '../request.js';
import type { Rng } from '../rng.js';
import type { Snapshot } from '../snapshot.js';

export interface ScoreContext {
  readonly snap: Snapshot;
  readonly req: ReplicaShape;
  readonly rng: Rng;
}

export interface Scorer {
  readonly name: string;
  /**
   * True when a node's score depends only on that node's state and the request. The cycle then
   * caches it per (node version, request shape) and rescoring touches only changed nodes.
   */
  readonly nodeLocal: boolean;
  /** Writes the score of nodes[i] into out[i] for i < count. */
  score(ctx: ScoreContext, nodes: Int32Array, count: number, out: Float64Array): void;
  /** False when it would score every node alike for this request, so it need not run (absent: always runs). */
  appliesTo?(req: ReplicaShape): boolean;
}
