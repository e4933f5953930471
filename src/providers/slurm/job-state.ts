// What an allocation Weft placed on Slurm should say, given its Slurm job: pure. Slurm's job
// state drives the phase; a replica's own exit code (from its exit file) decides Succeeded or
// Failed, the job's when there is none:
//
//   PENDING, CONFIGURING ──▶ Bound (message: why Slurm holds it)
//   RUNNING, SUSPENDED, COMPLETING ──▶ Running (startedAt = Slurm's start time)
//   COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, DEADLINE ──▶ Succeeded (exit 0) | Failed (code)
//   NODE_FAIL, BOOT_FAIL, or the job gone with no exit code ──▶ Lost (restart policy applies)
//   stop requested (suspend, delete, preemption, drain) ──▶ Stopping (Weft cancels the job)
//     ──job ended──▶ Stopped | Preempted
//   CANCELLED by someone else in Slurm ──▶ Failed; PREEMPTED by Slurm ──▶ Preempted
import { allocationPhase, isActiveAllocation, type AllocationStatusView } from '../../model/allocation-rules.js';
import type { Resource } from '../../model/metadata.js';
import type { SlurmJob } from './rest.js';

export interface AllocationStatus extends AllocationStatusView {
  slurmJobId?: number;
}

const WAITING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']);
const RUNNING = new Set(['RUNNING', 'SUSPENDED', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING']);
const LOST = new Set(['NODE_FAIL', 'BOOT_FAIL']);

/** Slurm's main state ("RUNNING" of "RUNNING" or "PENDING,CONFIGURING"). */
export function baseState(job: SlurmJob): string {
  return job.job_state.split(/[,+ ]/)[0]!.toUpperCase();
}

export function jobEnded(job: SlurmJob): boolean {
  const s = baseState(job);
  return !WAITING.has(s) && !RUNNING.has(s);
}

/** A wait status as Slurm reports it (exit code in the high byte, signal in the low bits) as a shell would: 128 + signal. */
export function decodeExit(raw: number | undefined): number | undefined {
  if (raw === undefined || raw < 0) return undefined;
  const signal = raw & 0x7f;
  return signal !== 0 ? 128 + signal : (raw >> 8) & 0xff;
}

const iso = (unixS: number | undefined): string | undefined => (unixS && unixS > 0 ? new Date(unixS * 1000).toISOString() : undefined);

/**
 * The status to write, or undefined when it is right already. `job` undefined: Slurm no longer
 * knows the job (or it was never submitted). `exitCode`: the replica's own, when it wrote one.
 */
export function nextStatus(alloc: Resource, job: SlurmJob | undefined, exitCode: number | undefined, now: Date): AllocationStatus | undefined {
  if (!isActiveAllocation(alloc)) return undefined;
  const st = (alloc.status ?? {}) as AllocationStatus;
  const phase = allocationPhase(alloc);
  const nowIso = now.toISOString();
  const stop = st.stopRequested;
  const stopEnd = /preempt/i.test(stop?.reason ?? '') ? 'Preempted' : 'Stopped';
  const stopMessage = `stopped${stop?.reason ? `: ${stop.reason}` : ''}`;

  if (!job) {
    if (st.slurmJobId === undefined) {
      // Never submitted: a stop needs nothing from Slurm.
      return stop ? { ...st, phase: stopEnd, finishedAt: nowIso, message: stopMessage } : undefined;
    }
    if (stop) return { ...st, phase: stopEnd, finishedAt: nowIso, message: stopMessage };
    if (exitCode !== undefined) return ended(st, exitCode, true, nowIso, `exited with code ${exitCode}`);
    return { ...st, phase: 'Lost', finishedAt: nowIso, message: `Slurm job ${st.slurmJobId} is gone and left no exit code` };
  }

  const state = baseState(job);
  const started = st.startedAt ?? iso(job.start_time);
  if (!jobEnded(job)) {
    if (stop) return phase === 'Stopping' ? undefined : { ...st, phase: 'Stopping', message: `stopping: cancelling Slurm job ${job.job_id}` };
    if (WAITING.has(state)) {
      const message = `pending in Slurm as job ${job.job_id}${job.state_reason && job.state_reason !== 'None' ? ` (${job.state_reason})` : ''}`;
      return st.message === message && st.slurmJobId === job.job_id ? undefined : { ...st, slurmJobId: job.job_id, message };
    }
    if (phase === 'Running') return undefined;
    return { ...st, slurmJobId: job.job_id, phase: 'Running', startedAt: started ?? nowIso, message: `running in Slurm as job ${job.job_id} on ${job.nodes}` };
  }

  const finishedAt = iso(job.end_time) ?? nowIso;
  const base = { ...st, slurmJobId: job.job_id, ...(started ? { startedAt: started } : {}) };
  if (stop) return { ...base, phase: stopEnd, finishedAt, message: stopMessage };
  if (LOST.has(state)) return { ...base, phase: 'Lost', finishedAt, message: `Slurm job ${job.job_id} ended ${state}${job.state_reason ? ` (${job.state_reason})` : ''}` };
  if (state === 'PREEMPTED') return { ...base, phase: 'Preempted', finishedAt, message: `preempted by Slurm (job ${job.job_id})` };
  if (state === 'CANCELLED') return { ...base, phase: 'Failed', exitCode: exitCode ?? decodeExit(job.exit_code) ?? 1, finishedAt, message: `Slurm job ${job.job_id} was cancelled in Slurm` };
  const code = exitCode ?? decodeExit(job.exit_code) ?? 1;
  // A job Slurm ended (time limit, memory) failed even when its script's code says 0.
  const ok = state === 'COMPLETED' || exitCode !== undefined;
  return ended(base, code, ok, finishedAt, state === 'COMPLETED' || state === 'FAILED' ? `exited with code ${code}` : `Slurm ended job ${job.job_id}: ${state}`);
}

function ended(st: AllocationStatus, code: number, ok: boolean, finishedAt: string, message: string): AllocationStatus {
  const success = ok && code === 0;
  return { ...st, phase: success ? 'Succeeded' : 'Failed', exitCode: success ? 0 : code === 0 ? 1 : code, finishedAt, message };
}
