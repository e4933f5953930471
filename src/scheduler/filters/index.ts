// The default filter chain. Order matters only for explanations: a node is counted under the
// first filter that rejects it, so cheap, coarse reasons come first and resource fit last. The
// cycle asks the static filters (filter.ts) first, once per gang, whatever their place here, so
// they lead the chain.
import { cpuFit } from './cpu-fit.js';
import type { Filter } from './filter.js';
import { gpuFit } from './gpu-fit.js';
import { gpuModel } from './gpu-model.js';
import { gpuPassthrough } from './gpu-passthrough.js';
import { gpuSharing, nodeExclusive } from './isolation.js';
import { memoryFit } from './memory-fit.js';
import { nodeSchedulable } from './node-schedulable.js';
import { residency } from './residency.js';
import { siteAllowed } from './site-allowed.js';
import { volumes } from './volumes.js';

export type { Filter } from './filter.js';

export const DEFAULT_FILTERS: readonly Filter[] = [
  nodeSchedulable, // cordoned and draining nodes first: nothing else about them matters
  residency, // sovereignty set by the platform (the project's countries, sites, data class): never lifted
  siteAllowed, // the workload's own placement wish
  volumes, // where its data is: no eviction brings the data to another node
  gpuModel, // wrong hardware is a clearer answer than "not enough GPU"
  gpuPassthrough, // a VM's GPUs: hardware too (IOMMU groups), before any count of free GPUs
  nodeExclusive, // another tenant's host is off limits whatever its free capacity
  cpuFit,
  memoryFit,
  gpuFit, // the most expensive check (scans GPUs)
  gpuSharing, // after gpu-fit: "room, but only on GPUs another tenant will not share" is its own answer
];
