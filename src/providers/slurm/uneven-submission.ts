// A gang whose replicas ask for different things (one on H100s and one on A100s of the same
// node, other counts, CPUs or memory): pure. Slurm gives every task of one job step the same
// request, so such a gang is one batch job holding, on each node, the sum of its replicas'
// requests there (`--gres=gpu:h100:2,gpu:a100:2`, CPUs, memory), whose script starts one step
// per replica with that replica's own CPUs and memory (`srun -w node --exact …`) and waits for
// them all. Which of the job's GPUs each replica uses is fixed before any step starts
// (gpu-indices.ts): the steps share the job's GPUs on their node (`--overlap`) and each keeps
// only its own in CUDA_VISIBLE_DEVICES, so no two replicas use one GPU whatever the order in
// which their steps start and end. torchrun's variables come from Weft (the replica index),
// not from the step's own task numbers. A job gives every node the same request, so the
// replicas' sums must match from node to node; a gang that needs different sums on different
// nodes is refused, saying so.
import type { SlurmJobDesc } from './rest.js';
import type { ReplicaRequest, Submission } from './submission.js';
import { gpuSlices, sliceArg, WEFT_GPUS_FN } from './gpu-indices.js';
import { quote, taskWrapper } from './task-wrapper.js';

export function unevenSubmission(requests: readonly ReplicaRequest[], argv: readonly string[], dir: string | undefined, common: SlurmJobDesc, heading: string): Submission {
  const hosts = [...new Set(requests.map((r) => r.host))];
  const sums = hosts.map((h) => sumOf(requests.filter((r) => r.host === h)));
  const differs = sums.find((s) => s.key !== sums[0]!.key);
  if (differs) {
    return { refused: `its replicas ask for different resources on different Slurm nodes (${hosts.map((h, i) => `${h}: ${sums[i]!.key}`).join('; ')}), and one Slurm job gives every node the same request` };
  }
  const perNode = sums[0]!;
  const localRank = new Map<string, number>();
  const slices = gpuSlices(requests);
  const picks = requests.flatMap((r, i) =>
    r.gpus > 0
      ? [
          `gpus_${i}=$(weft_gpus ${quote(r.host)} ${quote(sliceArg(slices[i]!))})`,
          `[ "$(printf %s "$gpus_${i}" | tr , '\\n' | grep -c .)" -eq ${r.gpus} ] || { echo "weft: replica ${r.replica}'s ${r.gpus} GPUs not found in the job's allocation on ${r.host}: $weft_job" >&2; exit 1; }`,
        ]
      : [],
  );
  const steps = requests.map((r, i) => {
    const local = localRank.get(r.host) ?? 0;
    localRank.set(r.host, local + 1);
    const out = dir ? `"${dir}/weft-$SLURM_JOB_ID-${r.replica}.out"` : '/dev/null';
    const gpus = r.gpus > 0 ? ` WEFT_GPUS=$gpus_${i}` : '';
    const env = `WEFT_RANK=${r.replica} WEFT_LOCAL_RANK=${local} WEFT_WORLD_SIZE=${requests.length} WEFT_SLURM_JOB=$SLURM_JOB_ID${gpus}`;
    // Without --gres a step is given every GPU of the job on its node: --overlap lets the
    // replicas' steps hold them together; --gres=none keeps a replica without GPUs off them.
    const gres = r.gpus > 0 ? '--overlap' : '--gres=none';
    const wrapper = taskWrapper(r.gpus > 0 ? 'listed' : 0, dir);
    return [
      `${env} srun -N1 -n1 --exact -w ${quote(r.host)} --cpus-per-task=${r.cpus} --mem=${r.memMiB} ${gres} --kill-on-bad-exit=0 --output=${out} sh -c ${quote(wrapper)} weft-task ${argv.map(quote).join(' ')} &`,
      `pids="$pids $!"`,
    ].join('\n');
  });
  const script = [
    '#!/bin/sh',
    heading,
    `# ${requests.length} replicas, each its own job step: they ask for different resources`,
    ...(picks.length > 0 ? [WEFT_GPUS_FN, 'weft_job=$(scontrol show job -d "$SLURM_JOB_ID")', ...picks] : []),
    'pids=',
    ...steps,
    'rc=0',
    'for p in $pids; do wait $p || { s=$?; [ $rc -eq 0 ] && rc=$s; }; done',
    'exit $rc',
    '',
  ].join('\n');
  const job: SlurmJobDesc = {
    ...common,
    nodelist: hosts.join(','),
    nodes: hosts.length,
    tasks: hosts.length,
    tasks_per_node: 1,
    cpus_per_task: perNode.cpus,
    memory_per_node: perNode.memMiB,
  };
  if (perNode.gres.size > 0) job.gres = gresList([...perNode.gres].map(([type, n]) => (type ? `${type}:${n}` : String(n))).join(','));
  return { script, job };
}

/** "h100:2,a100:1" → "gpu:h100:2,gpu:a100:1" (the form --gres takes). */
function gresList(gres: string): string {
  return gres
    .split(',')
    .map((g) => `gpu:${g}`)
    .join(',');
}

function sumOf(rs: readonly ReplicaRequest[]): { cpus: number; memMiB: number; gres: Map<string, number>; key: string } {
  const gres = new Map<string, number>();
  for (const r of rs) {
    for (const part of r.gres ? r.gres.split(',') : []) {
      const [type, n] = part.includes(':') ? part.split(':') : ['', part];
      gres.set(type!, (gres.get(type!) ?? 0) + Number(n));
    }
  }
  const cpus = rs.reduce((n, r) => n + r.cpus, 0);
  const memMiB = rs.reduce((n, r) => n + r.memMiB, 0);
  const sorted = [...gres].sort(([a], [b]) => a.localeCompare(b));
  return { cpus, memMiB, gres: new Map(sorted), key: `${cpus} CPUs, ${memMiB} MiB${sorted.map(([t, n]) => `, ${n} × ${t || 'GPU'}`).join('')}` };
}
