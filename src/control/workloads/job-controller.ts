// The Job controller: applies decideJob (job-machine.ts) to one Job per transaction.
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { applyDecision } from './apply.js';
import { decideJob } from './job-machine.js';
import { recordEvent } from '../events.js';
import type { PassResult } from './reconciler.js';

export async function reconcileJob(tx: StoreTx, job: Resource, allocs: Resource[], now: Date): Promise<PassResult> {
  const d = decideJob(job, allocs, now);
  if (d.deleteAll) {
    for (const a of allocs) await tx.delete({ kind: 'Allocation', project: a.metadata.project, name: a.metadata.name });
    await tx.delete({ kind: 'Job', project: job.metadata.project, name: job.metadata.name });
    await recordEvent(tx, job, { type: 'Normal', reason: 'Deleted', message: 'deleted after ttlSecondsAfterFinished', source: 'job-controller' }, now);
    return { changed: true };
  }
  const changed = await applyDecision(tx, job, d, now);
  return { changed, ...(d.requeueAt ? { requeueAt: d.requeueAt } : {}) };
}
