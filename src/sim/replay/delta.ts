// What a replica holds, for the replay's accounting. Releasing a replica uses the scheduler's own
// placementDelta (re-exported here), so it gives back exactly what the cycle took.
import { GPU_MILLI, heldMilli, replicaGpuMilli, type GangRequest, type NodeDelta } from '../../scheduler/index.js';

export { placementDelta } from '../../scheduler/index.js';

/** GPUs a replica holds: its GPU weight (model/allocation-rules.ts), as the live fleet counts it. */
export function heldGpus(d: NodeDelta): number {
  return heldMilli(d) / GPU_MILLI;
}

/** GPUs one replica asks for: its GPU weight (model/allocation-rules.ts), as heldGpus counts what it then holds. */
export function askedGpus(g: GangRequest): number {
  return replicaGpuMilli(g.resources) / GPU_MILLI;
}
