// Best fit: the node with the least CPU + GPU left over after placement wins. Normalised by the
// largest node in the fleet (128 cores and 8 GPUs in the Alibaba fleet, the constants of the
// FGD paper's simulator). Integer score, truncated, as in that simulator.
import type { Scorer } from './scorer.js';

export const bestFit: Scorer = {
  name: 'best-fit',
  nodeLocal: true,
  score({ snap, req }, nodes, count, out) {
    const maxCpu = snap.maxCpuMilli;
    const maxGpu = snap.maxGpusPerNode * 1000;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      const s = (0.5 * (snap.cpuFree[n]! - req.cpuMilli)) / maxCpu + (0.5 * (snap.nodeGpuFree(n) - req.totalMilli)) / maxGpu;
      out[i] = Math.floor((1 - s) * 100);
    }
  },
};
