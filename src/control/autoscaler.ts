// Service autoscaling, the decision: how many replicas a Service should run given the load the
// gateway sees. Pure (time comes in as a number), so tests drive it with a manual clock.
//
//   raw        = max(ceil(inFlight / targetInFlight), ceil(metric / metric.target))
//   bounds     = [max(min, 1), max]; 0 only when min is 0 and the Service has been idle for
//                scaleToZeroAfterSeconds
//   stabilised = like the Kubernetes HPA's behaviour: scale up only to the LOWEST recommendation
//                of the scale-up window, down only to the HIGHEST of the scale-down window, so a
//                short spike or a short lull does not move the replica count.
// Scaling from zero skips the scale-up window: a request is being held until a replica is ready.
import type { ServiceAutoscaling } from '../model/kinds/service.js';

export const DEFAULT_TARGET_IN_FLIGHT = 4;
export const DEFAULT_SCALE_UP_WINDOW_S = 0;
export const DEFAULT_SCALE_DOWN_WINDOW_S = 300;

/** What the autoscaler knows about one Service's load at one moment. */
export interface LoadSample {
  /** Requests in flight at the gateway (mean over the last sampling interval), held ones included. */
  inFlight: number;
  /** Requests in flight right now; a non-zero value means the Service is not idle. */
  inFlightNow: number;
  /** The latest pushed value of spec.autoscaling.metric, when fresh. */
  metric?: number;
}

export interface ScaleInput {
  autoscaling: ServiceAutoscaling;
  min: number;
  max: number;
  /** Replicas the Service is asked to run now (status.desiredReplicas or replicas.min). */
  current: number;
  load: LoadSample;
  /** Milliseconds since the epoch. */
  now: number;
}

/** Per-Service memory between decisions: recent recommendations and when load was last seen. */
export interface ScaleState {
  recommendations: { at: number; replicas: number }[];
  lastActiveAt?: number;
}

export interface ScaleDecision {
  desired: number;
  /** The unstabilised recommendation. */
  recommended: number;
  /** One human sentence: why this count. */
  reason: string;
  state: ScaleState;
}

export function emptyScaleState(): ScaleState {
  return { recommendations: [] };
}

function describeLoad(a: ServiceAutoscaling, load: LoadSample): string {
  const parts = [`${round(load.inFlight)} requests in flight (target ${a.targetInFlight ?? DEFAULT_TARGET_IN_FLIGHT} per replica)`];
  if (a.metric && load.metric !== undefined) parts.push(`${a.metric.name} ${round(load.metric)} (target ${a.metric.target} per replica)`);
  return parts.join(', ');
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** Replicas the load asks for, before bounds and stabilisation. */
export function rawRecommendation(a: ServiceAutoscaling, load: LoadSample): number {
  const target = a.targetInFlight ?? DEFAULT_TARGET_IN_FLIGHT;
  let want = Math.ceil(load.inFlight / target - 1e-9);
  if (a.metric && load.metric !== undefined) want = Math.max(want, Math.ceil(load.metric / a.metric.target - 1e-9));
  return Math.max(0, want);
}

export function decideScale(input: ScaleInput, prev: ScaleState): ScaleDecision {
  const { autoscaling: a, now, load } = input;
  const max = Math.max(input.max, input.min, 1);
  const busy = load.inFlightNow > 0 || load.inFlight > 0 || (load.metric ?? 0) > 0;
  const lastActiveAt = busy || prev.lastActiveAt === undefined ? now : prev.lastActiveAt;
  const upWindow = (a.scaleUpStabilizationSeconds ?? DEFAULT_SCALE_UP_WINDOW_S) * 1000;
  const downWindow = (a.scaleDownStabilizationSeconds ?? DEFAULT_SCALE_DOWN_WINDOW_S) * 1000;

  const raw = rawRecommendation(a, load);
  const floor = Math.max(input.min, 1);
  const recommended = Math.min(Math.max(raw, floor), max);
  const keepFor = Math.max(upWindow, downWindow);
  // A window of w ms holds the recommendations made in (now - w, now]: always the current one.
  const recommendations = [...prev.recommendations.filter((r) => r.at < now && now - r.at < keepFor), { at: now, replicas: recommended }];
  const state: ScaleState = { recommendations, lastActiveAt };
  const inWindow = (w: number) => recommendations.filter((r) => r.at === now || now - r.at < w).map((r) => r.replicas);

  // Scale to zero: the idle period is this decision's own stabilisation.
  const idleMs = now - lastActiveAt;
  if (input.min === 0 && a.scaleToZeroAfterSeconds !== undefined && !busy && idleMs >= a.scaleToZeroAfterSeconds * 1000) {
    const reason = input.current === 0 ? 'scaled to zero: idle' : `no load for ${Math.round(idleMs / 1000)}s (scale to zero after ${a.scaleToZeroAfterSeconds}s)`;
    return { desired: 0, recommended: 0, reason, state };
  }
  // Already at zero with nothing to do: stay there until a request arrives.
  if (input.min === 0 && input.current === 0 && !busy) return { desired: 0, recommended: 0, reason: 'scaled to zero: idle', state };
  // Scale from zero: a request is waiting; do not make it wait for a window too.
  if (input.current === 0 && busy) {
    return { desired: recommended, recommended, reason: `scaling from zero: ${describeLoad(a, load)}`, state };
  }

  const upTo = Math.min(...inWindow(upWindow));
  const downTo = Math.max(...inWindow(downWindow));
  let desired = input.current;
  if (input.current < upTo) desired = upTo;
  else if (input.current > downTo) desired = downTo;
  desired = Math.min(Math.max(desired, floor), max);
  let reason: string;
  if (desired > input.current) reason = `${describeLoad(a, load)} asks for ${desired}`;
  else if (desired < input.current) reason = `${describeLoad(a, load)}; highest recommendation over the last ${downWindow / 1000}s is ${desired}`;
  else if (recommended !== desired) reason = `held at ${desired} by the ${recommended > desired ? 'scale-up' : 'scale-down'} stabilisation window (recommendation ${recommended})`;
  else reason = `${describeLoad(a, load)}`;
  return { desired, recommended, reason, state };
}
