// Uniformly random among the GPUs that fit (reservoir sampling: one pass, no allocation).
import type { SharePicker } from './share-picker.js';

export const randomGpu: SharePicker = {
  name: 'random-gpu',
  pick(snap, n, req, rng) {
    let chosen = -1;
    let seen = 0;
    for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
      if (snap.gpuFree[g]! < req.milliPerGpu) continue;
      seen++;
      if (seen === 1 || rng.int(seen) === 0) chosen = g;
    }
    return chosen;
  },
};
