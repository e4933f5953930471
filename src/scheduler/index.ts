// Public surface of the scheduler library.
export * from './types.js';
export * from './rng.js';
export { Snapshot, type NodeInput, type NodeDelta, GPU_MILLI } from './snapshot.js';
export { schedule, orderGangs, type SchedulerConfig } from './cycle.js';
export { placementDelta } from './placement-delta.js';
export { createPolicy, isPolicyName, POLICY_NAMES, type PolicyName, type PolicyOptions } from './policies.js';
export type { Policy, WeightedScorer } from './policy.js';
export type { Scorer, ScoreContext } from './scorers/scorer.js';
export type { Filter } from './filters/filter.js';
export { DEFAULT_FILTERS } from './filters/index.js';
export { typicalPods, type PodShape, type TypicalPod } from './typical-pods.js';
export { FragmentationMeasure } from './fragmentation.js';
export { StrandingAwareFragmentation, cpuPerMilliGpu } from './stranding.js';
export { judgeStranding, strandingVerdict, StrandingTrial, STRANDING_MARGIN, type StrandingVerdict } from './weft-calibration.js';
export { findVictims, lostGpuTime, type RunningGang, type RunningReplica, type PreemptionPlan, type PreemptionOptions } from './preemption.js';
export * from './fairshare/index.js';
export { Backfill, type BackfillConfig, type BackfillRunning, type HeldReservation } from './backfill.js';
export { explainDecision, explainUnplaced, explanationText, needsText, formatIn, queuePositionReason, withReason, type ExplainContext } from './explain.js';
