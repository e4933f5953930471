// Work Slurm users submit themselves (sbatch, srun, salloc), on each look (cluster-controller.ts):
// each such job running on the nodes Weft may use is mirrored as a read-only Job in the project
// its Slurm account maps to (spec.accounts, else spec.defaultProject), with one Running
// Allocation per node holding the job's GPUs, CPUs and memory there. So the fleet view, the
// scheduler's snapshot, quotas and fair share see that capacity as used, and the usage ledger
// meters it: the allocation's startedAt and finishedAt are Slurm's own start and end times. A job
// that started and ended between two looks is still recorded, already ended, for its usage; so
// is one that ran while Weft was not looking at all, where Slurm's accounting is read
// (accounting.ts): its record there ends a mirrored job slurmctld no longer lists, and mirrors
// one Weft never saw.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import { EXTERNAL_ID_ANNOTATION, EXTERNAL_LABEL } from '../../model/annotations.js';
import type { AllocatedGpu } from '../../model/kinds/allocation.js';
import type { ClusterSpec } from '../../model/kinds/cluster.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../model/metadata.js';
import { LABEL_ATTEMPT, LABEL_NODE, LABEL_WORKLOAD, LABEL_WORKLOAD_KIND, allocationName } from '../../control/placement-commit.js';
import type { StoreTx } from '../../store/types.js';
import type { ClusterLook, ClusterStep } from './cluster-controller.js';
import { baseState, decodeExit, jobEnded } from './job-state.js';
import { CLUSTER_LABEL } from './nodes.js';
import type { SlurmJob } from './rest.js';
import { WEFT_COMMENT_PREFIX } from './submission.js';
import { accountingReader, endedFromAccounting, openSince, type EndedRecord } from './accounting.js';

export const EXTERNAL_SLURM = 'slurm';

/** The project a Slurm account's jobs count against, or undefined (not mirrored). */
export function projectOf(spec: Pick<ClusterSpec, 'accounts' | 'defaultProject'>, account: string | undefined): string | undefined {
  return spec.accounts?.find((m) => m.account === account)?.project ?? spec.defaultProject;
}

/** Per node of a job, the GPUs Slurm gave it: "gpu:h100:2(IDX:0-1)" → [0, 1]. */
export function gpuIndices(detail: string | undefined): number[] {
  const idx = /IDX:([^)]*)\)/.exec(detail ?? '')?.[1];
  if (!idx || idx === 'N/A') return [];
  return idx.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) return [];
    return Array.from({ length: (Number.isInteger(b) ? b! : a!) - a! + 1 }, (_, i) => a! + i);
  });
}

/** Slurm's compressed host list as names: "n[1-3],gpu7" → n1, n2, n3, gpu7. */
export function expandHostlist(list: string): string[] {
  const out: string[] = [];
  for (const m of list.matchAll(/([^,[]+)(?:\[([^\]]+)\])?/g)) {
    const [, prefix, ranges] = m;
    if (!ranges) {
      out.push(prefix!);
      continue;
    }
    for (const r of ranges.split(',')) {
      const [a, b] = r.split('-');
      const width = a!.length;
      for (let i = Number(a); i <= Number(b ?? a); i++) out.push(`${prefix}${String(i).padStart(width, '0')}`);
    }
  }
  return out;
}

interface AllocatedNode {
  nodename: string;
  memory_allocated?: number;
  sockets?: Record<string, { cores?: Record<string, string> }>;
}

const toIso = (s: number | undefined): string | undefined => (s && s > 0 ? new Date(s * 1000).toISOString() : undefined);

