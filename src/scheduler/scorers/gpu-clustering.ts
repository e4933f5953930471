// GPU clustering: put replicas of the same shape (share, 1-GPU, 2-GPU, …) together, so hosts
// specialise; then prefer fuller nodes. CPU-only requests tie everywhere.
import { NO_SHAPE, SHAPE_CLASSES } from '../snapshot.js';
import type { Scorer } from './scorer.js';

export const gpuClustering: Scorer = {
  name: 'gpu-clustering',
  nodeLocal: true,
  score({ snap, req }, nodes, count, out) {
    const tag = req.shapeClass;
    if (tag === NO_SHAPE) {
      out.fill(0, 0, count);
      return;
    }
    const maxGpu = snap.maxGpusPerNode * 1000;
    const shapes = snap.shapeCounts;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      // Integer arithmetic on purpose: an empty 2-GPU node gets base 18, an empty 8-GPU node 0.
      const base = Math.floor((25 * (maxGpu - snap.nodeGpuFree(n))) / maxGpu);
      const row = n * SHAPE_CLASSES;
      let distinct = 0;
      for (let c = 0; c < SHAPE_CLASSES; c++) if (shapes[row + c]! > 0) distinct++;
      const same = shapes[row + tag]! > 0;
      if (same) out[i] = (distinct === 1 ? 75 : 50) + base;
      else out[i] = distinct === 0 ? 25 + base : base;
    }
  },
};
