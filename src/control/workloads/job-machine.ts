// The Job state machine (docs/lifecycle.md), as a pure function of the Job, its allocations and
// the time: what the status becomes, which allocations to stop, and when to look again. The
// controller (job-controller.ts) applies the decision in one transaction.
//
//   Pending ──(loop binds)──▶ Admitted ──all running──▶ Running ──all succeeded──▶ Succeeded
//      ▲                         │  one Failed/Lost: stop the rest of the attempt,     │
//      └──── backoff, attempt+1 ─┤  retry while failures ≤ backoffLimit, else Failed  │
//      ▲                         │  one Preempted/Stopped: stop the rest ▶ Preempted   │
//      └──── attempt+1 ◀─────────┘  (not a failure), then Pending                      │
//   any unfinished ──spec.suspend──▶ Suspended ──resume──▶ Pending (attempt+1)          ▼
//   any unfinished ──activeDeadlineSeconds──▶ Failed (DeadlineExceeded)       TTL ▶ deleted
import type { JobSpec } from '../../model/kinds/job.js';
import type { Resource } from '../../model/metadata.js';
import { attemptOf, isActive, phaseOf, replicaOf } from './allocations.js';
import { backoffDelayMs, parseTime } from './backoff.js';
import { readConditions, setCondition, type Condition } from './conditions.js';
import type { WorkloadEvent } from './apply.js';

export const DEFAULT_BACKOFF_LIMIT = 6;
export type JobPhase = 'Pending' | 'Admitted' | 'Running' | 'Succeeded' | 'Failed' | 'Preempted' | 'Suspended';

export interface JobDecision {
  status: Record<string, unknown>;
  stops: { alloc: Resource; reason: string }[];
  /** Delete the Job and every allocation it owns (TTL after finishing). */
  deleteAll: boolean;
  events: WorkloadEvent[];
  requeueAt?: Date;
}

