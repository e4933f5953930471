// What Weft submits to Slurm for one gang attempt: pure, no I/O. One Slurm batch job whose
// tasks are the gang's replicas, in replica order: `--nodelist` repeats each replica's node and
// `--distribution=arbitrary` (srun reads the same order from SLURM_HOSTFILE) puts task i on
// replica i's node, so the job holds exactly the nodes Weft chose. Each task gets the replica's
// CPUs, memory and GPU count (`--cpus-per-task`, `--mem-per-cpu`, `--gpus-per-task=type:n`);
// Slurm, not Weft, picks which GPU indices on the node. Slurm's variables become torchrun's
// (RANK = SLURM_PROCID, LOCAL_RANK = SLURM_LOCALID, WORLD_SIZE = SLURM_NTASKS), each task sees
// only its share of the node's GPUs, and its exit code is written beside its output, so each
// replica's own code sets its phase. Slurm does not requeue it: Weft's restart policy decides.
// That is for a gang whose replicas all ask for the same; one whose replicas ask for different
// GPUs, CPUs or memory runs each replica as a step of its own (uneven-submission.ts).
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { Resource } from '../../model/metadata.js';
import type { SlurmJobDesc } from './rest.js';
import { quote, taskWrapper } from './task-wrapper.js';
import { unevenSubmission } from './uneven-submission.js';

export const WEFT_COMMENT_PREFIX = 'weft:';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The Slurm job's comment: which gang attempt it runs (how Weft finds its jobs again after a restart). */
export function gangKey(a: Resource): string {
  const s = a.spec as unknown as AllocationSpec;
  return `${WEFT_COMMENT_PREFIX}${a.metadata.project}/${s.workload.kind}/${s.workload.name}/${s.workload.uid}/${s.attempt}`;
}

export interface GangPlacement {
  /** The gang's allocations, one per replica. */
  allocations: readonly Resource[];
  /** Weft Node name → Slurm node name. */
  slurmNode: (weftNode: string) => string | undefined;
  /** Weft GPU model → the node's GRES type for it (undefined: untyped). */
  gresType: (slurmNode: string, model: string) => string | undefined;
  /** Address of a Slurm node, for MASTER_ADDR. */
  address: (slurmNode: string) => string | undefined;
  /** Where output and exit codes go; undefined: nowhere (no logs, the job's exit code for all). */
  outputDir: string | undefined;
  partition: string | undefined;
}

export type Submission = { script: string; job: SlurmJobDesc } | { refused: string };

/** Output file of replica `task` of Slurm job `jobId` (srun's %j-%t). */
export const outputFile = (dir: string, jobId: number, task: number): string => `${dir}/weft-${jobId}-${task}.out`;
export const exitFile = (dir: string, jobId: number, task: number): string => `${dir}/weft-${jobId}-${task}.exit`;

