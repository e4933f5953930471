// The fullest GPU that still fits; lowest index on ties. Keeps empty GPUs whole for later.
import type { SharePicker } from './share-picker.js';

export const bestFitGpu: SharePicker = {
  name: 'best-fit-gpu',
  pick(snap, n, req) {
    let best = -1;
    for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
      const free = snap.gpuFree[g]!;
      if (free >= req.milliPerGpu && (best < 0 || free < snap.gpuFree[best]!)) best = g;
    }
    return best;
  },
};
