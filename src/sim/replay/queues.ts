// Replay queues → the scheduler's fair-share state. A replay queue's quotas are whole GPUs of any
// model, so each maps to the "gpu/*" key of the queue tree (in milli-GPU).
import { ANY_GPU_KEY, borrowingGangs, buildQueueTree, QueueUsage, type QueueInput, type ResourceVector } from '../../scheduler/index.js';
import type { ReplayQueue } from './types.js';

const gpus = (n: number): ResourceVector => ({ [ANY_GPU_KEY]: Math.round(n * 1000) });

export function queueUsageFor(queues: readonly ReplayQueue[]): QueueUsage {
  const inputs: QueueInput[] = queues.map((q) => {
    const input: QueueInput = { name: q.name, nominal: gpus(q.nominalGpus) };
    if (q.parent !== undefined) input.parent = q.parent;
    if (q.borrowingLimitGpus !== undefined) input.borrowingLimit = gpus(q.borrowingLimitGpus);
    if (q.lendingLimitGpus !== undefined) input.lendingLimit = gpus(q.lendingLimitGpus);
    if (q.weight !== undefined) input.weight = q.weight;
    return input;
  });
  return new QueueUsage(buildQueueTree(inputs));
}

export interface ChargedGang {
  id: string;
  /** Absent: not charged to any queue. */
  queue?: string;
  startedAt: number;
  charge: ResourceVector;
}

/** Ids of the running gangs that sit on quota their queue borrowed (oldest keep their own quota). */
export function borrowers(running: readonly ChargedGang[], usage: QueueUsage): Set<string> {
  return borrowingGangs(running, usage);
}
