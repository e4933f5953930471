import { describe, expect, it } from 'vitest';
import { endedFromAccounting } from './accounting.js';
import { decodeExit } from './job-state.js';
import type { SlurmDbJob } from './rest.js';

const record = (over: Partial<SlurmDbJob>): SlurmDbJob => ({
  job_id: 7,
  name: 'wrap',
  account: 'physics',
  user: 'alice',
  nodes: 'n[1-2]',
  state: { current: 'COMPLETED' },
  time: { start: 1_000, end: 1_060 },
  exit_code: { status: 'SUCCESS', return_code: 0 },
  tres: { allocated: [{ type: 'cpu', name: null, count: 4 }, { type: 'gres', name: 'gpu', count: 3 }, { type: 'mem', name: null, count: 100 }] },
  comment: { job: null },
  ...over,
});

describe("a job's record in Slurm's accounting", () => {
  it('reads its times, CPUs and GPUs over all its nodes', () => {
    const r = endedFromAccounting(record({}))!;
    expect(r.gpus).toBe(3);
    expect(r.job).toMatchObject({ job_id: 7, job_state: 'COMPLETED', nodes: 'n[1-2]', account: 'physics', start_time: 1_000, end_time: 1_060, cpus: 4 });
    expect(r.job.comment).toBeUndefined();
  });

  it('keeps its exit code, or its signal as a shell reports it', () => {
    expect(decodeExit(endedFromAccounting(record({ state: { current: 'FAILED' }, exit_code: { status: 'FAILED', return_code: 3 } }))!.job.exit_code)).toBe(3);
    expect(decodeExit(endedFromAccounting(record({ state: { current: 'CANCELLED' }, exit_code: { status: 'SIGNALED', return_code: 0, signal: { signal_id: 9 } } }))!.job.exit_code)).toBe(137);
  });

  it('is not an ended job while it waits or runs, or when it never started', () => {
    expect(endedFromAccounting(record({ state: { current: 'RUNNING' }, time: { start: 1_000, end: 0 } }))).toBeUndefined();
    expect(endedFromAccounting(record({ state: { current: 'PENDING' }, time: { start: 0, end: 0 } }))).toBeUndefined();
    expect(endedFromAccounting(record({ state: { current: 'CANCELLED' }, time: { start: 0, end: 1_060 } }))).toBeUndefined();
  });
});
