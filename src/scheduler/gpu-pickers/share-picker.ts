// Which GPU of the chosen node a GPU-sharing replica lands on. Whole-GPU replicas always take the
// lowest-index fully free GPUs and MIG replicas follow mig.ts, so only shares vary by policy.
import type { ReplicaShape } from '../request.js';
import type { Rng } from '../rng.js';
import type { Snapshot } from '../snapshot.js';

export interface SharePicker {
  readonly name: string;
  /** Global index of a GPU on node n with at least req.milliPerGpu free. */
  pick(snap: Snapshot, n: number, req: ReplicaShape, rng: Rng): number;
}
