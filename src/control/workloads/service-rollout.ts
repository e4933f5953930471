// Rolling-update arithmetic for Services, shared by the adapter (how many new replicas to ask the
// scheduling loop for) and the controller (which replicas to retire), so both read the same
// numbers off the same store state. Like a Kubernetes Deployment, but the surge bound counts
// every allocation still holding resources — stopping ones included — because GPUs are the
// scarce thing: at most desired + maxSurge allocations hold GPUs at any moment.
import type { ServiceSpec } from '../../model/kinds/service.js';
import type { Resource } from '../../model/metadata.js';
import { attemptOf, isActive, phaseOf, replicaOf, stopRequested } from './allocations.js';

/** Allocation attempt = the Service generation the replica runs, so old and new are told apart. */
export function generationOf(svc: Resource): number {
  return svc.metadata.generation;
}

export interface RolloutBounds {
  maxSurge: number;
  maxUnavailable: number;
}

export function rolloutBounds(spec: ServiceSpec): RolloutBounds {
  const maxSurge = spec.rollout?.maxSurge ?? 1;
  const maxUnavailable = spec.rollout?.maxUnavailable ?? 0;
  // Admission refuses 0/0 (no way to make progress); a stored one still rolls, one at a time.
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge, maxUnavailable };
}

/**
 * Replicas wanted now: status.desiredReplicas when something (the autoscaler, autoscaler-controller.ts)
 * set it, else replicas.min — always within [min, max].
 */
export function desiredReplicas(svc: Resource): number {
  const spec = svc.spec as unknown as ServiceSpec;
  const min = spec.replicas?.min ?? 1;
  const max = Math.max(spec.replicas?.max ?? min, min);
  const asked = svc.status?.desiredReplicas;
  const want = typeof asked === 'number' && Number.isInteger(asked) ? asked : min;
  return Math.min(Math.max(want, min), max);
}

/** Readiness is "the allocation is Running" until the agent's HTTP probe (spec.readiness) lands. */
export function isReady(a: Resource): boolean {
  return phaseOf(a) === 'Running' && !stopRequested(a);
}

export interface RolloutPlan {
  desired: number;
  /** New-generation replicas to place now. */
  create: number;
  /** Allocations to stop now (old generation, or surplus). */
  retire: Resource[];
  /** Allocations holding resources (stopping ones included). */
  holding: number;
  ready: number;
  readyNew: number;
  /** Old-generation allocations not yet asked to stop. */
  oldLive: number;
  newLive: number;
}

/** Not-ready first (retiring those costs no availability), then the newest replica first. */
function retireOrder(a: Resource, b: Resource): number {
  return Number(isReady(a)) - Number(isReady(b)) || replicaOf(b) - replicaOf(a);
}

export function planRollout(svc: Resource, allocs: readonly Resource[]): RolloutPlan {
  const spec = svc.spec as unknown as ServiceSpec;
  const gen = generationOf(svc);
  const { maxSurge, maxUnavailable } = rolloutBounds(spec);
  const desired = desiredReplicas(svc);
  const active = allocs.filter(isActive);
  const live = active.filter((a) => !stopRequested(a));
  const newLive = live.filter((a) => attemptOf(a) === gen);
  const oldLive = live.filter((a) => attemptOf(a) !== gen);
  const ready = live.filter(isReady).length;
  const readyNew = newLive.filter(isReady).length;

  const retire: Resource[] = [];
  // Surplus of the current generation (a scale-down).
  const surplus = [...newLive].sort(retireOrder).slice(0, Math.max(0, newLive.length - desired));
  retire.push(...surplus);
  // Old generation: not-ready ones go at once; ready ones only while availability stays at
  // desired - maxUnavailable, counting the surplus just retired.
  let readyLeft = ready - surplus.filter(isReady).length;
  const floor = Math.max(0, desired - maxUnavailable);
  for (const a of [...oldLive].sort(retireOrder)) {
    if (!isReady(a)) retire.push(a);
    else if (readyLeft > floor) {
      retire.push(a);
      readyLeft--;
    }
  }
  const create = Math.max(0, Math.min(desired - newLive.length, desired + maxSurge - active.length));
  return { desired, create, retire, holding: active.length, ready, readyNew, oldLive: oldLive.length, newLive: newLive.length };
}
