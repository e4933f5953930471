// Rules about allocations that every layer shares: when an allocation is active (holds its node's
// resources), and what it weighs in GPUs. Plain data and functions with no schema library, so the
// console can import them as they are.
//
// GPU weight, in milli-GPU (thousandths of one GPU), the unit quotas, fair share, metering,
// metrics, `weft top` and the console all count in:
//   a whole GPU    1000
//   a share        its milli (spec.resources.gpu.share × 1000)
//   a MIG instance its compute slices out of the GPU's 7, rounded down: floor(1000 × g / 7) for
//                  a "<g>g.…" profile — 142, 285, 428, 571, 1000 for 1g, 2g, 3g, 4g, 7g
// Compute slices, not memory slices (8 per GPU): a GPU whose compute slices are all in use then
// counts as (nearly) one whole GPU — seven 1g instances leave no compute, though by memory they
// would leave an eighth free — and the weight is what a tenant gets to run on, which is what
// quotas charge and metering bills. Rounded down so the instances one GPU can hold never weigh
// more than that GPU: a quota of N GPUs admits whatever fits on N GPUs. Placement writes the
// weight into each allocated GPU's `milli`, so a reader of allocations only sums `milli`.

/** Phases in which an allocation still holds its node's resources. */
export const ACTIVE_ALLOCATION_PHASES = ['Bound', 'Running', 'Stopping'] as const;
/** Terminal phases: the resources are released. */
export const TERMINAL_ALLOCATION_PHASES = ['Succeeded', 'Failed', 'Lost', 'Preempted', 'Stopped'] as const;
export type AllocationPhase = (typeof ACTIVE_ALLOCATION_PHASES)[number] | (typeof TERMINAL_ALLOCATION_PHASES)[number];

/** What a provider asks a replica to stop with (written by controllers into status.stopRequested). */
export interface StopRequestView {
  reason?: string;
  at?: string;
  graceSeconds?: number;
}

/** The fields of an allocation's status that the providers executing it read and write. */
export interface AllocationStatusView {
  phase?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  message?: string;
  stopRequested?: StopRequestView;
  [key: string]: unknown;
}

const ACTIVE: ReadonlySet<unknown> = new Set(ACTIVE_ALLOCATION_PHASES);

/** An allocation's phase; one the scheduler has just written has none yet and is Bound. */
export function allocationPhase(a: { status?: Record<string, unknown> }): string {
  const p = a.status?.phase;
  return typeof p === 'string' ? p : 'Bound';
}

/** Whether an allocation holds its node's resources (the GPU ledger in the store agrees). */
export function isActiveAllocation(a: { status?: Record<string, unknown> }): boolean {
  return ACTIVE.has(allocationPhase(a));
}

export const GPU_MILLI = 1000;
/** Compute slices of a MIG-capable GPU (A100, H100, H200, …). */
export const MIG_COMPUTE_SLICES = 7;

/** Milli-GPU a MIG instance weighs, from its profile ("3g.40gb" → 428); 1 compute slice when unreadable. */
export function migMilli(profile: string): number {
  const g = /^(\d+)g\./.exec(profile);
  const slices = g ? Number(g[1]) : 1;
  return Math.max(1, Math.min(GPU_MILLI, Math.floor((slices * GPU_MILLI) / MIG_COMPUTE_SLICES)));
}

/** A GPU request as a workload states it (spec.resources.gpu). */
export type GpuAsk = { count: number } | { share: number } | { mig: string };

/** Milli-GPU one replica's GPU request weighs. */
export function requestMilli(gpu: GpuAsk | undefined): number {
  if (!gpu) return 0;
  if ('count' in gpu) return gpu.count * GPU_MILLI;
  if ('share' in gpu) return Math.round(gpu.share * GPU_MILLI);
  return migMilli(gpu.mig);
}

/** Milli-GPU an allocation holds: the sum of its GPUs' `milli`. */
export function allocationMilli(spec: { gpus?: readonly { milli?: number }[] } | Record<string, unknown>): number {
  const gpus = (spec as { gpus?: unknown }).gpus;
  if (!Array.isArray(gpus)) return 0;
  let milli = 0;
  for (const g of gpus) milli += typeof (g as { milli?: unknown }).milli === 'number' ? (g as { milli: number }).milli : 0;
  return milli;
}
