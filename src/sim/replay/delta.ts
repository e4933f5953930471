// What a replica holds, for the replay's accounting. Releasing a replica uses the scheduler's own
// placementDelta (re-exported here), so it gives back exactly what the cycle took.
import { migProfileShape } from '../../model/gpu-catalog.js';
import { GPU_MILLI, type GangRequest, type NodeDelta } from '../../scheduler/index.js';

export { placementDelta } from '../../scheduler/index.js';

/** GPUs a replica holds: whole GPUs count 1, a share its fraction, a MIG instance its memory slices / 8. */
export function heldGpus(d: NodeDelta): number {
  if (d.migMask !== 0) {
    let bits = 0;
    for (let m = d.migMask; m !== 0; m &= m - 1) bits++;
    return Math.min(1, bits / 8);
  }
  return (d.gpus.length * d.milliPerGpu) / GPU_MILLI;
}

/** GPUs one replica asks for (a MIG request counts its memory slices / 8). */
export function askedGpus(g: GangRequest): number {
  const d = g.resources.gpu;
  if (d.kind === 'whole') return d.count;
  if (d.kind === 'share') return d.milli / 1000;
  if (d.kind === 'mig') return Math.min(1, (migProfileShape(d.profile)?.width ?? 1) / 8);
  return 0;
}