export function externalJobsStep(): ClusterStep {
  const readAccounting = accountingReader();
  return async (ctx, look) => {
    const spec = look.cluster.spec as unknown as ClusterSpec;
    const cluster = look.cluster.metadata.name;
    const weftNode = new Map([...look.nodeNames].map(([weft, slurm]) => [slurm, weft]));
    const external = look.slurmJobs.filter((j) => !j.comment?.startsWith(WEFT_COMMENT_PREFIX) && (j.start_time ?? 0) > 0);
    const selector = `${EXTERNAL_LABEL}=${EXTERNAL_SLURM},${CLUSTER_LABEL}=${cluster}`;
    const jobs = (await ctx.store.list('Job', { labelSelector: selector })).items;
    const mirrored = new Set(jobs.map((j) => j.metadata.annotations?.[EXTERNAL_ID_ANNOTATION]));
    const idOf = new Map(jobs.map((j) => [`${j.metadata.project}/${j.metadata.name}`, j.metadata.annotations?.[EXTERNAL_ID_ANNOTATION] ?? '']));
    // Mirrored jobs still open, by Slurm job id, with their open allocations.
    const open = new Map<string, Resource[]>();
    for (const a of (await ctx.store.list('Allocation', { labelSelector: selector })).items.filter(isActiveAllocation)) {
      const id = idOf.get(`${a.metadata.project}/${a.metadata.labels?.[LABEL_WORKLOAD]}`) ?? '';
      open.set(id, [...(open.get(id) ?? []), a]);
    }
    const mirrorNew = async (job: SlurmJob, gpusInAll?: number): Promise<void> => {
      const project = projectOf(spec, job.account);
      const nodes = expandHostlist(job.nodes).filter((n) => weftNode.has(n));
      if (!project || nodes.length === 0) return;
      mirrored.add(String(job.job_id));
      await ctx.store.transaction((tx) => mirror(tx, job, project, nodes, gpusInAll)).catch((err: Error) => ctx.log(`slurm cluster ${cluster}: job ${job.job_id}: ${err.message}`));
    };

    for (const job of external) {
      const id = String(job.job_id);
      const allocs = open.get(id);
      open.delete(id);
      if (!mirrored.has(id)) {
        if (['RUNNING', 'SUSPENDED', 'COMPLETING'].includes(baseState(job)) || jobEnded(job)) await mirrorNew(job);
        continue;
      }
      if (allocs && jobEnded(job)) await finish(allocs, job);
    }

    // What is left open ended while Weft was not looking: Slurm's accounting says when, else now.
    const accounting = await readAccounting(look, openSince([...open.values()].map((allocs) => allocs[0]!)));
    look.report.accounting = accounting.status;
    const records = new Map<number, EndedRecord>();
    for (const j of accounting.jobs ?? []) {
      const r = endedFromAccounting(j);
      if (r) records.set(j.job_id, r);
    }
    const known = new Set((accounting.jobs ?? []).map((j) => j.job_id));
    for (const [key, allocs] of open) {
      const id = Number(key);
      if (accounting.status.source === 'slurmctld') await finish(allocs, undefined);
      else if (records.has(id)) await finish(allocs, records.get(id)!.job);
      // Read, and unknown to slurmdbd too: nothing will ever say when it ended.
      else if (accounting.jobs && !known.has(id)) await finish(allocs, undefined);
      // Otherwise slurmdbd has not heard of its end yet (or did not answer): the next read will.
    }

    // Jobs that ran and ended while Weft was not looking at all.
    const weftJobs = weftJobIds(look);
    for (const { job, gpus } of records.values()) {
      if (mirrored.has(String(job.job_id)) || job.comment?.startsWith(WEFT_COMMENT_PREFIX) || (await weftJobs(job.job_id))) continue;
      await mirrorNew(job, gpus);
    }

    async function finish(allocs: Resource[], job: SlurmJob | undefined): Promise<void> {
      for (const a of allocs) await ctx.store.update({ ...a, status: { ...(a.status ?? {}), ...ended(job, look.now) } }, { resourceVersion: a.metadata.resourceVersion });
    }

    function weftJobIds(l: ClusterLook): (id: number) => Promise<boolean> {
      const listed = new Set(l.slurmJobs.filter((j) => j.comment?.startsWith(WEFT_COMMENT_PREFIX)).map((j) => j.job_id));
      let ledger: Set<number> | undefined;
      // slurmdbd keeps a job's comment only with AccountingStoreFlags=job_comment: else Weft's
      // own jobs are known by the job ids its allocations recorded.
      return async (id) => {
        if (listed.has(id)) return true;
        if (!ledger) {
          const names = [...l.nodeNames.keys()];
          const allocs = names.length === 0 ? [] : (await ctx.store.list('Allocation', { labelSelector: `${LABEL_NODE} in (${names.join(',')}),!${EXTERNAL_LABEL}` })).items;
          ledger = new Set(allocs.map((a) => (a.status as { slurmJobId?: number } | undefined)?.slurmJobId).filter((x): x is number => x !== undefined));
        }
        return ledger.has(id);
      };
    }

    async function mirror(tx: StoreTx, job: SlurmJob, project: string, nodes: string[], gpusInAll: number | undefined): Promise<void> {
      const name = `${cluster}-slurm-${job.job_id}`.slice(0, 63);
      const perNodeCpu = Math.max(1, Math.round((job.cpus ?? nodes.length) / nodes.length));
      const resources = (job as { job_resources?: { allocated_nodes?: AllocatedNode[] } }).job_resources?.allocated_nodes ?? [];
      const details = job.gres_detail ?? [];
      // Per node: the GPU indices Slurm gave it there (its job list), or an even share of the
      // job's GPU count (its accounting record, which has no indices).
      const gpusOn = (i: number): { count: number; indices: number[] } => {
        if (gpusInAll === undefined) return { count: gpuIndices(details[i]).length, indices: gpuIndices(details[i]) };
        return { count: Math.floor(gpusInAll / nodes.length) + (i < gpusInAll % nodes.length ? 1 : 0), indices: [] };
      };
      const labels = { [EXTERNAL_LABEL]: EXTERNAL_SLURM, [CLUSTER_LABEL]: cluster };
      const annotations = { [EXTERNAL_ID_ANNOTATION]: String(job.job_id) };
      const started = toIso(job.start_time)!;
      const end = jobEnded(job) ? ended(job, look.now) : undefined;
      const created = await tx.create({
        apiVersion: API_VERSION,
        kind: 'Job',
        metadata: { name, project, labels, annotations },
        spec: {
          replicas: nodes.length,
          backoffLimit: 0,
          command: ['slurm', `job ${job.job_id}`, job.name],
          resources: { cpu: String(perNodeCpu), ...(gpusOn(0).count > 0 ? { gpu: { count: gpusOn(0).count } } : {}) },
        },
        status: { phase: 'Running', attempt: 0, startedAt: started, message: `Slurm job ${job.job_id} (${job.user_name ?? '?'}, account ${job.account || 'none'}), submitted to Slurm directly` },
      });
      for (const [replica, slurmNode] of nodes.entries()) {
        const node = weftNode.get(slurmNode)!;
        const held = resources.find((r) => r.nodename === slurmNode);
        const want = gpusOn(replica);
        // An ended job holds nothing now: its GPUs are only counted, so any of the node's will do.
        const gpus = end ? await nodeGpus(tx, node, want.count, want.indices) : await freeGpus(tx, node, want.indices);
        const alloc: ResourceInput = {
          apiVersion: API_VERSION,
          kind: 'Allocation',
          metadata: {
            name: allocationName(name, 0, replica),
            project,
            labels: { ...labels, [LABEL_WORKLOAD_KIND]: 'Job', [LABEL_WORKLOAD]: name, [LABEL_ATTEMPT]: '0', [LABEL_NODE]: node },
          },
          spec: {
            workload: { kind: 'Job', name, uid: created.metadata.uid },
            replica,
            attempt: 0,
            node,
            gpus,
            cpuMilli: 1000 * (held ? coresOf(held) || perNodeCpu : perNodeCpu),
            memoryBytes: (held?.memory_allocated ?? 0) * 2 ** 20,
            provider: 'slurm',
          },
          status: end ? { startedAt: started, ...end } : { phase: 'Running', startedAt: started, message: `Slurm job ${job.job_id}` },
        };
        await tx.create(alloc);
      }
    }
  };
}

