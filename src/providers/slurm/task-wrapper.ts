// The shell each task of a Weft job on Slurm runs (submission.ts, uneven-submission.ts): pure.

/**
 * Weft's identity and torchrun's variables — from Slurm's (one step with a task per replica),
 * or from WEFT_RANK, WEFT_LOCAL_RANK and WEFT_WORLD_SIZE where each replica is a step of its own
 * — then the command; its exit code is kept beside its output, under the batch job's id
 * (WEFT_SLURM_JOB where set). `gpusPerTask`: every task of the step sees all the node's GPUs of
 * the step, so it keeps only its LOCAL_RANK-th group of that many; 'own': the step holds only
 * this replica's GPUs; 0: none.
 */
export function taskWrapper(gpusPerTask: number | 'own', dir: string | undefined): string {
  const lines = [
    'export RANK=${WEFT_RANK:-$SLURM_PROCID} WORLD_SIZE=${WEFT_WORLD_SIZE:-$SLURM_NTASKS} LOCAL_RANK=${WEFT_LOCAL_RANK:-$SLURM_LOCALID} WEFT_NODE=$SLURMD_NODENAME',
    'export WEFT_REPLICA=$RANK',
  ];
  if (typeof gpusPerTask === 'number' && gpusPerTask > 0) {
    const n = gpusPerTask;
    lines.push(
      `if [ -n "$CUDA_VISIBLE_DEVICES" ]; then`,
      `  CUDA_VISIBLE_DEVICES=$(printf %s "$CUDA_VISIBLE_DEVICES" | cut -d, -f$((LOCAL_RANK * ${n} + 1))-$((LOCAL_RANK * ${n} + ${n})))`,
      '  NVIDIA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES',
      '  export CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES',
      'fi',
    );
  } else if (gpusPerTask === 'own') {
    lines.push('[ -n "$CUDA_VISIBLE_DEVICES" ] && export NVIDIA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES');
  } else {
    lines.push('export CUDA_VISIBLE_DEVICES= NVIDIA_VISIBLE_DEVICES=void');
  }
  lines.push('"$@"', 'rc=$?');
  if (dir) lines.push(`echo $rc > ${quote(dir)}/weft-\${WEFT_SLURM_JOB:-$SLURM_JOB_ID}-$RANK.exit`);
  lines.push('exit $rc');
  return lines.join('\n');
}

/** One shell word, single-quoted. */
export function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
