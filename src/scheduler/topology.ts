// Topology-aware gangs: choose the domain (NVLink domain, rack or site) first — the smallest one
// that can hold the whole gang, so big domains stay free for big gangs — then place inside it.

import { GPU_MIG, GPU_NONE, GPU_SHARE, GPU_WHOLE, type ReplicaShape } from './request.js';
import type { Snapshot } from './snapshot.js';
import type { TopologyRequest } from './types.js';

/** How many replicas of `req` node n could still take (capped at `cap`). */
export function replicasThatFit(snap: Snapshot, n: number, req: ReplicaShape, cap: number): number {
  let fit = cap;
  if (req.cpuMilli > 0) fit = Math.min(fit, Math.floor(snap.cpuFree[n]! / req.cpuMilli));
  if (req.memoryBytes > 0) fit = Math.min(fit, Math.floor(snap.memFree[n]! / req.memoryBytes));
  switch (req.gpuKind) {
    case GPU_WHOLE:
      return Math.min(fit, Math.floor(snap.fullFree[n]! / req.gpuCount));
    case GPU_SHARE: {
      let slots = 0;
      for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) slots += Math.floor(snap.gpuFree[g]! / req.milliPerGpu);
      return Math.min(fit, slots);
    }
    case GPU_MIG:
      return Math.min(fit, 1); // conservative: one instance per node when sizing domains
    case GPU_NONE:
    default:
      return fit;
  }
}

function domainOf(snap: Snapshot, within: TopologyRequest['within']): Int32Array {
  return within === 'rack' ? snap.rack : within === 'site' ? snap.site : snap.nvlink;
}

/**
 * Among feasible nodes[0..count), keeps only those of the chosen domain and returns the new count,
 * or 0 when no domain can hold `replicas`. Smallest sufficient capacity wins; ties go to the
 * domain holding the lowest-ranked node, for determinism.
 */
export function restrictToDomain(
  snap: Snapshot,
  req: ReplicaShape,
  topology: TopologyRequest,
  replicas: number,
  nodes: Int32Array,
  count: number,
): number {
  const domain = domainOf(snap, topology.within);
  const capacity = new Map<number, number>();
  const bestRank = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const n = nodes[i]!;
    const d = domain[n]!;
    capacity.set(d, (capacity.get(d) ?? 0) + replicasThatFit(snap, n, req, replicas));
    bestRank.set(d, Math.min(bestRank.get(d) ?? Infinity, snap.rank[n]!));
  }
  let chosen = -1;
  let chosenCap = Infinity;
  for (const [d, cap] of capacity) {
    if (cap < replicas) continue;
    if (cap < chosenCap || (cap === chosenCap && bestRank.get(d)! < bestRank.get(chosen)!)) {
      chosen = d;
      chosenCap = cap;
    }
  }
  if (chosen < 0) return 0;
  let k = 0;
  for (let i = 0; i < count; i++) if (domain[nodes[i]!] === chosen) nodes[k++] = nodes[i]!;
  return k;
}
