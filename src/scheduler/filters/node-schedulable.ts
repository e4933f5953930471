// Cordoned, draining or not-ready nodes take no new work.
import type { Filter } from './filter.js';

export const nodeSchedulable: Filter = {
  name: 'node-schedulable',
  reason: 'NodeUnschedulable',
  reads: 'static',
  resolvable: false,
  filter(snap, _req, nodes, count) {
    const ok = snap.schedulable;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (ok[n] === 1) nodes[k++] = n;
    }
    return k;
  },
};
