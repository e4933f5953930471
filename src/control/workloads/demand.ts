// The kind-independent part of a PlacementDemand, shared by the Job, Service and DevEnvironment
// adapters.
import type { Resource } from '../../model/metadata.js';
import { replicaResources } from '../gang.js';
import type { WorkloadSpec } from '../workload.js';
import type { PlacementDemand } from './types.js';

export function baseDemand(
  workload: Resource,
  pendingSince: number,
  // Admission always fills spec.isolation; this only covers objects stored before it did.
  defaultIsolation: PlacementDemand['isolation'] = 'shared',
): Omit<PlacementDemand, 'attempt' | 'replicas' | 'minAvailable'> {
  const spec = workload.spec as unknown as WorkloadSpec & { topology?: PlacementDemand['topology'] };
  const d: Omit<PlacementDemand, 'attempt' | 'replicas' | 'minAvailable'> = {
    workload,
    resources: replicaResources(spec.resources),
    // As for Jobs: the scheduling loop resolves spec.priorityClass into a number.
    priority: 0,
    pendingSince,
    isolation: spec.isolation ?? defaultIsolation,
  };
  if (spec.queue !== undefined) d.queue = spec.queue;
  if (spec.topology) d.topology = spec.topology;
  if (spec.placement?.sites) d.sites = spec.placement.sites;
  return d;
}
