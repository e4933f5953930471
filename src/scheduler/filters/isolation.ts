// Isolation tiers (README "Isolation tiers"): how hard the boundary between tenants is.
//   exclusive-node — a host holding another tenant's exclusive-node work takes nobody else, and an
//                    exclusive-node gang only lands on hosts where no other tenant runs;
//   shared         — a time-shared GPU is shared across tenants only when every tenant on it allows.
// MIG slices are hardware partitions and whole GPUs are never shared, so neither needs a rule here.
import { GPU_SHARE } from '../request.js';
import type { Snapshot } from '../snapshot.js';
import type { Filter } from './filter.js';

export const nodeExclusive: Filter = {
  name: 'node-exclusive',
  reason: 'NodeExclusive',
  reads: 'state',
  resolvable: true,
  filter(snap, req, nodes, count) {
    const t = req.tenant;
    if (!req.exclusive && snap.tenants.noExclusive) return count;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (snap.nodeExclusiveToOther(n, t)) continue;
      if (req.exclusive && !snap.nodeOnlyTenant(n, t)) continue;
      nodes[k++] = n;
    }
    return k;
  },
};

/** Runs after gpu-fit: keeps nodes with a GPU that has room for the share AND may be shared with this tenant. */
export const gpuSharing: Filter = {
  name: 'gpu-sharing',
  reason: 'GpuSharingNotAllowed',
  reads: 'state',
  resolvable: true,
  filter(snap, req, nodes, count) {
    if (req.gpuKind !== GPU_SHARE || snap.tenants.anyGpuShareable(req.tenant, req.allowSharing)) return count;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (firstShareableGpu(snap, n, req.milliPerGpu, req.tenant, req.allowSharing) >= 0) nodes[k++] = n;
    }
    return k;
  },
};

/** The first GPU of node n with `milli` free that tenant t may share, or -1. */
export function firstShareableGpu(snap: Snapshot, n: number, milli: number, t: number, allow: boolean): number {
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
    if (snap.gpuFree[g]! >= milli && snap.gpuShareAllowed(g, t, allow)) return g;
  }
  return -1;
}
