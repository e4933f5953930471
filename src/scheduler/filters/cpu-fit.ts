import type { Filter } from './filter.js';

export const cpuFit: Filter = {
  name: 'cpu-fit',
  reason: 'InsufficientCpu',
  filter(snap, req, nodes, count) {
    const need = req.cpuMilli;
    if (need <= 0) return count;
    const free = snap.cpuFree;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (free[n]! >= need) nodes[k++] = n;
    }
    return k;
  },
};
