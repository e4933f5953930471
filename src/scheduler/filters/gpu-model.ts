// A GPU request may name the models it accepts; CPU-only requests accept any node.
import type { Filter } from './filter.js';

export const gpuModel: Filter = {
  name: 'gpu-model',
  reason: 'GpuModelNotAllowed',
  reads: 'static',
  resolvable: false,
  filter(snap, req, nodes, count) {
    const allowed = req.allowedModels;
    if (!allowed) return count;
    const model = snap.model;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      if (allowed[model[n]!] === 1) nodes[k++] = n;
    }
    return k;
  },
  shortfall(_snap, req) {
    return `asks GPU model ${(req.models ?? []).join(' or ')}; no node it may use has one`;
  },
};
