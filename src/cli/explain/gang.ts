// A stored workload as the scheduler's gang request, the way the scheduling loop sees it:
// per-replica resources, gang size, priority (from its PriorityClass), topology and the sites
// it may use (placement.sites, placement.countries and the project's allowed sites together).
import type { Resource } from '../../model/metadata.js';
import { parseCpuMilli, parseMemoryBytes } from '../../model/quantity.js';
import type { GangRequest, GpuDemand, TopologyRequest } from '../../scheduler/types.js';

export interface GangContext {
  /** PriorityClass name → value; the global default under the key ''. */
  priorities: Map<string, number>;
  /** Site name → country. */
  siteCountries: Map<string, string>;
  /** Project name → the sites its residency allows (absent = any; empty = none). */
  allowedSites: Map<string, string[] | undefined>;
}

interface WorkloadSpec {
  replicas?: number | { min?: number };
  resources?: { cpu?: string; memory?: string; gpu?: { count?: number; share?: number; mig?: string; models?: string[] } };
  gang?: { minAvailable?: number };
  priorityClass?: string;
  topology?: TopologyRequest;
  placement?: { sites?: string[]; countries?: string[] };
}

export function replicasOf(w: Resource): number {
  const r = (w.spec as WorkloadSpec).replicas;
  if (typeof r === 'number') return r;
  if (w.kind === 'Service') return Math.max(1, r?.min ?? 1);
  return 1;
}

export function gangOf(w: Resource, ctx: GangContext, submittedAt: number): GangRequest {
  const s = w.spec as WorkloadSpec;
  const res = s.resources ?? {};
  const replicas = replicasOf(w);
  const sites = allowedSites(w, s, ctx);
  return {
    id: `${w.kind}/${w.metadata.project ?? ''}/${w.metadata.name}`,
    resources: {
      cpuMilli: res.cpu ? parseCpuMilli(res.cpu) : 0,
      memoryBytes: res.memory ? parseMemoryBytes(res.memory) : 0,
      gpu: gpuDemand(res.gpu),
      gpuModels: res.gpu?.models,
    },
    replicas,
    minAvailable: Math.min(replicas, s.gang?.minAvailable ?? replicas),
    priority: ctx.priorities.get(s.priorityClass ?? '') ?? ctx.priorities.get('') ?? 0,
    submittedAt,
    topology: s.topology,
    sites,
  };
}

function gpuDemand(g: NonNullable<WorkloadSpec['resources']>['gpu']): GpuDemand {
  if (!g) return { kind: 'none' };
  if (typeof g.count === 'number') return g.count > 0 ? { kind: 'whole', count: g.count } : { kind: 'none' };
  if (typeof g.share === 'number') return { kind: 'share', milli: Math.max(1, Math.round(g.share * 1000)) };
  if (typeof g.mig === 'string') return { kind: 'mig', profile: g.mig };
  return { kind: 'none' };
}

function allowedSites(w: Resource, s: WorkloadSpec, ctx: GangContext): string[] | undefined {
  let sites: string[] | undefined = s.placement?.sites;
  const countries = s.placement?.countries;
  if (countries && countries.length > 0) {
    const inCountries = [...ctx.siteCountries].filter(([, c]) => countries.includes(c)).map(([n]) => n);
    sites = sites ? sites.filter((x) => inCountries.includes(x)) : inCountries;
  }
  const project = ctx.allowedSites.get(w.metadata.project ?? '');
  if (project) sites = sites ? sites.filter((x) => project.includes(x)) : project;
  // An empty intersection allows nothing; a name no node has says so to the scheduler.
  if (sites && sites.length === 0) return ['<no allowed site>'];
  return sites;
}
