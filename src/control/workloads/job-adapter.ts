// What the scheduling loop needs to know about Jobs: when a Job needs placing (the whole gang of
// its current attempt) and what its status becomes once placed. The Job controller owns every
// other transition (docs/lifecycle.md).
import type { Resource } from '../../model/metadata.js';
import type { JobSpec } from '../../model/kinds/job.js';
import { placementOf } from './allocations.js';
import { readConditions, setCondition } from './conditions.js';
import { baseDemand } from './demand.js';
import type { PlacementDemand, WorkloadAdapter } from './types.js';

function attemptOf(status: Record<string, unknown> | undefined): number {
  const a = status?.attempt;
  return typeof a === 'number' && Number.isInteger(a) && a >= 0 ? a : 0;
}

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export const jobAdapter: WorkloadAdapter = {
  kind: 'Job',

  demand(job: Resource, active: readonly Resource[], now: Date): PlacementDemand | null {
    const spec = job.spec as unknown as JobSpec;
    const status = job.status;
    const phase = status?.phase;
    if (phase !== undefined && phase !== 'Pending') return null;
    if (spec.suspend === true || job.metadata.deletionTimestamp !== undefined) return null;
    const retryAt = timeOf(status?.nextRetryTime);
    if (retryAt !== undefined && now.getTime() < retryAt) return null;
    const attempt = attemptOf(status);
    if (active.some((a) => (a.spec as { attempt?: number }).attempt === attempt)) return null;
    const replicas = spec.replicas ?? 1;
    const pendingSince = retryAt ?? timeOf(status?.pendingSince) ?? timeOf(job.metadata.creationTimestamp) ?? now.getTime();
    return {
      ...baseDemand(job, pendingSince, 'dedicated'),
      attempt,
      replicas: Array.from({ length: replicas }, (_, i) => i),
      minAvailable: Math.min(spec.gang?.minAvailable ?? replicas, replicas),
    };
  },

  // Only a Pending Job asks for anything, and only its backoff makes time matter; every other
  // transition (Pending again after a failure, resume, deletion) is a write the loop sees.
  settled(job: Resource): boolean {
    const phase = job.status?.phase;
    return (phase !== undefined && phase !== 'Pending') || (job.spec as unknown as JobSpec).suspend === true || job.metadata.deletionTimestamp !== undefined;
  },

  statusOnBound(job: Resource, placed: readonly Resource[], now: Date): Record<string, unknown> {
    const { scheduling: _pending, ...status } = job.status ?? {};
    const attempt = placed.length > 0 ? (placed[0]!.spec as { attempt: number }).attempt : attemptOf(job.status);
    const nodes = [...new Set(placed.map((a) => (a.spec as { node: string }).node))];
    return {
      ...status,
      phase: 'Admitted',
      attempt,
      admittedTime: now.toISOString(),
      placement: placementOf(placed),
      conditions: setCondition(
        readConditions(job.status),
        { type: 'Admitted', status: 'True', reason: 'Scheduled', message: `${placed.length} replica(s) bound to ${nodes.join(', ')}` },
        now,
      ),
    };
  },
};
