import { formatCpuMilli } from '../../model/quantity.js';
import type { Filter } from './filter.js';

export const cpuFit: Filter = {
  name: 'cpu-fit',
  reason: 'InsufficientCpu',
  reads: 'state',
  resolvable: true,
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
  room: (free, req, n) => (req.cpuMilli > 0 ? Math.floor(free.cpuFree[n]! / req.cpuMilli) : Infinity),
  shortfall(snap, req, nodes, count) {
    let most = 0;
    for (let i = 0; i < count; i++) most = Math.max(most, snap.cpuCap[nodes[i]!]!);
    return `asks ${formatCpuMilli(req.cpuMilli)} CPU per replica; the largest node has ${formatCpuMilli(most)}`;
  },
};
