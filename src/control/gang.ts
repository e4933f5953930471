// Workload spec → the scheduler's request shapes. Every workload kind reduces to a gang of
// identical replicas (DESIGN §3); this is the one place its quantities become scheduler numbers.
import type { GpuRequest, ReplicaResources as SpecResources } from '../model/workload.js';
import { parseCpuMilli, parseMemoryBytes } from '../model/quantity.js';
import type { GangRequest, GpuDemand, ReplicaResources, VolumePlacement } from '../scheduler/types.js';
import type { PodShape } from '../scheduler/typical-pods.js';
import type { PlacementDemand } from './workloads/types.js';
import type { EffectiveResidency } from '../model/residency.js';

/** A share as milli-GPU: 0.25 → 250; never 0 (a share asks for something) and at most one GPU. */
export function shareToMilli(share: number): number {
  return Math.min(1000, Math.max(1, Math.round(share * 1000)));
}

export function gpuDemand(gpu: GpuRequest | undefined): GpuDemand {
  if (!gpu) return { kind: 'none' };
  if ('count' in gpu) return gpu.count > 0 ? { kind: 'whole', count: gpu.count } : { kind: 'none' };
  if ('share' in gpu) return { kind: 'share', milli: shareToMilli(gpu.share) };
  return { kind: 'mig', profile: gpu.mig };
}

/** Per-replica resources of a workload spec, in scheduler units. */
export function replicaResources(res: SpecResources | undefined): ReplicaResources {
  const out: ReplicaResources = {
    cpuMilli: res?.cpu !== undefined ? parseCpuMilli(res.cpu, 'spec.resources.cpu') : 0,
    memoryBytes: res?.memory !== undefined ? parseMemoryBytes(res.memory, 'spec.resources.memory') : 0,
    gpu: gpuDemand(res?.gpu),
  };
  if (res?.gpu?.models && res.gpu.models.length > 0) out.gpuModels = [...res.gpu.models];
  return out;
}

/** Priority of a workload: its class's value, else the global default class's, else 0. */
export function priorityValue(className: string | undefined, classes: ReadonlyMap<string, number>, globalDefault = 0): number {
  if (className === undefined) return globalDefault;
  return classes.get(className) ?? globalDefault;
}

/** What the demand alone does not say about its tenant: the project's GPU-sharing flag and data residency. */
export interface TenantOptions {
  allowSharing?: boolean;
  /** The project's residency now; sites null = no rule. */
  residency?: EffectiveResidency;
  /** Where the volumes its replicas mount are. */
  volumes?: VolumePlacement[];
  /** Nodes that already hold its image. */
  imageNodes?: string[];
}

/** A workload's declared longest run (Job spec.maxRuntimeSeconds) in ms; undefined when it declares none. */
export function maxRuntimeMs(workload: { spec?: unknown }): number | undefined {
  const s = (workload.spec as { maxRuntimeSeconds?: unknown } | undefined)?.maxRuntimeSeconds;
  return typeof s === 'number' && Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

/**
 * The isolation tier the scheduler applies: the workload's own spec.isolation (admission fills it),
 * else — for objects stored before admission did — the tier its GPU request implies, as admission
 * would have chosen, so an old share is not turned into a whole GPU by an adapter's fallback.
 */
export function effectiveIsolation(d: PlacementDemand): NonNullable<GangRequest['isolation']> {
  const own = (d.workload.spec as { isolation?: PlacementDemand['isolation'] } | undefined)?.isolation;
  if (own !== undefined) return own;
  const g = d.resources.gpu;
  return g.kind === 'share' || g.kind === 'none' ? 'shared' : g.kind === 'mig' ? 'mig' : d.isolation;
}

/** The scheduler's gang for one demand; `id` ties decisions back to it. */
export function gangRequest(id: string, d: PlacementDemand, tenant: TenantOptions = {}): GangRequest {
  const g: GangRequest = {
    id,
    resources: d.resources,
    replicas: d.replicas.length,
    minAvailable: Math.min(d.minAvailable, d.replicas.length),
    priority: d.priority,
    submittedAt: d.pendingSince,
  };
  if (d.topology) g.topology = d.topology;
  if (d.sites && d.sites.length > 0) g.sites = d.sites;
  if (d.queue !== undefined) g.queue = d.queue; // fair share: ordering, queue limits, reclaim
  // Tenant boundary (isolation tiers) and the declared runtime backfill relies on.
  if (d.workload.metadata.project !== undefined) g.project = d.workload.metadata.project;
  g.isolation = effectiveIsolation(d);
  g.allowSharing = tenant.allowSharing === true;
  if (tenant.residency && tenant.residency.sites !== null) g.residency = { sites: tenant.residency.sites, rule: tenant.residency.rule };
  if (tenant.volumes) g.volumes = tenant.volumes;
  const reservation = (d.workload.spec as { reservation?: unknown }).reservation;
  if (typeof reservation === 'string') g.reservation = reservation;
  if (tenant.imageNodes) g.imageNodes = tenant.imageNodes;
  // A VM's whole GPUs go to the guest by VFIO: only GPUs its node can pass through will do.
  if (d.workload.kind === 'VirtualMachine' && d.resources.gpu.kind === 'whole') g.passthrough = true;
  const max = maxRuntimeMs(d.workload);
  if (max !== undefined) g.maxRuntimeMs = max;
  return g;
}

/** The request shape FGD-style policies learn their typical-pod distribution from (MIG is not a shape there). */
export function podShape(r: ReplicaResources): PodShape {
  const g = r.gpu;
  const models = r.gpuModels ?? [];
  if (g.kind === 'whole') return { cpuMilli: r.cpuMilli, gpuMilli: 1000, gpuCount: g.count, gpuModels: models };
  if (g.kind === 'share') return { cpuMilli: r.cpuMilli, gpuMilli: g.milli, gpuCount: 1, gpuModels: models };
  return { cpuMilli: r.cpuMilli, gpuMilli: 0, gpuCount: 0, gpuModels: models };
}
