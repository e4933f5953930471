// A filter removes nodes that cannot host a replica. It works on a whole candidate list at once
// (one call per filter per replica, a tight loop inside) rather than one call per node, which
// keeps the per-node cost to a few typed-array reads on fleets of tens of thousands of nodes.

import type { ReplicaShape } from '../request.js';
import type { Snapshot } from '../snapshot.js';
import type { RejectionReason } from '../types.js';

export interface Filter {
  readonly name: string;
  /** The reason recorded for every node this filter rejects. */
  readonly reason: RejectionReason;
  /**
   * Keeps, in order, the feasible nodes of nodes[0..count) at the front of `nodes` and returns
   * how many remain.
   */
  filter(snap: Snapshot, req: ReplicaShape, nodes: Int32Array, count: number): number;
}
