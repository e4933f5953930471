import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { submissionFor, type GangPlacement } from './submission.js';

const alloc = (replica: number, node: string, over: Record<string, unknown> = {}): Resource =>
  ({
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name: `t-a0-r${replica}`, project: 'ml', uid: `u${replica}` },
    spec: {
      workload: { kind: 'Job', name: 'train', uid: 'w1' },
      replica,
      attempt: 0,
      node,
      gpus: [{ index: replica * 2, model: 'H100-80GB', milli: 1000 }, { index: replica * 2 + 1, model: 'H100-80GB', milli: 1000 }],
      cpuMilli: 1500,
      memoryBytes: 3 * 2 ** 30,
      task: { command: ['python', 'train.py'], args: ["--name=it's"], env: [{ name: 'LR', value: '0.1' }] },
      rendezvous: { worldSize: 3, masterNode: 'hpc-a', masterPort: 29511 },
      ...over,
    },
  }) as unknown as Resource;

const placement = (allocations: Resource[]): GangPlacement => ({
  allocations,
  slurmNode: (n) => ({ 'hpc-a': 'a', 'hpc-b': 'b' })[n],
  gresType: () => 'h100',
  address: (n) => `10.0.0.${n === 'a' ? 1 : 2}`,
  outputDir: '/shared/weft',
  partition: 'gpu',
});

describe('a gang as one Slurm job', () => {
  it('lays tasks out on exactly the replicas\' nodes, in replica order, with each replica\'s resources', () => {
    const sub = submissionFor(placement([alloc(2, 'hpc-b'), alloc(0, 'hpc-a'), alloc(1, 'hpc-a')]));
    if ('refused' in sub) throw new Error(sub.refused);
    expect(sub.job).toMatchObject({
      nodelist: 'a,a,b',
      distribution: 'arbitrary',
      tasks: 3,
      cpus_per_task: 2,
      memory_per_cpu: 1536,
      gpus_per_task: 'h100:2',
      no_requeue: true,
      partition: 'gpu',
      comment: 'weft:ml/Job/train/w1/0',
    });
    expect(sub.job.environment).toMatchObject({ LR: '0.1', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29511', WEFT_PROJECT: 'ml' });
    expect(sub.script).toContain(`printf '%s\\n' 'a' 'a' 'b'`);
    expect(sub.script).toContain(`'python' 'train.py' '--name=it'\\''s'`);
  });

  it('refuses what Slurm cannot run, saying why', () => {
    expect(submissionFor(placement([alloc(0, 'hpc-a', { task: { image: 'x' } })]))).toEqual({ refused: expect.stringContaining('container image') });
    expect(submissionFor(placement([alloc(0, 'hpc-a', { task: {} })]))).toEqual({ refused: expect.stringContaining('spec.command') });
    expect(submissionFor(placement([alloc(0, 'elsewhere')]))).toEqual({ refused: expect.stringContaining('not a node of this Slurm cluster') });
  });

  it('gives replicas that ask for different GPUs one step each with its own request, holding their sum on the node', () => {
    const h100 = [{ index: 0, model: 'H100-80GB', milli: 1000 }, { index: 1, model: 'H100-80GB', milli: 1000 }];
    const a100 = [{ index: 4, model: 'A100', milli: 1000 }, { index: 5, model: 'A100', milli: 1000 }];
    const mixed = { ...placement([alloc(0, 'hpc-a', { gpus: h100, cpuMilli: 1000 }), alloc(1, 'hpc-a', { gpus: a100, cpuMilli: 2000 })]), gresType: (_n: string, model: string) => (model === 'A100' ? 'a100' : 'h100') };
    const sub = submissionFor(mixed);
    if ('refused' in sub) throw new Error(sub.refused);
    expect(sub.job).toMatchObject({ nodelist: 'a', nodes: 1, tasks: 1, cpus_per_task: 3, memory_per_node: 6144, gres: 'gpu:a100:2,gpu:h100:2', comment: 'weft:ml/Job/train/w1/0' });
    expect(sub.job.gpus_per_task).toBeUndefined();
    // Each replica is told its own GPUs of the job's, fixed before any step starts.
    expect(sub.script).toContain(`gpus_0=$(weft_gpus 'a' 'h100:0:2')`);
    expect(sub.script).toContain(`gpus_1=$(weft_gpus 'a' 'a100:0:2')`);
    expect(sub.script).toContain(`WEFT_RANK=0 WEFT_LOCAL_RANK=0 WEFT_WORLD_SIZE=2 WEFT_SLURM_JOB=$SLURM_JOB_ID WEFT_GPUS=$gpus_0 srun -N1 -n1 --exact -w 'a' --cpus-per-task=1 --mem=3072 --overlap`);
    expect(sub.script).toContain(`WEFT_RANK=1 WEFT_LOCAL_RANK=1 WEFT_WORLD_SIZE=2 WEFT_SLURM_JOB=$SLURM_JOB_ID WEFT_GPUS=$gpus_1 srun -N1 -n1 --exact -w 'a' --cpus-per-task=2 --mem=3072 --overlap`);
    expect(sub.script).toContain('--output="/shared/weft/weft-$SLURM_JOB_ID-1.out"');
  });

  it('gives a replica without GPUs none of its gang\'s, and refuses a gang needing different sums on different nodes', () => {
    const some = submissionFor(placement([alloc(0, 'hpc-a'), alloc(1, 'hpc-a', { gpus: [] })]));
    if ('refused' in some) throw new Error(some.refused);
    expect(some.job.gres).toBe('gpu:h100:2');
    expect(some.script).toMatch(/WEFT_RANK=1 .* --gres=none /);
    const refused = submissionFor(placement([alloc(0, 'hpc-a'), alloc(1, 'hpc-b', { gpus: [] })]));
    expect(refused).toEqual({ refused: expect.stringContaining('a: 2 CPUs, 3072 MiB, 2 × h100; b: 2 CPUs, 3072 MiB)') });
  });
});
