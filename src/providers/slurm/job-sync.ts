// Weft's replicas on a Slurm cluster, on each look (cluster-controller.ts): every gang attempt
// placed on its nodes is one Slurm job (submission.ts), found again by the comment it carries;
// a complete gang not yet submitted is submitted; a stop request cancels the job; the job's
// state moves each replica's phase (job-state.ts); each replica's output reaches its log. What
// it knows lives in Slurm and in the allocations' status (slurmJobId), so a restarted server,
// or one that lost slurmrestd for a while, picks up where it was and submits nothing twice.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import { EXTERNAL_LABEL } from '../../model/annotations.js';
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { ClusterSpec } from '../../model/kinds/cluster.js';
import { ConflictError, NotFoundError } from '../../model/errors.js';
import type { Resource } from '../../model/metadata.js';
import { LABEL_NODE } from '../../control/placement-commit.js';
import type { ClusterStep } from './cluster-controller.js';
import { jobEnded, nextStatus, type AllocationStatus } from './job-state.js';
import { gresTypeFor } from './nodes.js';
import { OutputShipper, readExitCode } from './output.js';
import { SlurmRequestError, type SlurmJob } from './rest.js';
import { WEFT_COMMENT_PREFIX, exitFile, gangKey, outputFile, submissionFor } from './submission.js';

export function weftJobsStep(): ClusterStep {
  let shipper: OutputShipper | undefined;
  /** Slurm jobs this loop asked to cancel, so a slow cancel is not asked again on every look. */
  const cancelled = new Set<number>();
  return async (ctx, look) => {
    shipper ??= new OutputShipper(ctx.store);
    const spec = look.cluster.spec as unknown as ClusterSpec;
    const names = [...look.nodeNames.keys()];
    if (names.length === 0) return;
    const allocs = (await ctx.store.list('Allocation', { labelSelector: `${LABEL_NODE} in (${names.join(',')})` })).items.filter((a) => isActiveAllocation(a) && a.metadata.labels?.[EXTERNAL_LABEL] === undefined);
    const byKey = new Map<string, SlurmJob>();
    for (const j of look.slurmJobs) {
      if (!j.comment?.startsWith(WEFT_COMMENT_PREFIX)) continue;
      const seen = byKey.get(j.comment);
      if (!seen || seen.job_id < j.job_id) byKey.set(j.comment, j);
    }
    const gangs = new Map<string, Resource[]>();
    for (const a of allocs) gangs.set(gangKey(a), [...(gangs.get(gangKey(a)) ?? []), a]);

    const write = async (a: Resource, status: AllocationStatus): Promise<void> => {
      try {
        await ctx.store.update({ ...a, status }, { resourceVersion: a.metadata.resourceVersion });
      } catch (err) {
        // Changed meanwhile (a stop request, a delete): the next look sees the new version.
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
      }
    };

    for (const [key, gang] of gangs) {
      const job = byKey.get(key);
      const statusOf = (a: Resource): AllocationStatus => (a.status ?? {}) as AllocationStatus;
      const submitted = gang.some((a) => statusOf(a).slurmJobId !== undefined);
      if (!job && !submitted) {
        if (gang.some((a) => statusOf(a).stopRequested)) {
          for (const a of gang) {
            const next = nextStatus(a, undefined, undefined, look.now);
            if (next) await write(a, next);
          }
          continue;
        }
        const size = (gang[0]!.spec as unknown as AllocationSpec).rendezvous?.worldSize ?? 1;
        if (gang.length < size) {
          const message = `${size - gang.length} of its ${size} replicas are not on this Slurm cluster: a gang runs as one Slurm job`;
          for (const a of gang) if (statusOf(a).message !== message) await write(a, { ...statusOf(a), message });
          continue;
        }
        await submit(gang);
        continue;
      }
      if (job && !jobEnded(job) && gang.some((a) => statusOf(a).stopRequested) && !cancelled.has(job.job_id)) {
        await look.rest.cancel(job.job_id);
        cancelled.add(job.job_id);
      }
      const jobId = job?.job_id ?? gang.map((a) => statusOf(a).slurmJobId).find((id) => id !== undefined)!;
      const ended = !job || jobEnded(job);
      for (const a of gang) {
        const replica = (a.spec as unknown as AllocationSpec).replica;
        if (spec.outputDir) await shipper.ship(a, outputFile(spec.outputDir, jobId, replica), ended);
        const code = ended && spec.outputDir ? await readExitCode(exitFile(spec.outputDir, jobId, replica)) : undefined;
        const next = nextStatus(a, job, code, look.now);
        if (!next) continue;
        await write(a, next);
        if (!isActiveAllocation({ status: next })) shipper.forget(a.metadata.uid);
      }
      if (ended) cancelled.delete(jobId);
    }

    async function submit(gang: Resource[]): Promise<void> {
      const slurmNodes = new Map(look.slurmNodes.map((n) => [n.name, n]));
      const sub = submissionFor({
        allocations: gang,
        slurmNode: (n) => look.nodeNames.get(n),
        gresType: (n, model) => {
          const node = slurmNodes.get(n);
          return node ? gresTypeFor(node, model) : undefined;
        },
        address: (n) => slurmNodes.get(n)?.address,
        outputDir: spec.outputDir,
        partition: spec.partitions?.find((p) => gang.every((a) => slurmNodes.get(look.nodeNames.get((a.spec as unknown as AllocationSpec).node) ?? '')?.partitions?.includes(p))),
      });
      let failure: string | undefined;
      let jobId: number | undefined;
      if ('refused' in sub) failure = sub.refused;
      else {
        try {
          jobId = await look.rest.submit(sub.script, sub.job);
        } catch (err) {
          if (!(err instanceof SlurmRequestError)) throw err;
          failure = `Slurm refused the job: ${err.message}`;
        }
      }
      const at = look.now.toISOString();
      for (const a of gang) {
        const st = (a.status ?? {}) as AllocationStatus;
        await write(a, failure !== undefined ? { ...st, phase: 'Failed', exitCode: 1, finishedAt: at, message: failure } : { ...st, slurmJobId: jobId, message: `submitted to Slurm as job ${jobId}` });
      }
    }
  };
}
