// What admission, quota and RBAC need to know about workload kinds (Job, Service,
// DevEnvironment, and whatever comes next). A kind is a workload when its spec carries per-replica `resources`,
// so new workload kinds are covered without touching this file.
import type { KindDef } from '../model/kind.js';
import type { Resource } from '../model/metadata.js';
import type { Isolation } from '../model/common.js';
import type { GpuRequest, ReplicaResources } from '../model/workload.js';
import { KINDS } from '../model/registry.js';

/** The fields every workload spec shares (see model/workload.ts). */
export interface WorkloadSpec {
  /** A Job's gang size; a Service's {min, max}; absent for single-replica kinds. */
  replicas?: number | { min: number; max: number };
  resources: ReplicaResources;
  gang?: { minAvailable: number };
  isolation?: Isolation;
  priorityClass?: string;
  queue?: string;
  placement?: { sites?: string[]; countries?: string[] };
  suspend?: boolean;
}

export function isWorkloadKind(def: KindDef): boolean {
  const props = (def.spec as { properties?: Record<string, unknown> }).properties;
  return def.scope === 'project' && props !== undefined && 'resources' in props;
}

export const WORKLOAD_KINDS: readonly KindDef[] = KINDS.filter(isWorkloadKind);

/**
 * Replicas a workload may hold at once, as quota counts them: a Job's replicas, a Service's
 * replicas.max (the most it may scale to; rollout surge is transient and not charged), 1 otherwise.
 */
export function chargedReplicas(spec: Pick<WorkloadSpec, 'replicas'>): number {
  const r = spec.replicas;
  if (typeof r === 'number') return r;
  if (r && typeof r === 'object') return Math.max(r.max, r.min);
  return 1;
}

const FINISHED_PHASES = new Set(['Succeeded', 'Failed']);

/** Whether a stored workload still holds (or may soon hold) capacity charged to its project. */
export function chargesQuota(obj: Pick<Resource, 'spec' | 'status'>): boolean {
  const spec = obj.spec as Partial<WorkloadSpec>;
  const phase = obj.status?.phase;
  return spec.suspend !== true && !(typeof phase === 'string' && FINISHED_PHASES.has(phase));
}

/** MIG-capable GPUs have 7 compute slices; a "3g.40gb" instance is 3/7 of a GPU. */
const MIG_COMPUTE_SLICES = 7;

/** Whole-GPU equivalents one replica asks for. */
export function gpuEquivalents(gpu: GpuRequest | undefined): number {
  if (!gpu) return 0;
  if ('count' in gpu) return gpu.count;
  if ('share' in gpu) return gpu.share;
  const g = /^(\d+)g\./.exec(gpu.mig);
  return g ? Number(g[1]) / MIG_COMPUTE_SLICES : 1;
}
