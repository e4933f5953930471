// Whole-GPU requests need that many fully free GPUs on one node; a share needs one GPU with
// enough free milli; a MIG profile needs a MIG-mode GPU with a free, allowed start slice.
import { GPU_MIG, GPU_NONE, GPU_SHARE, GPU_WHOLE } from '../request.js';
import { findMigSlot } from '../mig.js';
import type { Filter } from './filter.js';
import { freeWholeGpus } from './gpu-passthrough.js';

export const gpuFit: Filter = {
  name: 'gpu-fit',
  reason: 'InsufficientGpu',
  reads: 'state',
  resolvable: true,
  filter(snap, req, nodes, count) {
    let k = 0;
    switch (req.gpuKind) {
      case GPU_NONE:
        return count;
      case GPU_WHOLE: {
        const need = req.gpuCount;
        const full = snap.fullFree;
        for (let i = 0; i < count; i++) {
          const n = nodes[i]!;
          if (full[n]! >= need && (!req.passthrough || freeWholeGpus(snap, req, n) >= need)) nodes[k++] = n;
        }
        return k;
      }
      case GPU_SHARE: {
        const need = req.milliPerGpu;
        const free = snap.gpuFree;
        const start = snap.gpuStart;
        for (let i = 0; i < count; i++) {
          const n = nodes[i]!;
          for (let g = start[n]!, e = start[n + 1]!; g < e; g++) {
            if (free[g]! >= need) {
              nodes[k++] = n;
              break;
            }
          }
        }
        return k;
      }
      case GPU_MIG:
        for (let i = 0; i < count; i++) {
          const n = nodes[i]!;
          if (findMigSlot(snap, n, req).gpu >= 0) nodes[k++] = n;
        }
        return k;
      default:
        return 0;
    }
  },
  room(free, req, n) {
    if (req.gpuKind === GPU_WHOLE) return Math.floor(freeWholeGpus(free, req, n) / req.gpuCount);
    if (req.gpuKind !== GPU_SHARE) return Infinity; // MIG slots are not counted: no bound
    let slots = 0;
    for (let g = free.gpuStart[n]!, e = free.gpuStart[n + 1]!; g < e; g++) slots += Math.floor(free.gpuFree[g]! / req.milliPerGpu);
    return slots;
  },
  shortfall(snap, req, nodes, count) {
    if (req.gpuKind === GPU_MIG) return `asks MIG ${req.migProfile}; no node it may use has a MIG GPU that can host it`;
    if (req.gpuKind === GPU_SHARE) return `asks a share of one GPU; no node it may use has a GPU outside MIG mode`;
    let most = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      most = Math.max(most, snap.gpuCount[n]! - countMig(snap.gpuMig, snap.gpuStart[n]!, snap.gpuStart[n + 1]!));
    }
    const what = `asks ${req.gpuCount} GPU${req.gpuCount === 1 ? '' : 's'} per replica`;
    return most === 0 ? `${what}; no node it may use has a GPU outside MIG mode` : `${what}; the largest node has ${most}`;
  },
};

function countMig(mig: Uint8Array, from: number, to: number): number {
  let c = 0;
  for (let g = from; g < to; g++) c += mig[g]!;
  return c;
}
