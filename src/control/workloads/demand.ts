// The kind-independent part of a PlacementDemand, shared by the Service and DevEnvironment
// adapters (the Job adapter builds its own the same way).
import type { Resource } from '../../model/metadata.js';
import { replicaResources } from '../gang.js';
import type { WorkloadSpec } from '../workload.js';
import type { PlacementDemand } from './types.js';

export function baseDemand(workload: Resource, pendingSince: number): Omit<PlacementDemand, 'attempt' | 'replicas' | 'minAvailable'> {
  const spec = workload.spec as unknown as WorkloadSpec & { topology?: PlacementDemand['topology'] };
  const d: Omit<PlacementDemand, 'attempt' | 'replicas' | 'minAvailable'> = {
    workload,
    resources: replicaResources(spec.resources),
    // As for Jobs: the scheduling loop resolves spec.priorityClass into a number.
    priority: 0,
    pendingSince,
    isolation: spec.isolation ?? 'shared',
  };
  if (spec.queue !== undefined) d.queue = spec.queue;
  if (spec.topology) d.topology = spec.topology;
  if (spec.placement?.sites) d.sites = spec.placement.sites;
  return d;
}
