// The simulated replica's state machine, as a pure function of the allocation's status and the
// time. Everything it needs is in the stored status (startedAt, stopRequested), so a restarted
// server derives the same next step and finishes what was running before.
//
//   Bound ──▶ Running ──(duration)──▶ Succeeded | Failed
//   any active + stopRequested ──▶ Stopping ──(min(grace, stopDelay))──▶ Stopped | Preempted
import { allocationPhase, isActiveAllocation, type AllocationStatusView, type StopRequestView } from '../../model/allocation-rules.js';
import type { Resource } from '../../model/metadata.js';

export type StopRequest = StopRequestView;
export type AllocationStatus = AllocationStatusView;

export interface StepContext {
  now: number;
  /** How long the replica runs once started; null = until stopped. */
  durationMs: number | null;
  /** Longest a simulated replica takes to stop, whatever grace it was given. */
  stopDelayMs: number;
  /** Asked only when a replica finishes on its own: its exit code (not 0 = it failed). */
  exitCode: () => number;
}

/** A status to write now, or the time to look again (null = nothing will change by itself). */
export type Step = { write: AllocationStatus } | { wakeAt: number | null };

export const isActive = isActiveAllocation;
export const phaseOf = allocationPhase;

export function nextStep(alloc: Resource, ctx: StepContext): Step {
  const st = (alloc.status ?? {}) as AllocationStatus;
  const phase = phaseOf(alloc);
  const nowIso = new Date(ctx.now).toISOString();
  if (!isActiveAllocation(alloc)) return { wakeAt: null };

  const stop = st.stopRequested;
  if (stop) {
    const preempted = /preempt/i.test(stop.reason ?? '');
    const end = preempted ? 'Preempted' : 'Stopped';
    // A replica that never started has nothing to wind down.
    if (phase === 'Bound') return { write: { ...st, phase: end, finishedAt: nowIso, message: stopMessage(stop) } };
    const requested = parseTime(stop.at) ?? ctx.now;
    const grace = (stop.graceSeconds ?? 30) * 1000;
    const doneAt = requested + Math.min(grace, ctx.stopDelayMs);
    if (ctx.now >= doneAt) return { write: { ...st, phase: end, finishedAt: nowIso, message: stopMessage(stop) } };
    if (phase !== 'Stopping') return { write: { ...st, phase: 'Stopping' } };
    return { wakeAt: doneAt };
  }

  if (phase === 'Bound') return { write: { ...st, phase: 'Running', startedAt: nowIso, message: 'started (simulated)' } };
  if (phase === 'Stopping') return { wakeAt: null }; // a controller withdrew the request; wait for it
  const started = parseTime(st.startedAt) ?? ctx.now;
  if (ctx.durationMs === null) return { wakeAt: null };
  const endAt = started + ctx.durationMs;
  if (ctx.now < endAt) return { wakeAt: endAt };
  const code = ctx.exitCode();
  return code !== 0
    ? { write: { ...st, phase: 'Failed', exitCode: code, finishedAt: nowIso, message: `exited with code ${code} (simulated failure)` } }
    : { write: { ...st, phase: 'Succeeded', exitCode: 0, finishedAt: nowIso, message: 'completed (simulated)' } };
}

function stopMessage(stop: StopRequest): string {
  return stop.reason ? `stopped: ${stop.reason} (simulated)` : 'stopped (simulated)';
}

function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}
