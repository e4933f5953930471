// Where each waiting workload stands in its queue, as of the scheduling loop's latest cycle. The
// position is not stored on the workload (every placement ahead would rewrite every workload
// behind it); the loop keeps it here, in memory, and the API puts it into the "why pending" it
// serves (`status.scheduling.details` and `.explanation`). Only the leader's process has
// positions; elsewhere, or before the first cycle, readers get the stored reasons without one.
import type { Resource } from '../model/metadata.js';
import { explanationText, queuePositionReason, withReason, type GangDecision, type SchedulingReason } from '../scheduler/index.js';

export interface QueuePosition {
  /** Gangs of the same queue ordered ahead of this one that are waiting too. */
  ahead: number;
  queue?: string;
}

const keyOf = (o: Resource): string => `${o.kind}/${o.metadata.project ?? ''}/${o.metadata.name}`;

export class QueuePositions {
  private byKey = new Map<string, { uid: string | undefined; position: QueuePosition }>();

  /** Replaces every position with one cycle's (workloads absent from it wait at the front or not at all). */
  replace(entries: Iterable<[Resource, QueuePosition]>): void {
    const next = new Map<string, { uid: string | undefined; position: QueuePosition }>();
    for (const [w, position] of entries) next.set(keyOf(w), { uid: w.metadata.uid, position });
    this.byKey = next;
  }

  clear(): void {
    this.byKey = new Map();
  }

  get(w: Resource): QueuePosition | undefined {
    const e = this.byKey.get(keyOf(w));
    return e && e.uid === w.metadata.uid ? e.position : undefined;
  }

  /** `obj` as a reader should see it: a waiting workload's stored reasons with its live position. */
  present(obj: Resource): Resource {
    const sched = obj.status?.scheduling as { needs?: unknown; details?: SchedulingReason[] } | undefined;
    if (!sched || typeof sched.needs !== 'string') return obj;
    const pos = this.get(obj);
    const reason = pos && queuePositionReason(pos.ahead, pos.queue);
    if (!reason) return obj;
    const details = withReason(Array.isArray(sched.details) ? sched.details : [], reason);
    const scheduling = { ...sched, details, explanation: explanationText(sched.needs, details) };
    return { ...obj, status: { ...obj.status, scheduling } };
  }
}

/** Each unplaced gang's place in its queue, from the QueuePosition reason the scheduler gave it. */
export function* positionsOf(decisions: readonly GangDecision[], workloadOf: (gangId: string) => Resource): Iterable<[Resource, QueuePosition]> {
  for (const dec of decisions) {
    const data = dec.placed ? undefined : dec.reasons?.find((r) => r.code === 'QueuePosition')?.data;
    if (!data || typeof data['ahead'] !== 'number') continue;
    const queue = typeof data['queue'] === 'string' ? data['queue'] : undefined;
    yield [workloadOf(dec.gangId), { ahead: data['ahead'], ...(queue !== undefined ? { queue } : {}) }];
  }
}
