// Keeps CPU-only replicas from eating the CPU that a node's idle GPUs will need. `cpuPerMilliGpu`
// is how much CPU the workload typically asks per milli-GPU; a node whose free CPU after
// placement falls below (idle GPU × that ratio) strands GPUs that nobody can use. Scores 100 while
// the headroom holds and falls with the shortfall. GPU requests score 100 everywhere: FGD's
// fragmentation measure already accounts for their CPU.
import { GPU_NONE } from '../request.js';
import type { Scorer } from './scorer.js';

export function cpuHeadroom(cpuPerMilliGpu: number): Scorer {
  return {
    name: 'cpu-headroom',
    nodeLocal: true,
    score({ snap, req }, nodes, count, out) {
      if (req.gpuKind !== GPU_NONE) {
        out.fill(100, 0, count);
        return;
      }
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        const shortfall = cpuPerMilliGpu * snap.nodeGpuFree(n) - (snap.cpuFree[n]! - req.cpuMilli);
        out[i] = shortfall <= 0 ? 100 : 100 * (1 - Math.min(1, shortfall / snap.maxCpuMilli));
      }
    },
  };
}