export function submissionFor(p: GangPlacement): Submission {
  const allocs = [...p.allocations].sort((a, b) => spec(a).replica - spec(b).replica);
  const first = spec(allocs[0]!);
  const task = first.task ?? {};
  if (task.image !== undefined) return { refused: 'Slurm nodes run host commands only: this workload names a container image' };
  const argv = [...(task.command ?? []), ...(task.args ?? [])];
  if (argv.length === 0) return { refused: 'a replica on a Slurm node needs spec.command' };
  const hosts: string[] = [];
  for (const a of allocs) {
    const n = p.slurmNode(spec(a).node);
    if (n === undefined) return { refused: `node ${spec(a).node} is not a node of this Slurm cluster` };
    hosts.push(n);
  }
  if (allocs.some((a) => spec(a).gpus.some((g) => g.milli < 1000 || g.mig))) return { refused: 'Slurm GRES are whole GPUs: shares and MIG slices cannot be placed there' };
  const requests = allocs.map((a, i) => requestOf(spec(a), hosts[i]!, p.gresType));

  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const e of task.env ?? []) {
    // Secret values are handed only to Weft's own node agents (docs/api.md, "Secrets").
    if (e.value === undefined) return { refused: `env ${e.name} comes from a Secret, which is not delivered to Slurm jobs` };
    env[e.name] = e.value;
  }
  const masterNode = first.rendezvous ? p.slurmNode(first.rendezvous.masterNode) : hosts[0];
  Object.assign(env, {
    WEFT_PROJECT: allocs[0]!.metadata.project ?? '',
    WEFT_WORKLOAD_KIND: first.workload.kind,
    WEFT_WORKLOAD: first.workload.name,
    WEFT_ATTEMPT: String(first.attempt),
    MASTER_ADDR: (masterNode && p.address(masterNode)) ?? masterNode ?? '127.0.0.1',
    MASTER_PORT: String(first.rendezvous?.masterPort ?? 29500),
  });

  const dir = p.outputDir;
  const common: SlurmJobDesc = {
    name: first.workload.name,
    comment: gangKey(allocs[0]!),
    no_requeue: true,
    current_working_directory: task.workingDir ?? dir ?? '/tmp',
    standard_output: dir ? `${dir}/weft-%j.out` : '/dev/null',
    environment: env,
    ...(p.partition ? { partition: p.partition } : {}),
  };
  const heading = `# ${first.workload.kind.toLowerCase()} ${allocs[0]!.metadata.project}/${first.workload.name}, attempt ${first.attempt}, submitted by Weft`;
  // Replicas asking for different GPUs (another GRES type, another count), CPUs or memory: each
  // its own job step with its own request.
  if (requests.some((r) => r.gres !== requests[0]!.gres || r.cpus !== requests[0]!.cpus || r.memMiB !== requests[0]!.memMiB) || requests[0]!.gres.includes(',')) {
    return unevenSubmission(requests, argv, dir, common, heading);
  }
  const { cpus, memMiB, gres, gpus } = requests[0]!;
  const out = dir ? `${dir}/weft-%j-%t.out` : '/dev/null';
  const script = [
    '#!/bin/sh',
    heading,
    `hosts="\${TMPDIR:-/tmp}/weft-$SLURM_JOB_ID.hosts"`,
    `printf '%s\\n' ${hosts.map(quote).join(' ')} > "$hosts"`,
    `SLURM_HOSTFILE="$hosts" srun --distribution=arbitrary --kill-on-bad-exit=0 --output=${quote(out)} sh -c ${quote(taskWrapper(gpus, dir))} weft-task ${argv.map(quote).join(' ')}`,
    'rc=$?',
    'rm -f "$hosts"',
    'exit $rc',
    '',
  ].join('\n');

  const job: SlurmJobDesc = {
    ...common,
    nodelist: hosts.join(','),
    distribution: 'arbitrary',
    tasks: allocs.length,
    cpus_per_task: cpus,
    memory_per_cpu: Math.ceil(memMiB / cpus),
  };
  if (gpus > 0) job.gpus_per_task = gres;
  return { script, job };
}

/** What one replica asks of its node, in Slurm's terms. */
export interface ReplicaRequest {
  replica: number;
  host: string;
  cpus: number;
  memMiB: number;
  gpus: number;
  /** Its GPUs by GRES type, as Slurm writes them: "h100:2", "h100:1,a100:2", "2" (untyped); "" for none. */
  gres: string;
}

function requestOf(s: AllocationSpec, host: string, gresType: GangPlacement['gresType']): ReplicaRequest {
  const byType = new Map<string, number>();
  for (const g of s.gpus) {
    const type = gresType(host, g.model) ?? '';
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  const gres = [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => (type ? `${type}:${n}` : String(n))).join(',');
  return { replica: s.replica, host, cpus: Math.max(1, Math.ceil(s.cpuMilli / 1000)), memMiB: Math.max(1, Math.ceil(s.memoryBytes / 2 ** 20)), gpus: s.gpus.length, gres };
}

function spec(a: Resource): AllocationSpec {
  return a.spec as unknown as AllocationSpec;
}
