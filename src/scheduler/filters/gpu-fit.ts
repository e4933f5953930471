// Whole-GPU requests need that many fully free GPUs on one node; a share needs one GPU with
// enough free milli; a MIG profile needs a MIG-mode GPU with a free, allowed start slice.
import { GPU_MIG, GPU_NONE, GPU_SHARE, GPU_WHOLE } from '../request.js';
import { findMigSlot } from '../mig.js';
import type { Filter } from './filter.js';

export const gpuFit: Filter = {
  name: 'gpu-fit',
  reason: 'InsufficientGpu',
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
          if (full[n]! >= need) nodes[k++] = n;
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
};
