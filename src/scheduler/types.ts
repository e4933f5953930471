// Requests the scheduler accepts and the decisions it returns. Everything a workload asks for is
// reduced to a gang of identical replicas (DESIGN §3).

/** What one replica needs from GPUs. */
export type GpuDemand =
  | { kind: 'none' }
  /** `count` whole GPUs on one node. */
  | { kind: 'whole'; count: number }
  /** `milli` thousandths of one GPU, time-sliced with other tenants (1..999). */
  | { kind: 'share'; milli: number }
  /** One MIG instance of the named profile (placement by shape only). */
  | { kind: 'mig'; profile: string };

export interface ReplicaResources {
  cpuMilli: number;
  memoryBytes: number;
  gpu: GpuDemand;
  /** Allowed GPU models; empty or absent = any. */
  gpuModels?: readonly string[];
}

export interface TopologyRequest {
  within: 'nvlink-domain' | 'rack' | 'site';
  mode: 'required' | 'preferred';
}

export interface GangRequest {
  id: string;
  resources: ReplicaResources;
  replicas: number;
  /** Replicas that must be placed together for the gang to start; defaults to all. */
  minAvailable?: number;
  /** Higher runs first. */
  priority?: number;
  /** Virtual time the gang was submitted; older first among equal priority. */
  submittedAt?: number;
  topology?: TopologyRequest;
  /** Allowed sites (by name); empty or absent = any. */
  sites?: readonly string[];
  /**
   * Data residency: the only sites the gang's data may be processed in (empty = none), and the
   * rule that says so, for explanations. Absent = no residency rule.
   */
  residency?: { sites: readonly string[]; rule: string };
  /** The volumes every replica mounts: it runs only on a node that has them all. */
  volumes?: readonly VolumePlacement[];
  /** Nodes that already hold the image its replicas run: preferred among equally good nodes (image-locality). */
  imageNodes?: readonly string[];
  /** Queue (fair-share) the gang is charged to. */
  queue?: string;
  /** Tenant (project) the gang belongs to; gangs without one form a single anonymous tenant. */
  project?: string;
  /** How hard the tenant boundary is (see README "Isolation tiers"); absent = no tenant rules beyond sharing. */
  isolation?: IsolationTier;
  /** The tenant lets its time-shared GPUs be shared with other tenants (both sides must allow it). */
  allowSharing?: boolean;
  /** Declared longest run time; lets backfill start the gang in a reservation's gap. Absent = unknown. */
  maxRuntimeMs?: number;
  /** The reservation (of its project) it runs in: only on that booking's capacity, only while it is active. */
  reservation?: string;
  /** Its priority class lets it be preempted: it may use idle booked capacity shared with shareWhenIdle. */
  preemptible?: boolean;
  /** Its whole GPUs are passed through to a virtual machine (VFIO): only GPUs the node can pass through count. */
  passthrough?: boolean;
}

/** Capacity a reservation booked (the capacity calendar's booking), as the scheduler reads it. */
export interface BookedCapacity {
  /** "project/name". */
  id: string;
  project: string;
  name: string;
  /** The window [start, end), same unit as `now`. */
  start: number;
  end: number;
  shareWhenIdle?: boolean;
  /** GPUs booked per node; whole = the node itself. */
  nodes: readonly { node: string; gpus: number; whole?: boolean }[];
  /** GPUs the owner's work that asks for the reservation holds now, per node. */
  used?: Readonly<Record<string, number>>;
}

export type IsolationTier = 'shared' | 'mig' | 'dedicated' | 'exclusive-node';

/** Why a node was not feasible; one code per filter. */
export type RejectionReason =
  | 'NodeUnschedulable'
  | 'SiteNotAllowed'
  /** The node's site is outside the project's data residency (its countries, sites or data class). */
  | 'OutsideResidency'
  | 'GpuModelNotAllowed'
  | 'InsufficientCpu'
  | 'InsufficientMemory'
  | 'InsufficientGpu'
  | 'TopologyDomain'
  /** The node holds another tenant's exclusive-node work, or this exclusive-node gang would share it. */
  | 'NodeExclusive'
  /** The only GPUs with room are time-shared by a tenant that does not share with this one. */
  | 'GpuSharingNotAllowed'
  /** The node is held for a reservation this gang would delay (backfill). */
  | 'Reserved'
  /** A volume the replica mounts is not on the node (neither one of its nodes nor in one of its sites). */
  | 'VolumeNotOnNode'
  /** The node's free GPUs (or the whole node) are booked by a reservation this gang may not use. */
  | 'CapacityReserved'
  /** The gang runs in a reservation and the node is not part of it, or its booked GPUs there are taken. */
  | 'OutsideReservation'
  /** A VM asks for more whole GPUs than the node can pass through (the node reports the others' IOMMU groups are not isolated). */
  | 'GpuNotPassthrough';

/** Where a volume is: on these nodes (hostPath), or on every node of these sites (shared). */
export interface VolumePlacement {
  name: string;
  nodes: readonly string[] | null;
  sites: readonly string[] | null;
}

export interface ReplicaPlacement {
  replica: number;
  node: number;
  nodeName: string;
  /** Node-local GPU indices used (whole, share or MIG host GPU). */
  gpus: number[];
  /** MIG start slice when the request was a MIG profile. */
  migStart?: number;
  /** Per-scorer score of the chosen node (0–100 each) and the weighted total. */
  scores: Record<string, number>;
  total: number;
  /** How many nodes passed every filter. */
  feasibleNodes: number;
}

export interface UnplacedReplica {
  replica: number;
  /** Nodes rejected by each filter (a node counts once, under the first filter that rejects it). */
  rejected: Partial<Record<RejectionReason, number>>;
  /** Short human explanation, e.g. "0/1213 nodes fit: 1200 InsufficientGpu, 13 InsufficientCpu". */
  message: string;
}

export interface GangDecision {
  gangId: string;
  placed: boolean;
  /** Refused: the gang cannot fit even the empty fleet (reason Unsatisfiable); no preemption can help. */
  refused?: boolean;
  /** Placements when placed; empty when the gang was rolled back. */
  placements: ReplicaPlacement[];
  /** Replicas that could not be placed (only when not placed). */
  unplaced: UnplacedReplica[];
  /** One short human sentence saying why an unplaced gang waits (see explain.ts). */
  explanation?: string;
  /** The sentence's first part, what the gang asks for ("needs 2 replicas of 8×H100-80GB"). */
  needs?: string;
  /** The structured reasons behind `explanation`, most important first. */
  reasons?: SchedulingReason[];
  /** The topology domain asked for and whether the placement achieved it. */
  locality?: Locality;
  /** Backfill: when and where the head-of-line gang is expected to start. */
  reservation?: Reservation;
  /** Resources (per GPU model, or "cpu") this placement borrows from sibling queues. */
  borrowed?: Record<string, number>;
}

/** Codes: the RejectionReason codes, plus Unsatisfiable, IsolationMismatch, QueueQuota, QueuePosition, Reservation, Reserved, ReservationInactive. */
export interface SchedulingReason {
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface Locality {
  within: TopologyRequest['within'];
  mode: TopologyRequest['mode'];
  /** The domain the gang was placed in (or, unplaced, the best candidate). */
  domain?: string;
  /** True when every replica sits in one domain of the asked kind. */
  achieved: boolean;
}

export interface Reservation {
  /** Time (same unit as `now`) the gang is expected to fit, from running work's declared ends. */
  at: number;
  /** Nodes held for it until then. */
  nodes: string[];
}

export interface ScheduleResult {
  now: number;
  decisions: GangDecision[];
}
