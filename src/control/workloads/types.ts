// The contract between the scheduling loop and the workload controllers (docs/lifecycle.md).
// The loop knows nothing about Jobs, Services or DevEnvironments; each kind has an adapter that
// says what of it still needs placing and what its status becomes once placed.
import type { Resource } from '../../model/metadata.js';
import type { ReplicaResources, TopologyRequest } from '../../scheduler/types.js';

import type { WorkloadKind } from '../../model/kind-names.js';

export type { WorkloadKind };

/** What one workload still needs placed now, as one gang. */
export interface PlacementDemand {
  workload: Resource;
  /** Gang attempt the new allocations belong to. */
  attempt: number;
  /** Replica indices to place in this gang (all-or-nothing up to minAvailable). */
  replicas: number[];
  /** How many of `replicas` must be placed together; the rest are placed if they fit. */
  minAvailable: number;
  resources: ReplicaResources;
  priority: number;
  /** Epoch ms the workload (or this attempt) became pending; older first among equal priority. */
  pendingSince: number;
  queue?: string;
  topology?: TopologyRequest;
  sites?: string[];
  isolation: 'shared' | 'mig' | 'dedicated' | 'exclusive-node';
}

export interface WorkloadAdapter {
  kind: WorkloadKind;
  /**
   * What still needs placing, given the workload and its allocations in active phases
   * (Bound, Running, Stopping); null when nothing does (finished, suspended, backing off, or
   * fully placed).
   */
  demand(workload: Resource, active: readonly Resource[], now: Date): PlacementDemand | null;
  /**
   * True when the workload can ask for nothing until it is written again (finished, suspended,
   * placed), whatever the time: the loop's periodic sweeps skip it. A store of 90,000 finished
   * Jobs otherwise cost a pass over all of them every second.
   */
  settled?(workload: Resource): boolean;
  /** The workload's status after the loop bound `placed` (written in the same transaction). */
  statusOnBound(workload: Resource, placed: readonly Resource[], now: Date): Record<string, unknown>;
}
