// The DevEnvironment controller: one replica that gives its GPUs back when nobody uses it.
//   Pending ──bound──▶ Admitted ──running──▶ Running ──no activity for idleTimeoutSeconds──▶ Idle
//   Idle ──annotation weft.dev/last-activity set again──▶ Pending (attempt+1)
//   any ──spec.suspend──▶ Suspended ──resume──▶ Pending (attempt+1)
//   replica Failed/Lost ──▶ Pending after backoff; Preempted/Stopped ──▶ Pending; exited 0 ──▶ Succeeded
// Activity is the newest of the annotation and the time the current replica started running,
// so the idle clock is re-derived from the object on every pass (restart-safe).
import type { DevEnvironmentSpec } from '../../model/kinds/dev-environment.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { attemptOf, isActive, phaseOf } from './allocations.js';
import { applyDecision } from './apply.js';
import { backoffDelayMs, parseTime } from './backoff.js';
import { readConditions, setCondition, type Condition } from './conditions.js';
import { devenvAttempt } from './devenv-adapter.js';
import type { WorkloadEvent } from './apply.js';
import type { PassResult } from './reconciler.js';

export const ACTIVITY_ANNOTATION = 'weft.dev/last-activity';

export async function reconcileDevEnvironment(tx: StoreTx, dev: Resource, allocs: Resource[], now: Date): Promise<PassResult> {
  const spec = dev.spec as unknown as DevEnvironmentSpec;
  // Fresh and nothing placed yet: stay out of the scheduling loop's way (see job-machine.ts).
  if (dev.status === undefined && allocs.length === 0 && spec.suspend !== true) return { changed: false };
  const st: Record<string, unknown> = { ...(dev.status ?? {}) };
  const phase = typeof st.phase === 'string' ? st.phase : 'Pending';
  const attempt = devenvAttempt(dev);
  const failures = typeof st.failures === 'number' ? st.failures : 0;
  st.phase = phase;
  st.attempt = attempt;
  const iso = now.toISOString();
  const stops: { alloc: Resource; reason: string }[] = [];
  const events: WorkloadEvent[] = [];
  let conditions: Condition[] = readConditions(dev.status);
  let requeueAt: Date | undefined;
  const active = allocs.filter(isActive);
  const cur = allocs.filter((a) => attemptOf(a) === attempt);
  const alloc = cur[cur.length - 1];
  const activityRaw = dev.metadata.annotations?.[ACTIVITY_ANNOTATION];
  const requeue = (reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal') => {
    st.phase = 'Pending';
    st.attempt = attempt + (allocs.some((a) => attemptOf(a) >= attempt) ? 1 : 0);
    st.pendingSince = iso;
    delete st.placement;
    delete st.runningSince;
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason }, now);
    events.push({ type, reason, message });
  };

  for (const a of active) if (attemptOf(a) !== attempt) stops.push({ alloc: a, reason: 'AttemptSuperseded' });

  if (phase === 'Succeeded') {
    // Finished: nothing to do.
  } else if (spec.suspend === true) {
    for (const a of active) stops.push({ alloc: a, reason: 'Suspended' });
    if (phase !== 'Suspended') {
      st.phase = 'Suspended';
      delete st.nextRetryTime;
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Suspended' }, now);
      events.push({ type: 'Normal', reason: 'Suspended', message: 'suspended; GPUs are being released' });
    }
  } else if (phase === 'Suspended') {
    requeue('Resumed', 'resumed; waiting for placement');
  } else if (phase === 'Idle') {
    if (activityRaw !== undefined && activityRaw !== st.idleActivity) requeue('Activity', `activity at ${activityRaw}; waking up`);
  } else if (phase === 'Pending') {
    const retry = parseTime(st.nextRetryTime);
    if (retry !== undefined) {
      if (now.getTime() >= retry) delete st.nextRetryTime; // the write wakes the scheduling loop
      else requeueAt = new Date(retry);
    }
  } else if (alloc) {
    const p = phaseOf(alloc);
    if (p === 'Failed' || p === 'Lost') {
      st.failures = failures + 1;
      st.nextRetryTime = new Date(now.getTime() + backoffDelayMs(failures)).toISOString();
      requeue('Restarting', `replica ${p === 'Lost' ? 'lost with its node' : 'failed'}; restarting at ${st.nextRetryTime}`, 'Warning');
    } else if (p === 'Preempted' || p === 'Stopped') {
      requeue('Requeued', `replica ${p.toLowerCase()}; waiting for placement`, 'Warning');
    } else if (p === 'Succeeded') {
      st.phase = 'Succeeded';
      st.completionTime = iso;
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Exited' }, now);
      events.push({ type: 'Normal', reason: 'Exited', message: 'the environment exited' });
    } else if (p === 'Running') {
      if (phase !== 'Running') {
        st.phase = 'Running';
        st.runningSince = typeof alloc.status?.startedAt === 'string' ? alloc.status.startedAt : iso;
        conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Running' }, now);
        events.push({ type: 'Normal', reason: 'Running', message: `running on ${(alloc.spec as { node?: string }).node ?? 'a node'}` });
      }
      const timeout = spec.idleTimeoutSeconds;
      if (timeout !== undefined) {
        // A malformed annotation is ignored rather than trusted: activity falls back to start time.
        const lastActivity = Math.max(parseTime(activityRaw) ?? 0, parseTime(st.runningSince) ?? now.getTime());
        const due = lastActivity + timeout * 1000;
        if (now.getTime() >= due) {
          stops.push({ alloc, reason: 'IdleTimeout' });
          st.phase = 'Idle';
          st.idleSince = iso;
          if (activityRaw !== undefined) st.idleActivity = activityRaw;
          else delete st.idleActivity;
          conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Idle' }, now);
          events.push({ type: 'Normal', reason: 'Idle', message: `no activity for ${timeout} s; releasing GPUs` });
        } else requeueAt = new Date(due);
      }
    }
  }
  st.conditions = conditions;
  const changed = await applyDecision(tx, dev, { status: st, stops, events }, now);
  return { changed, ...(requeueAt ? { requeueAt } : {}) };
}
