import { formatMemoryBytes } from '../../model/quantity.js';
import type { Filter } from './filter.js';

export const memoryFit: Filter = {
  name: 'memory-fit',
  reason: 'InsufficientMemory',
  reads: 'state',
  resolvable: true,
  filter(snap, req, nodes, count) {
    const need = req.memoryBytes;
    if (need <= 0) return count;
    const free = snap.memFree;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (free[n]! >= need) nodes[k++] = n;
    }
    return k;
  },
  room: (free, req, n) => (req.memoryBytes > 0 ? Math.floor(free.memFree[n]! / req.memoryBytes) : Infinity),
  shortfall(snap, req, nodes, count) {
    let most = 0;
    for (let i = 0; i < count; i++) most = Math.max(most, snap.memCap[nodes[i]!]!);
    return `asks ${formatMemoryBytes(req.memoryBytes)} memory per replica; the largest node has ${formatMemoryBytes(most)}`;
  },
};