/** `count` of a node's GPUs, Slurm's indices first (for a job that has ended: they are only counted). */
async function nodeGpus(tx: StoreTx, node: string, count: number, slurmIndices: number[]): Promise<AllocatedGpu[]> {
  const n = await tx.get({ kind: 'Node', name: node });
  const all = ((n?.spec as { gpus?: { index: number; model: string }[] } | undefined)?.gpus ?? []).map((g) => ({ index: g.index, model: g.model }));
  const ordered = [...all.filter((g) => slurmIndices.includes(g.index)), ...all.filter((g) => !slurmIndices.includes(g.index))];
  return ordered.slice(0, count).map((g) => ({ index: g.index, model: g.model, milli: 1000 }));
}

/** What Slurm's GPUs are in Weft's ledger: the same indices where Weft has them free, else other free ones. */
async function freeGpus(tx: StoreTx, node: string, slurmIndices: number[]): Promise<AllocatedGpu[]> {
  if (slurmIndices.length === 0) return [];
  const n = await tx.get({ kind: 'Node', name: node });
  const all = ((n?.spec as { gpus?: { index: number; model: string }[] } | undefined)?.gpus ?? []).map((g) => ({ index: g.index, model: g.model }));
  const used = new Set(
    (await tx.list('Allocation', { labelSelector: `${LABEL_NODE}=${node}` })).items
      .filter(isActiveAllocation)
      .flatMap((a) => ((a.spec as { gpus?: { index: number }[] }).gpus ?? []).map((g) => g.index)),
  );
  const free = all.filter((g) => !used.has(g.index));
  const preferred = free.filter((g) => slurmIndices.includes(g.index));
  const rest = free.filter((g) => !slurmIndices.includes(g.index));
  return [...preferred, ...rest].slice(0, slurmIndices.length).map((g) => ({ index: g.index, model: g.model, milli: 1000 }));
}

function coresOf(n: AllocatedNode): number {
  return Object.values(n.sockets ?? {}).reduce((sum, s) => sum + Object.keys(s.cores ?? {}).length, 0);
}

function ended(job: SlurmJob | undefined, now: Date): Record<string, unknown> {
  if (!job) return { phase: 'Succeeded', exitCode: 0, finishedAt: now.toISOString(), message: 'no longer listed by Slurm; ended by then' };
  const code = decodeExit(job.exit_code) ?? 0;
  const ok = baseState(job) === 'COMPLETED' && code === 0;
  return { phase: ok ? 'Succeeded' : 'Failed', exitCode: ok ? 0 : code || 1, finishedAt: toIso(job.end_time) ?? now.toISOString(), message: `Slurm job ${job.job_id} ended ${baseState(job)}` };
}
