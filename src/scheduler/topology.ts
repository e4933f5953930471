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

export function domainOf(snap: Snapshot, within: TopologyRequest['within']): Int32Array {
  return within === 'rack' ? snap.rack : within === 'site' ? snap.site : snap.nvlink;
}

export function domainName(snap: Snapshot, within: TopologyRequest['within'], id: number): string {
  const names = within === 'rack' ? snap.rackNames : within === 'site' ? snap.siteNames : snap.nvlinkNames;
  return names[id] ?? '';
}

/** The outcome of choosing a domain; `best*` describe the largest candidate when none fits. */
export interface DomainChoice {
  /** Nodes kept at the front of the candidate list (0 = no domain can hold the gang). */
  count: number;
  /** The chosen domain id, or -1. */
  domain: number;
  /** Replicas the roomiest domain could take, and which domain that is (-1 when no node was feasible). */
  bestReplicas: number;
  bestDomain: number;
}

/**
 * Among feasible nodes[0..count), keeps only those of the smallest domain that can hold
 * `replicas` (ties to the domain of the lowest-ranked node) and reports the choice.
 */
export function chooseDomain(
  snap: Snapshot,
  req: ReplicaShape,
  topology: TopologyRequest,
  replicas: number,
  nodes: Int32Array,
  count: number,
): DomainChoice {
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
  let best = -1;
  let bestCap = -1;
  for (const [d, cap] of capacity) {
    if (cap > bestCap || (cap === bestCap && bestRank.get(d)! < bestRank.get(best)!)) {
      best = d;
      bestCap = cap;
    }
    if (cap < replicas) continue;
    if (cap < chosenCap || (cap === chosenCap && bestRank.get(d)! < bestRank.get(chosen)!)) {
      chosen = d;
      chosenCap = cap;
    }
  }
  const out: DomainChoice = { count: 0, domain: chosen, bestReplicas: Math.max(0, bestCap), bestDomain: best };
  if (chosen < 0) return out;
  let k = 0;
  for (let i = 0; i < count; i++) if (domain[nodes[i]!] === chosen) nodes[k++] = nodes[i]!;
  out.count = k;
  return out;
}

/** Free GPUs (whole ones, or milli/1000 for shares) a domain has on schedulable nodes of allowed models. */
export function domainFreeGpus(snap: Snapshot, req: ReplicaShape, within: TopologyRequest['within'], id: number): number {
  const domain = domainOf(snap, within);
  let milli = 0;
  for (let n = 0; n < snap.nodeCount; n++) {
    if (domain[n] !== id || snap.schedulable[n] !== 1) continue;
    if (req.allowedModels && req.allowedModels[snap.model[n]!] !== 1) continue;
    milli += req.gpuKind === GPU_SHARE ? snap.nodeGpuFree(n) : snap.fullFree[n]! * 1000;
  }
  return Math.floor(milli / 1000);
}
