// What admission, quota and RBAC need to know about workload kinds (the registry in
// model/kind-names.ts: Job, Service, DevEnvironment, and whatever comes next).
import type { KindDef } from '../model/kind.js';
import type { Resource } from '../model/metadata.js';
import type { Isolation } from '../model/common.js';
import type { GpuRequest, ReplicaResources } from '../model/workload.js';
import { GPU_MILLI, requestMilli } from '../model/allocation-rules.js';
import { isWorkloadKind as isWorkloadKindName } from '../model/kind-names.js';
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

export function isWorkloadKind(def: Pick<KindDef, 'kind'>): boolean {
  return isWorkloadKindName(def.kind);
}

export const WORKLOAD_KIND_DEFS: readonly KindDef[] = KINDS.filter(isWorkloadKind);

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
  // A Halted VirtualMachine holds nothing until it is started again.
  if ((obj.spec as { runStrategy?: unknown }).runStrategy === 'Halted') return false;
  return spec.suspend !== true && !(typeof phase === 'string' && FINISHED_PHASES.has(phase));
}

/** Whole-GPU equivalents one replica asks for (model/allocation-rules.ts: a 3g MIG instance is 0.428). */
export function gpuEquivalents(gpu: GpuRequest | undefined): number {
  return requestMilli(gpu) / GPU_MILLI;
}
