// What a simulated replica "writes": one honest line at each step of its life, so `weft logs`
// and the console's log panel work on the demo fleet and say plainly that nothing really ran.
// Each step has its own sequence number, so writing a line again (a restarted server repeating
// a step) stores it once.
import type { Resource } from '../../model/metadata.js';
import type { LogChunkInput } from '../../store/types.js';
import { formatSimDuration, type SimDuration } from './duration.js';
import type { AllocationStatus } from './lifecycle.js';

const SEQ: Record<string, number> = { Running: 0, Stopping: 1, Succeeded: 2, Failed: 2, Stopped: 2, Preempted: 2 };

interface AllocGpu {
  index?: number;
  milli?: number;
  mig?: { profile?: string };
}

function gpusOf(spec: Record<string, unknown>): string {
  const gpus = Array.isArray(spec.gpus) ? (spec.gpus as AllocGpu[]) : [];
  if (gpus.length === 0) return 'no GPUs';
  const one = (g: AllocGpu): string => `${g.index ?? '?'}${g.mig?.profile ? ` (MIG ${g.mig.profile})` : g.milli !== undefined && g.milli < 1000 ? ` (${g.milli / 1000} of it)` : ''}`;
  return `GPU${gpus.length > 1 ? 's' : ''} ${gpus.map(one).join(', ')}`;
}

/** The line for the step just written (`status`), or undefined for a step that writes none. */
export function simLogLine(alloc: Resource, status: AllocationStatus, duration: SimDuration | undefined, at: Date): LogChunkInput | undefined {
  const phase = status.phase ?? 'Bound';
  const seq = SEQ[phase];
  if (seq === undefined) return undefined;
  const spec = alloc.spec as Record<string, unknown>;
  const w = (spec.workload ?? {}) as { kind?: string; name?: string };
  const who = `replica ${String(spec.replica ?? 0)} of ${String(w.kind ?? 'workload').toLowerCase()}/${String(w.name ?? '?')} (attempt ${String(spec.attempt ?? 0)})`;
  let text: string;
  if (phase === 'Running') {
    const plan = !duration
      ? ''
      : duration.ms === null
        ? ` It runs until it is stopped (${duration.source}).`
        : ` It will run for ${formatSimDuration(duration.ms)} (${duration.source}), then exit.`;
    text = `simulated ${who} started on ${String(spec.node ?? '?')}, ${gpusOf(spec)}; no process runs on the demo fleet.${plan}`;
  } else if (phase === 'Stopping') {
    text = `asked to stop${status.stopRequested?.reason ? `: ${status.stopRequested.reason}` : ''} (grace ${status.stopRequested?.graceSeconds ?? 30}s); stopping.`;
  } else if (phase === 'Succeeded') {
    text = `finished: exit code 0 (simulated).`;
  } else if (phase === 'Failed') {
    text = `exited with code ${status.exitCode ?? 1} (a simulated failure).`;
  } else {
    text = `${phase === 'Preempted' ? 'preempted' : 'stopped'}${status.stopRequested?.reason ? `: ${status.stopRequested.reason}` : ''} (simulated).`;
  }
  return { seq, stream: 'stdout', data: `${at.toISOString()} ${text}\n`, time: at.toISOString() };
}
