// The fleet summary on the wire (GET /api/v1/summary): the numbers an overview shows, computed by
// the server in one pass over its own tables instead of by every viewer listing every object.

/** GPUs of one model at one site. Units are GPUs; a share or a MIG slice counts its fraction. */
export interface SummaryGpus {
  model: string;
  site: string;
  total: number;
  /** GPU capacity held by active allocations. */
  allocated: number;
  /** Free capacity stranded on partly used GPUs: only shares or MIG slices can use it. */
  fragmented: number;
  /** GPUs nothing holds. */
  free: number;
}

/** Nodes by lifecycle state (Ready, NotReady…) and whether operators took them out of service. */
export interface SummaryNodes {
  state: string;
  /** Cordoned: spec.unschedulable. */
  cordoned: boolean;
  /** A drain was asked for (annotation weft.dev/drain-requested). */
  draining: boolean;
  count: number;
}

/** Workloads of one kind, project, phase and queue ("" when none is named). */
export interface SummaryWorkloads {
  kind: string;
  project: string;
  /** status.phase; "Pending" before the first status is written. */
  phase: string;
  queue: string;
  count: number;
}

/** GPUs held by active allocations of one project and model. */
export interface SummaryHeld {
  project: string;
  model: string;
  /** Milli-GPUs / 1000: a share its fraction, a MIG instance its compute slices of 7. */
  gpus: number;
}

export interface FleetSummary {
  /** The store version the figures reflect. */
  resourceVersion: string;
  /** When the server computed them (RFC 3339). */
  generatedAt: string;
  /** The whole fleet's GPUs: node hardware is visible to every signed-in user. */
  gpus: SummaryGpus[];
  nodes: SummaryNodes[];
  /** Only the projects the caller may read. */
  workloads: SummaryWorkloads[];
  /** Only the projects the caller may read. */
  held: SummaryHeld[];
}
