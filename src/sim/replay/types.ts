// What a time-based replay takes and gives back. Times are virtual milliseconds from the start of
// the replay; nothing here reads the wall clock.
import type { GangRequest, NodeInput, PodShape } from '../../scheduler/index.js';
import type { ReservationSummary } from './booked-report.js';

/** One gang of the workload: when it arrives, how long it runs once started, where it queues. */
export interface ReplayGang {
  gang: GangRequest;
  /** Queue it is accounted to (fair-share tree leaf, or the trace's QoS class). */
  queue: string;
  /** Virtual ms it is submitted. */
  submitAt: number;
  /** How long it runs once all its replicas start; null = until the end of the replay. */
  durationMs: number | null;
  /** Grace between a stop request and the release of its resources; default from the options. */
  graceMs?: number;
  /** The replica's shape, for the fragmentation-aware policies' typical-pod set. */
  shape: PodShape;
}

/** A queue of the fair-share tree, as far as replay accounting needs it. */
export interface ReplayQueue {
  name: string;
  /** Parent queue; absent for a root. */
  parent?: string;
  /** Nominal GPUs: the queue's entitlement. Fairness compares GPU-time received with it. */
  nominalGpus: number;
  /** GPUs it may borrow from siblings above nominal; absent = unlimited. */
  borrowingLimitGpus?: number;
  /** GPUs of its nominal it may lend; absent = all. */
  lendingLimitGpus?: number;
  weight?: number;
}

/** Capacity booked ahead (a Reservation): `gpus` of a model or `nodes` whole nodes for [start, end). */
export interface ReplayReservation {
  name: string;
  project: string;
  gpus?: number;
  nodes?: number;
  model?: string;
  site?: string;
  rack?: string;
  /** Virtual ms; end is exclusive. */
  start: number;
  end: number;
  /** When it is booked (from then on it holds capacity against work that might overrun); default 0. */
  bookedAt?: number;
  shareWhenIdle?: boolean;
}

export interface ReplayInput {
  nodes: NodeInput[];
  gangs: ReplayGang[];
  /** Declared queues; queues that only appear on gangs get nominal 0. */
  queues?: ReplayQueue[];
  /** Reservations, booked in the capacity calendar before the replay starts. */
  reservations?: ReplayReservation[];
}

export interface ReplayOptions {
  policy: string;
  seed: number;
  /** Scheduling cycles run on multiples of this when something changed; 0 = at once. Default 10 s. */
  cycleMs?: number;
  /** Default grace of a preemption (stop request → release). Default 30 s. */
  graceMs?: number;
  /** Stop the replay at this virtual time; default: when the last event is processed. */
  untilMs?: number;
  /** Preempt lower-priority gangs for higher-priority pending ones (default true). */
  preemption?: boolean;
  /** Give the declared queues to the scheduler (ordering, quota admission, reclaim). Default true. */
  fairShare?: boolean;
  /** Give the scheduler the running work's declared ends (maxRuntime), for backfill. Default true. */
  backfill?: boolean;
  /** Timeline buckets (default 200). */
  buckets?: number;
  /** Called every `progressEvery` processed events with the virtual time and counts. */
  onProgress?: (p: ReplayProgress) => void;
  progressEvery?: number;
}

export interface ReplayProgress {
  now: number;
  events: number;
  arrived: number;
  total: number;
  running: number;
  pending: number;
}

/** What happened to one gang. */
export interface GangOutcome {
  id: string;
  queue: string;
  priority: number;
  /** GPUs the gang holds when running (sum over replicas; a MIG slice counts as its share). */
  gpus: number;
  submitAt: number;
  /** First start; null if it never started. */
  startedAt: number | null;
  /** Completion; null if it did not finish before the end. */
  finishedAt: number | null;
  /** Times it was started (1 + restarts after preemption). */
  attempts: number;
  preemptions: number;
  /** Nodes of its last start, one entry per replica. */
  nodes: string[];
  /** The scheduler's last explanation while it was pending, when it never started. */
  lastReason?: string;
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface QueueStats {
  queue: string;
  submitted: number;
  started: number;
  completed: number;
  /** Gangs still pending or running at the end. */
  unfinished: number;
  /** Times a gang of this queue was preempted. */
  preemptions: number;
  /** Queueing delay (first start − submit), seconds, over gangs that started. */
  waitSeconds: Percentiles;
  /** Job completion time (finish − submit), seconds, over gangs that completed. */
  jctSeconds: Percentiles;
  gpuHours: number;
  /** GPU-hours thrown away by preemption (work redone after a restart). */
  lostGpuHours: number;
  /** Share of all GPU-time received, 0..1. */
  share: number;
  /** Share it is entitled to: nominal / Σ nominal (0 when no queue declares a nominal). */
  entitled: number;
  /** share / entitled; null when entitled is 0. */
  fairness: number | null;
}

/** One timeline bucket: means over [t, t + width). */
export interface TimelinePoint {
  t: number;
  utilisationPct: number;
  allocatedGpus: number;
  pending: number;
  running: number;
  /** Mean GPUs held per queue, in `queues` order. */
  byQueue: number[];
}

export interface ReplayResult {
  policy: string;
  seed: number;
  /** Virtual ms covered: 0..end. */
  end: number;
  capacityGpus: number;
  /** Gangs of the input due after the end (left out of every statistic). */
  notArrived: number;
  events: number;
  cycles: number;
  queues: string[];
  /** Mean GPU utilisation over the whole replay, %. */
  utilisationPct: number;
  /** Mean GPU utilisation from the first arrival to the last, % (the window a load is offered in). */
  arrivalWindow: { from: number; to: number; utilisationPct: number };
  overall: QueueStats;
  byQueue: QueueStats[];
  /** Jain's index over per-queue fairness ratios (1 = every queue got exactly its entitlement). */
  jainIndex: number | null;
  timeline: TimelinePoint[];
  gangs: GangOutcome[];
  /** With reservations: what they booked, what their owners used, what backfill recovered. */
  reservations?: ReservationSummary;
}
