// A VM's whole GPUs are handed to the guest by VFIO, which takes a GPU's whole IOMMU group: a GPU
// whose group also holds a device of the host (a NIC behind the same switch) cannot go. The node
// agent reports which GPUs can (Node status.drivers.vm.passthrough); this filter keeps a VM off
// nodes with fewer such GPUs than it asks for. Hardware: no eviction changes it.
import type { ReplicaShape } from '../request.js';
import type { Filter, FreeCapacity } from './filter.js';

export const gpuPassthrough: Filter = {
  name: 'gpu-passthrough',
  reason: 'GpuNotPassthrough',
  reads: 'static',
  resolvable: false,
  filter(snap, req, nodes, count) {
    if (!req.passthrough) return count;
    const need = req.gpuCount;
    const pass = snap.passthroughGpus;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (pass[n]! >= need) nodes[k++] = n;
    }
    return k;
  },
  shortfall(snap, req, nodes, count) {
    let most = 0;
    for (let i = 0; i < count; i++) most = Math.max(most, snap.passthroughGpus[nodes[i]!]!);
    return `asks ${req.gpuCount} GPU${req.gpuCount === 1 ? '' : 's'} passed through to a VM; the most any node it may use can pass through is ${most} (the others share an IOMMU group with a device of the host)`;
  },
};

/** Fully free GPUs of node n that `req` may take: all of them, or for a VM only those the node can pass through. */
export function freeWholeGpus(free: FreeCapacity, req: ReplicaShape, n: number): number {
  if (!req.passthrough) return free.fullFree[n]!;
  let k = 0;
  for (let g = free.gpuStart[n]!, e = free.gpuStart[n + 1]!; g < e; g++) if (free.gpuFree[g] === 1000 && free.gpuNoPassthrough[g] === 0) k++;
  return k;
}
