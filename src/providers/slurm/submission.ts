// What Weft submits to Slurm for one gang attempt: pure, no I/O. One Slurm batch job whose
// tasks are the gang's replicas, in replica order: `--nodelist` repeats each replica's node and
// `--distribution=arbitrary` (srun reads the same order from SLURM_HOSTFILE) puts task i on
// replica i's node, so the job holds exactly the nodes Weft chose. Each task gets the replica's
// CPUs, memory and GPU count (`--cpus-per-task`, `--mem-per-cpu`, `--gpus-per-task=type:n`);
// Slurm, not Weft, picks which GPU indices on the node. Slurm's variables become torchrun's
// (RANK = SLURM_PROCID, LOCAL_RANK = SLURM_LOCALID, WORLD_SIZE = SLURM_NTASKS), each task sees
// only its share of the node's GPUs, and its exit code is written beside its output, so each
// replica's own code sets its phase. Slurm does not requeue it: Weft's restart policy decides.
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { Resource } from '../../model/metadata.js';
import type { SlurmJobDesc } from './rest.js';

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
  const gpus = first.gpus.length;
  if (first.gpus.some((g) => g.milli < 1000 || g.mig)) return { refused: 'Slurm GRES are whole GPUs: shares and MIG slices cannot be placed there' };
  const cpus = Math.max(1, Math.ceil(first.cpuMilli / 1000));
  const memMiB = Math.max(1, Math.ceil(first.memoryBytes / 2 ** 20));
  const type = gpus > 0 ? p.gresType(hosts[0]!, first.gpus[0]!.model) : undefined;

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
  const out = dir ? `${dir}/weft-%j-%t.out` : '/dev/null';
  const script = [
    '#!/bin/sh',
    `# ${first.workload.kind.toLowerCase()} ${allocs[0]!.metadata.project}/${first.workload.name}, attempt ${first.attempt}, submitted by Weft`,
    `hosts="\${TMPDIR:-/tmp}/weft-$SLURM_JOB_ID.hosts"`,
    `printf '%s\\n' ${hosts.map(quote).join(' ')} > "$hosts"`,
    `SLURM_HOSTFILE="$hosts" srun --distribution=arbitrary --kill-on-bad-exit=0 --output=${quote(out)} sh -c ${quote(taskWrapper(gpus, dir))} weft-task ${argv.map(quote).join(' ')}`,
    'rc=$?',
    'rm -f "$hosts"',
    'exit $rc',
    '',
  ].join('\n');

  const job: SlurmJobDesc = {
    name: first.workload.name,
    comment: gangKey(allocs[0]!),
    nodelist: hosts.join(','),
    distribution: 'arbitrary',
    tasks: allocs.length,
    cpus_per_task: cpus,
    memory_per_cpu: Math.ceil(memMiB / cpus),
    no_requeue: true,
    current_working_directory: task.workingDir ?? dir ?? '/tmp',
    standard_output: dir ? `${dir}/weft-%j.out` : '/dev/null',
    environment: env,
  };
  if (gpus > 0) job.gpus_per_task = type ? `${type}:${gpus}` : String(gpus);
  if (p.partition) job.partition = p.partition;
  return { script, job };
}

/**
 * The shell each task runs: Weft's identity and torchrun's variables from Slurm's, only this
 * task's GPUs visible (its LOCAL_RANK-th group of `gpus` among the node's), then the command;
 * its exit code is kept beside its output.
 */
function taskWrapper(gpus: number, dir: string | undefined): string {
  const lines = [
    'export RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS LOCAL_RANK=$SLURM_LOCALID WEFT_REPLICA=$SLURM_PROCID WEFT_NODE=$SLURMD_NODENAME',
  ];
  if (gpus > 0) {
    lines.push(
      `if [ -n "$CUDA_VISIBLE_DEVICES" ]; then`,
      `  CUDA_VISIBLE_DEVICES=$(printf %s "$CUDA_VISIBLE_DEVICES" | cut -d, -f$((LOCAL_RANK * ${gpus} + 1))-$((LOCAL_RANK * ${gpus} + ${gpus})))`,
      '  NVIDIA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES',
      '  export CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES',
      'fi',
    );
  } else {
    lines.push('export CUDA_VISIBLE_DEVICES= NVIDIA_VISIBLE_DEVICES=void');
  }
  lines.push('"$@"', 'rc=$?');
  if (dir) lines.push(`echo $rc > ${quote(dir)}/weft-$SLURM_JOB_ID-$SLURM_PROCID.exit`);
  lines.push('exit $rc');
  return lines.join('\n');
}

function spec(a: Resource): AllocationSpec {
  return a.spec as unknown as AllocationSpec;
}

/** One shell word, single-quoted. */
export function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
