// What of a Service the scheduling loop should place: new-generation replicas up to the rollout
// plan's `create`, each its own gang of one (a Service is useful with any replica up). Replica
// indices are never reused — status.nextReplica counts them — so allocation names never collide
// with a finished replica's.
import type { Resource } from '../../model/metadata.js';
import { replicaOf } from './allocations.js';
import { baseDemand } from './demand.js';
import { generationOf, planRollout } from './service-rollout.js';
import type { PlacementDemand, WorkloadAdapter } from './types.js';

function nextReplica(svc: Resource, active: readonly Resource[]): number {
  const n = typeof svc.status?.nextReplica === 'number' ? svc.status.nextReplica : 0;
  return Math.max(n, ...active.map((a) => replicaOf(a) + 1));
}

export const serviceAdapter: WorkloadAdapter = {
  kind: 'Service',
  demand(svc: Resource, active: readonly Resource[]): PlacementDemand | null {
    if (svc.metadata.deletionTimestamp) return null;
    const plan = planRollout(svc, active);
    if (plan.create <= 0) return null;
    const first = nextReplica(svc, active);
    return {
      ...baseDemand(svc, Date.parse(svc.metadata.creationTimestamp)),
      attempt: generationOf(svc),
      replicas: Array.from({ length: plan.create }, (_, i) => first + i),
      minAvailable: 1,
    };
  },
  statusOnBound(svc: Resource, placed: readonly Resource[]): Record<string, unknown> {
    const status = { ...(svc.status ?? {}) };
    status.nextReplica = Math.max(nextReplica(svc, placed), typeof status.nextReplica === 'number' ? status.nextReplica : 0);
    status.phase ??= 'Pending';
    return status;
  },
};
