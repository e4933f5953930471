import type { Filter } from './filter.js';

export const memoryFit: Filter = {
  name: 'memory-fit',
  reason: 'InsufficientMemory',
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
};
