// What one placement took on its node, rebuilt from the gang's request: the NodeDelta the cycle
// assumed (chooseGpus in cycle.ts), so a simulator or a what-if can release a replica when it
// ends or is preempted. It starts from compileReplica, the very shape the cycle placed, so every
// rule that changes a request on the way in holds here too (a share under `dedicated` isolation
// takes one whole GPU; a MIG profile on a model the catalog lacks uses the generic geometry).
import { migMilli } from '../model/allocation-rules.js';
import { migRunMask } from '../model/gpu-catalog.js';
import { compileReplica, GPU_MIG, type ReplicaShape } from './request.js';
import type { NodeDelta, Snapshot } from './snapshot.js';
import type { GangRequest, ReplicaPlacement } from './types.js';

/**
 * The delta `schedule()` assumed for placement `p` of `gang`. Pass `shape` (compileReplica of the
 * same gang on the same snapshot) to avoid compiling it again for every replica.
 */
export function placementDelta(snap: Snapshot, gang: GangRequest, p: ReplicaPlacement, shape: ReplicaShape = compileReplica(snap, gang)): NodeDelta {
  const start = snap.gpuStart[p.node]!;
  let migMask = 0;
  if (shape.gpuKind === GPU_MIG && p.migStart !== undefined) {
    const width = shape.migGeometry?.[snap.model[p.node]!]?.width ?? 1;
    migMask = migRunMask(p.migStart, width);
  }
  return {
    cpuMilli: shape.cpuMilli,
    memoryBytes: shape.memoryBytes,
    gpus: p.gpus.map((i) => start + i),
    milliPerGpu: shape.milliPerGpu,
    migMask,
    ...(shape.migProfile !== null ? { migMilli: migMilli(shape.migProfile) } : {}),
    shapeClass: shape.shapeClass,
    // Tenant marks exactly as the cycle sets them, so a release clears them.
    tenant: shape.tenant,
    exclusive: shape.exclusive,
    allowSharing: shape.allowSharing,
  };
}
