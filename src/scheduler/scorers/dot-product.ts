// Dot product of the node's free (CPU, GPU) with the request, both normalised by the largest
// node; the smallest product wins. Despite Tetris-style descriptions that maximise alignment, the
// FGD paper's simulator — whose results we reproduce — minimises it, which packs.
import type { Scorer } from './scorer.js';

export const dotProduct: Scorer = {
  name: 'dot-product',
  nodeLocal: true,
  score({ snap, req }, nodes, count, out) {
    const maxCpu = snap.maxCpuMilli;
    const maxGpu = snap.maxGpusPerNode * 1000;
    const cpuTerm = req.cpuMilli / maxCpu;
    const gpuTerm = req.totalMilli / maxGpu;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      const dot = (snap.cpuFree[n]! / maxCpu) * cpuTerm + (snap.nodeGpuFree(n) / maxGpu) * gpuTerm;
      out[i] = Math.floor(100 * (1 - dot / 2));
    }
  },
};
