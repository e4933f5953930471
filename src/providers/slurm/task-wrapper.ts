// The shell each task of a Weft job on Slurm runs (submission.ts, uneven-submission.ts): pure.

/**
 * Weft's identity and torchrun's variables — from Slurm's (one step with a task per replica),
 * or from WEFT_RANK, WEFT_LOCAL_RANK and WEFT_WORLD_SIZE where each replica is a step of its own
 * — then the command; its exit code is kept beside its output, under the batch job's id
 * (WEFT_SLURM_JOB where set). `gpusPerTask`: every task of the step sees all the node's GPUs of
 * the step, so it keeps only its LOCAL_RANK-th group of that many; 'listed': the step sees all
 * the job's GPUs on its node and keeps those whose global indices WEFT_GPUS lists (uneven
 * gangs, gpu-indices.ts); 0: none.
 */
export function taskWrapper(gpusPerTask: number | 'listed', dir: string | undefined): string {
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
  } else if (gpusPerTask === 'listed') {
    // SLURM_STEP_GPUS holds global indices; CUDA_VISIBLE_DEVICES the same GPUs in the same
    // order, renumbered from 0 where Slurm constrains devices: keep the entries at the positions
    // of WEFT_GPUS's indices.
    lines.push(
      'all=${SLURM_STEP_GPUS:-$WEFT_GPUS} vis=${CUDA_VISIBLE_DEVICES:-${SLURM_STEP_GPUS:-$WEFT_GPUS}} own=',
      'for g in $(printf %s "$WEFT_GPUS" | tr , " "); do',
      '  i=$(printf %s "$all" | tr , "\\n" | grep -nxF "$g" | cut -d: -f1)',
      '  [ -n "$i" ] && own=${own:+$own,}$(printf %s "$vis" | cut -d, -f"$i")',
      'done',
      'export CUDA_VISIBLE_DEVICES=$own NVIDIA_VISIBLE_DEVICES=$own',
    );
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
