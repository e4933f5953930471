// GPU packing: first fill partly used GPUs (fullest first), then free GPUs on nodes already in
// use, and open an empty node last — preferring small ones. CPU-only requests tie everywhere.
import { GPU_NONE } from '../request.js';
import type { Scorer } from './scorer.js';

export const gpuPacking: Scorer = {
  name: 'gpu-packing',
  nodeLocal: true,
  score({ snap, req }, nodes, count, out) {
    if (req.gpuKind === GPU_NONE) {
      out.fill(0, 0, count);
      return;
    }
    const free = snap.gpuFree;
    const taken: number[] = [];
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      const ff = snap.fullFree[n]!;
      const gpus = snap.gpuCount[n]!;
      if (ff === gpus) {
        out[i] = Math.max(33 - ff, ff);
        continue;
      }
      // The GPUs the request would take, walking from the fullest that still fits.
      const first = snap.gpuStart[n]!;
      taken.length = 0;
      for (let g = first; g < first + gpus; g++) if (free[g]! >= req.milliPerGpu) taken.push(g);
      taken.sort((a, b) => free[a]! - free[b]! || a - b);
      taken.length = Math.min(taken.length, req.gpuCount);
      let wholeFree = 0;
      let r = 0;
      for (const g of taken) {
        if (free[g] === 1000) wholeFree++;
        r += Math.floor((free[g]! * 100) / 1000);
      }
      out[i] = wholeFree > 0 ? Math.max(50 - wholeFree, 33) : Math.max(100 - Math.floor(r / 10), 50);
    }
  },
};
