// What of a DevEnvironment the scheduling loop should place: its one replica, when it is Pending
// (not suspended, not idle, not backing off) and nothing of the current attempt holds resources.
import type { DevEnvironmentSpec } from '../../model/kinds/dev-environment.js';
import type { Resource } from '../../model/metadata.js';
import { attemptOf, placementOf, statusAttempt } from './allocations.js';
import { parseTime } from './backoff.js';
import { baseDemand } from './demand.js';
import type { PlacementDemand, WorkloadAdapter } from './types.js';

export const devenvAttempt = statusAttempt;

export const devenvAdapter: WorkloadAdapter = {
  kind: 'DevEnvironment',
  demand(dev: Resource, active: readonly Resource[], now: Date): PlacementDemand | null {
    const spec = dev.spec as unknown as DevEnvironmentSpec;
    const phase = dev.status?.phase ?? 'Pending';
    if (phase !== 'Pending' || spec.suspend === true || dev.metadata.deletionTimestamp) return null;
    const retry = parseTime(dev.status?.nextRetryTime);
    if (retry !== undefined && retry > now.getTime()) return null;
    const attempt = devenvAttempt(dev);
    // Anything still holding resources (even a stopping older attempt) means: wait for it.
    if (active.length > 0) return null;
    const since = parseTime(dev.status?.pendingSince) ?? Date.parse(dev.metadata.creationTimestamp);
    return { ...baseDemand(dev, since), attempt, replicas: [0], minAvailable: 1 };
  },
  statusOnBound(dev: Resource, placed: readonly Resource[], now: Date): Record<string, unknown> {
    const cur = placed.filter((a) => attemptOf(a) === devenvAttempt(dev));
    return { ...(dev.status ?? {}), phase: 'Admitted', admittedTime: now.toISOString(), placement: placementOf(cur) };
  },
};
