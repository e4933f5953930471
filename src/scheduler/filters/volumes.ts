// Volumes: a replica that mounts data runs only where that data is (a hostPath volume's nodes,
// or any node of a shared volume's sites). Evicting work never moves data, so preemption cannot
// help; the answer is per node (node classes do not know node names), so it reads 'node'.
import type { Filter } from './filter.js';

export const volumes: Filter = {
  name: 'volumes',
  reason: 'VolumeNotOnNode',
  reads: 'node',
  resolvable: false,
  keepsAll: (req) => !req.volumeNodes,
  filter(_snap, req, nodes, count) {
    const mask = req.volumeNodes;
    if (!mask) return count;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (mask[n] === 1) nodes[k++] = n;
    }
    return k;
  },
  shortfall(_snap, req) {
    return `mounts ${(req.volumes ?? []).join(', ')}; no node has ${(req.volumes ?? []).length === 1 ? 'it' : 'them all'}`;
  },
};
