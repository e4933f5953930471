import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSacct } from './sacct.js';

const example = readFileSync(new URL('../../../examples/sim/slurm-sacct.txt', import.meta.url), 'utf8');

describe('a sacct --parsable2 export as a replay workload', () => {
  it('turns each job allocation into a gang, in submission order, leaving out steps and jobs that never ran', () => {
    const { gangs, neverStarted } = parseSacct(example);
    expect(neverStarted).toBe(1);
    expect(gangs.map((g) => g.gang.id)).toEqual(['slurm-101', 'slurm-102', 'slurm-103', 'slurm-105', 'slurm-106']);
    const [multi, small, , timedOut, running] = gangs;
    expect(multi).toMatchObject({
      queue: 'physics',
      submitAt: 0,
      durationMs: 2 * 3_600_000,
      gang: { replicas: 2, maxRuntimeMs: 4 * 3_600_000, resources: { cpuMilli: 16_000, memoryBytes: 128 * 2 ** 30, gpu: { kind: 'whole', count: 8 }, gpuModels: ['H100-80GB'] } },
    });
    expect(small).toMatchObject({ queue: 'chemistry', submitAt: 600_000, durationMs: 1_800_000, gang: { replicas: 1, resources: { gpu: { kind: 'whole', count: 4 } } } });
    expect(small!.gang.resources.gpuModels).toBeUndefined();
    expect(timedOut!.gang.maxRuntimeMs).toBeUndefined(); // UNLIMITED
    expect(running).toMatchObject({ queue: 'default', durationMs: null });
  });

  it('names what is wrong with a bad export', () => {
    expect(() => parseSacct('JobID|State\n1|COMPLETED')).toThrow(/missing Submit, Start, End, NNodes, AllocTRES or ReqTRES/);
    expect(() => parseSacct('JobID|Submit|Start|End|NNodes|AllocTRES\n7|yesterday|x|y|1|cpu=1')).toThrow(/line 2 \(job 7\): Submit "yesterday" is not a time/);
    expect(() => parseSacct('JobID|Submit|Start|End|NNodes|AllocTRES\n7|2026-01-01T00:00:00|2026-01-01T00:00:00|2026-01-01T00:01:00|0|cpu=1')).toThrow(/NNodes "0"/);
  });
});
