// Turns a placement the scheduler returned back into exactly what it took on the snapshot, so a
// replica can be released when it finishes or is preempted.
import { migProfileOn } from '../../model/gpu-catalog.js';
import { GPU_MILLI, type GangRequest, type NodeDelta, type ReplicaPlacement, type Snapshot } from '../../scheduler/index.js';
import { NO_SHAPE, SHAPE_MANY, SHAPE_MIG, SHAPE_SHARE } from '../../scheduler/snapshot.js';

export function placementDelta(snap: Snapshot, gang: GangRequest, p: ReplicaPlacement): NodeDelta {
  const g = gang.resources.gpu;
  const start = snap.gpuStart[p.node]!;
  let migMask = 0;
  if (g.kind === 'mig' && p.migStart !== undefined) {
    const model = snap.modelNames[snap.model[p.node]!] ?? '';
    const width = migProfileOn(model, g.profile)?.width ?? 1;
    migMask = ((1 << width) - 1) << p.migStart;
  }
  const milli = g.kind === 'whole' ? GPU_MILLI : g.kind === 'share' ? g.milli : 0;
  return {
    cpuMilli: gang.resources.cpuMilli,
    memoryBytes: gang.resources.memoryBytes,
    gpus: p.gpus.map((i) => start + i),
    milliPerGpu: milli,
    migMask,
    shapeClass: shapeClassOf(p.gpus.length, milli, g.kind === 'mig'),
    // Tenant marks exactly as the cycle sets them (request.ts), so a release clears them.
    tenant: snap.tenantId(gang.project ?? ''),
    exclusive: gang.isolation === 'exclusive-node',
    allowSharing: gang.allowSharing === true,
  };
}

function shapeClassOf(count: number, milli: number, mig: boolean): number {
  if (mig) return SHAPE_MIG;
  if (count === 0 || milli === 0) return NO_SHAPE;
  if (milli < GPU_MILLI) return SHAPE_SHARE;
  return count <= 8 ? count : SHAPE_MANY;
}

/** GPUs a replica holds: whole GPUs count 1, a share its fraction, a MIG instance its memory slices / 8. */
export function heldGpus(d: NodeDelta): number {
  if (d.migMask !== 0) {
    let bits = 0;
    for (let m = d.migMask; m !== 0; m &= m - 1) bits++;
    return Math.min(1, bits / 8);
  }
  return (d.gpus.length * d.milliPerGpu) / GPU_MILLI;
}