export function isFinished(phase: unknown): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function decideJob(job: Resource, allocs: readonly Resource[], now: Date): JobDecision {
  const spec = job.spec as unknown as JobSpec;
  const st: Record<string, unknown> = { ...(job.status ?? {}) };
  const phase = (st.phase as JobPhase | undefined) ?? 'Pending';
  const attempt = typeof st.attempt === 'number' ? st.attempt : 0;
  const failures = typeof st.failures === 'number' ? st.failures : 0;
  st.phase = phase;
  st.attempt = attempt;
  st.failures = failures;
  let conditions: Condition[] = readConditions(job.status);
  const d: JobDecision = { status: st, stops: [], deleteAll: false, events: [] };
  // A fresh Job is Pending by definition; writing that down would only race the scheduling
  // loop's first bind (it skips a workload whose version moved), so leave it untouched.
  if (job.status === undefined && allocs.length === 0 && spec.suspend !== true) return { ...d, status: {} };
  const iso = now.toISOString();
  const active = allocs.filter(isActive);
  const cur = allocs.filter((a) => attemptOf(a) === attempt);
  const stopAll = (reason: string) => active.forEach((alloc) => d.stops.push({ alloc, reason }));
  const cond = (type: string, status: 'True' | 'False', reason?: string, message?: string) => {
    conditions = setCondition(conditions, { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }, now);
  };
  const wake = (t: number) => {
    if (!d.requeueAt || t < d.requeueAt.getTime()) d.requeueAt = new Date(t);
  };
  const finish = (result: 'Succeeded' | 'Failed', reason: string, message: string) => {
    st.phase = result;
    st.completionTime = iso;
    st.reason = reason;
    st.message = message;
    delete st.nextRetryTime;
    cond('Running', 'False', reason);
    cond('Finished', 'True', reason, message);
    d.events.push({ type: result === 'Succeeded' ? 'Normal' : 'Warning', reason, message });
  };
  const done = () => {
    st.conditions = conditions;
    return d;
  };

  // Replicas of an attempt that was superseded (restart, preemption) must not keep running.
  for (const alloc of active) if (attemptOf(alloc) !== attempt) d.stops.push({ alloc, reason: 'AttemptSuperseded' });

  if (isFinished(phase)) {
    stopAll('JobFinished');
    const ttl = spec.ttlSecondsAfterFinished;
    const completed = parseTime(st.completionTime);
    if (ttl !== undefined && completed !== undefined) {
      const due = completed + ttl * 1000;
      // Deleting an allocation releases its resources, so wait until every replica has stopped.
      if (now.getTime() >= due && active.length === 0) d.deleteAll = true;
      else if (now.getTime() < due) wake(due);
    }
    return done();
  }

  if (spec.suspend === true) {
    stopAll('Suspended');
    if (phase !== 'Suspended') {
      st.phase = 'Suspended';
      delete st.nextRetryTime;
      cond('Suspended', 'True', 'Suspended', 'spec.suspend is true');
      cond('Running', 'False', 'Suspended');
      d.events.push({ type: 'Normal', reason: 'Suspended', message: 'job suspended; its replicas are being stopped' });
    }
    return done();
  }
  if (phase === 'Suspended') {
    // A fresh attempt: the suspended one's allocation names are taken. The deadline restarts too.
    st.phase = 'Pending';
    if (allocs.some((a) => attemptOf(a) >= attempt)) st.attempt = attempt + 1;
    delete st.startTime;
    delete st.placement;
    cond('Suspended', 'False', 'Resumed');
    cond('Admitted', 'False', 'Resumed');
    d.events.push({ type: 'Normal', reason: 'Resumed', message: 'job resumed; waiting for placement' });
    return done();
  }

  // activeDeadlineSeconds runs from the first placement (queueing for capacity does not count).
  if (st.startTime === undefined && cur.length > 0) st.startTime = typeof st.admittedTime === 'string' ? st.admittedTime : iso;
  const started = parseTime(st.startTime);
  if (spec.activeDeadlineSeconds !== undefined && started !== undefined) {
    const due = started + spec.activeDeadlineSeconds * 1000;
    if (now.getTime() >= due) {
      stopAll('DeadlineExceeded');
      finish('Failed', 'DeadlineExceeded', `job ran longer than activeDeadlineSeconds (${spec.activeDeadlineSeconds} s)`);
      return done();
    }
    wake(due);
  }

  const retryAt = parseTime(st.nextRetryTime);
  if (retryAt !== undefined) {
    // Clearing nextRetryTime is a write the scheduling loop sees: it wakes the loop on time.
    if (now.getTime() >= retryAt) {
      delete st.nextRetryTime;
      cond('BackingOff', 'False', 'BackoffElapsed');
    } else wake(retryAt);
    return done();
  }
  if (cur.length === 0) return done();

  const failed = cur.filter((a) => phaseOf(a) === 'Failed' || phaseOf(a) === 'Lost');
  if (failed.length > 0) {
    const f = failed[0]!;
    const why = `replica ${replicaOf(f)} ${phaseOf(f) === 'Lost' ? 'was lost with its node' : 'failed'}${describeExit(f)}`;
    for (const alloc of cur) if (isActive(alloc)) d.stops.push({ alloc, reason: 'GangMemberFailed' });
    const total = failures + 1;
    st.failures = total;
    const limit = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
    if ((spec.restartPolicy ?? 'OnFailure') === 'Never') finish('Failed', 'ReplicaFailed', `${why}; restartPolicy is Never`);
    else if (total > limit) finish('Failed', 'BackoffLimitExceeded', `${why}; ${total} failures exceed backoffLimit ${limit}`);
    else {
      const retry = now.getTime() + backoffDelayMs(failures);
      st.phase = 'Pending';
      st.attempt = attempt + 1;
      st.nextRetryTime = new Date(retry).toISOString();
      cond('Admitted', 'False', 'Restarting');
      st.message = `${why}; restarting the gang (attempt ${attempt + 1}) at ${st.nextRetryTime}`;
      delete st.placement;
      cond('Running', 'False', 'GangMemberFailed', why);
      cond('BackingOff', 'True', 'GangMemberFailed', st.message as string);
      d.events.push({ type: 'Warning', reason: 'Restarting', message: st.message as string });
      wake(retry);
    }
    return done();
  }

  const preempted = cur.filter((a) => phaseOf(a) === 'Preempted' || phaseOf(a) === 'Stopped');
  if (preempted.length > 0) {
    for (const alloc of cur) if (isActive(alloc)) d.stops.push({ alloc, reason: 'GangMemberPreempted' });
    if (phase !== 'Preempted') {
      const p = preempted[0]!;
      const msg = `replica ${replicaOf(p)} was ${phaseOf(p) === 'Preempted' ? 'preempted' : 'stopped'}${describeExit(p)}`;
      st.phase = 'Preempted';
      st.message = msg;
      cond('Running', 'False', 'Preempted', msg);
      cond('Preempted', 'True', 'Preempted', msg);
      d.events.push({ type: 'Warning', reason: 'Preempted', message: `${msg}; the gang will be requeued` });
      return done();
    }
    // Requeue once the whole attempt has let go of its resources; not counted as a failure.
    if (!cur.some(isActive)) {
      st.phase = 'Pending';
      st.attempt = attempt + 1;
      delete st.placement;
      cond('Preempted', 'False', 'Requeued');
      cond('Admitted', 'False', 'Requeued');
      d.events.push({ type: 'Normal', reason: 'Requeued', message: `requeued after preemption (attempt ${attempt + 1})` });
    }
    return done();
  }

  const minAvailable = spec.gang?.minAvailable ?? spec.replicas;
  const enough = cur.length >= Math.min(minAvailable, spec.replicas);
  if (enough && cur.every((a) => phaseOf(a) === 'Succeeded')) {
    finish('Succeeded', 'Completed', `all ${cur.length} replicas succeeded`);
    if (spec.ttlSecondsAfterFinished !== undefined) wake(now.getTime() + spec.ttlSecondsAfterFinished * 1000);
    return done();
  }
  if (phase !== 'Running' && enough && cur.every((a) => phaseOf(a) === 'Running' || phaseOf(a) === 'Succeeded')) {
    st.phase = 'Running';
    st.runningTime = iso;
    delete st.message;
    cond('Running', 'True', 'AllReplicasRunning', `${cur.length} replicas running (attempt ${attempt})`);
    d.events.push({ type: 'Normal', reason: 'Running', message: `all ${cur.length} replicas running (attempt ${attempt})` });
  }
  return done();
}

function describeExit(a: Resource): string {
  const parts: string[] = [];
  if (typeof a.status?.exitCode === 'number') parts.push(`exit code ${a.status.exitCode}`);
  if (typeof a.status?.message === 'string' && a.status.message) parts.push(a.status.message);
  return parts.length > 0 ? ` (${parts.join(': ')})` : '';
}
