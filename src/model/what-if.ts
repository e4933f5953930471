// The what-if answer on the wire (`GET …/{name}/explain`, `POST /api/v1/explain`; docs/api.md,
// "What-if"): where and when a workload would start, as the scheduling loop would decide it.

/** One replica's place. */
export interface WhatIfPlacement {
  replica: number;
  node: string;
  /** GPU indices on the node. */
  gpus: number[];
}

/** Workloads an answer refers to: named when the caller may read them, else only counted. */
export interface WorkloadRefs {
  named: { kind: string; project: string; name: string }[];
  /** How many more, in projects the caller may not read. */
  others: number;
}

export interface WhatIfAnswer {
  workload: { kind: string; project: string; name: string };
  evaluatedAt: string;
  /** `pending`: the stored workload in its place in line; `copy`: a fresh copy submitted now. */
  asked: 'pending' | 'copy';
  replicas: number;
  /** now: a cycle now places it; preempts: after its victims stop; later: as running work ends; never: not within what is known. */
  outcome: 'now' | 'preempts' | 'later' | 'never';
  /** When it would start (RFC 3339); absent when that cannot be predicted. */
  startsAt?: string;
  placements: WhatIfPlacement[];
  /** The loop's "why pending" for a cycle now (as status.scheduling), when it would not be placed now. */
  scheduling?: Record<string, unknown>;
  /** Running gangs the loop would ask to stop for it, with why. */
  preempts?: WorkloadRefs & { reasons: string[] };
  /** Running work it waits for (ends before it starts, on the nodes it gets). */
  waitsFor?: WorkloadRefs;
  /** Pending work placed before it. */
  ahead?: WorkloadRefs;
  /** What the prediction assumes. */
  assumptions: string[];
}
