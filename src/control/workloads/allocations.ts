// Reading and steering a workload's Allocations (docs/lifecycle.md). Controllers never change an
// allocation's phase — the provider does; they only ask for a stop through status.stopRequested.
import { allocationPhase, isActiveAllocation } from '../../model/allocation-rules.js';
import type { AllocationPhase, AllocationSpec } from '../../model/kinds/allocation.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import type { WorkloadKind } from './types.js';

export const LABEL_KIND = 'weft.dev/workload-kind';
export const LABEL_WORKLOAD = 'weft.dev/workload';

/** Seconds a replica gets to exit after a stop request, unless a caller says otherwise. */
export const DEFAULT_GRACE_SECONDS = 30;

/** The grace a workload gives its replicas to stop: spec.terminationGracePeriodSeconds, else 30 s. */
export function graceOf(workload: Resource | undefined): number {
  const g = (workload?.spec as { terminationGracePeriodSeconds?: unknown } | undefined)?.terminationGracePeriodSeconds;
  return typeof g === 'number' && Number.isInteger(g) && g >= 0 ? g : DEFAULT_GRACE_SECONDS;
}

export interface StopRequest {
  reason: string;
  at: string;
  graceSeconds: number;
}

export function allocSpec(a: Resource): AllocationSpec {
  return a.spec as unknown as AllocationSpec;
}

/** A freshly created allocation has no status yet: it is Bound. */
export function phaseOf(a: Resource): AllocationPhase {
  return allocationPhase(a) as AllocationPhase;
}

export const isActive = isActiveAllocation;

export function stopRequested(a: Resource): StopRequest | undefined {
  const s = a.status?.stopRequested;
  return s && typeof s === 'object' ? (s as StopRequest) : undefined;
}

export function attemptOf(a: Resource): number {
  return allocSpec(a).attempt;
}

/** A single-replica workload's current attempt (DevEnvironment, VirtualMachine), from its status. */
export function statusAttempt(w: Resource): number {
  return typeof w.status?.attempt === 'number' ? w.status.attempt : 0;
}

export function replicaOf(a: Resource): number {
  return allocSpec(a).replica;
}

/** Asks the provider to stop `a`; a no-op when it is not active or a stop was already asked. */
export async function requestStop(tx: StoreTx, a: Resource, reason: string, now: Date, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<boolean> {
  if (!isActive(a) || stopRequested(a)) return false;
  const stop: StopRequest = { reason, at: now.toISOString(), graceSeconds };
  await tx.update({ ...a, status: { ...(a.status ?? {}), stopRequested: stop } }, { resourceVersion: a.metadata.resourceVersion });
  return true;
}

/** The owner an allocation names, as a store key. */
export function ownerKey(a: Resource): { kind: WorkloadKind; project: string; name: string } {
  const w = allocSpec(a).workload;
  return { kind: w.kind, project: a.metadata.project ?? '', name: w.name };
}

/** Placement summary for `weft get` / `describe`: which node and GPUs each replica holds. */
export function placementOf(allocs: readonly Resource[]): { replica: number; node: string; gpus: number[] }[] {
  return allocs.map((a) => ({ replica: replicaOf(a), node: allocSpec(a).node, gpus: allocSpec(a).gpus.map((g) => g.index) }));
}
