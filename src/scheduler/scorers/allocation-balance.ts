// Spread and binpack in the kube-scheduler sense: the mean, over CPU, memory and GPU, of the
// fraction of the node left free (spread) or used (binpack) after placement.
import type { Snapshot } from '../snapshot.js';
import type { ReplicaShape } from '../request.js';
import type { Scorer } from './scorer.js';

function usedFractionAfter(snap: Snapshot, n: number, req: ReplicaShape): number {
  let sum = 0;
  let dims = 0;
  const cpuCap = snap.cpuCap[n]!;
  if (cpuCap > 0) {
    sum += (cpuCap - snap.cpuFree[n]! + req.cpuMilli) / cpuCap;
    dims++;
  }
  const memCap = snap.memCap[n]!;
  if (memCap > 0) {
    sum += (memCap - snap.memFree[n]! + req.memoryBytes) / memCap;
    dims++;
  }
  const gpuCap = snap.gpuCount[n]! * 1000;
  if (gpuCap > 0) {
    sum += (gpuCap - snap.nodeGpuFree(n) + req.totalMilli) / gpuCap;
    dims++;
  }
  return dims === 0 ? 0 : Math.min(1, sum / dims);
}

/** Prefers the emptiest node: spreads load and blast radius. */
export const leastAllocated: Scorer = {
  name: 'least-allocated',
  nodeLocal: true,
  score({ snap, req }, nodes, count, out) {
    for (let i = 0; i < count; i++) out[i] = 100 * (1 - usedFractionAfter(snap, nodes[i]!, req));
  },
};

/** Prefers the fullest node: keeps whole nodes free for large gangs. */
export const mostAllocated: Scorer = {
  name: 'most-allocated',
  nodeLocal: true,
  score({ snap, req }, nodes, count, out) {
    for (let i = 0; i < count; i++) out[i] = 100 * usedFractionAfter(snap, nodes[i]!, req);
  },
};
