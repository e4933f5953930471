import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { decodeExit, nextStatus } from './job-state.js';
import type { SlurmJob } from './rest.js';

const now = new Date('2026-01-01T00:00:10Z');
const alloc = (status: Record<string, unknown> = {}): Resource =>
  ({ apiVersion: 'weft/v1', kind: 'Allocation', metadata: { name: 'a', project: 'p', uid: 'u', resourceVersion: '1' }, spec: {}, status }) as unknown as Resource;
const job = (job_state: string, over: Partial<SlurmJob> = {}): SlurmJob => ({ job_id: 7, name: 'j', job_state, nodes: 'n1', start_time: 1767225600, end_time: 1767225605, ...over });

describe('an allocation on Slurm follows its job', () => {
  it('waits while Slurm holds the job, saying why', () => {
    expect(nextStatus(alloc({ slurmJobId: 7 }), job('PENDING', { state_reason: 'Resources' }), undefined, now)).toMatchObject({ message: 'pending in Slurm as job 7 (Resources)' });
  });

  it('runs from Slurm\'s start time', () => {
    expect(nextStatus(alloc({ slurmJobId: 7 }), job('RUNNING'), undefined, now)).toMatchObject({ phase: 'Running', startedAt: '2026-01-01T00:00:00.000Z' });
    expect(nextStatus(alloc({ phase: 'Running', slurmJobId: 7 }), job('RUNNING'), undefined, now)).toBeUndefined();
  });

  it('ends with the replica\'s own exit code, else the job\'s', () => {
    expect(nextStatus(alloc({ phase: 'Running' }), job('FAILED', { exit_code: 256 }), 3, now)).toMatchObject({ phase: 'Failed', exitCode: 3 });
    expect(nextStatus(alloc({ phase: 'Running' }), job('COMPLETED', { exit_code: 0 }), 0, now)).toMatchObject({ phase: 'Succeeded', exitCode: 0, finishedAt: '2026-01-01T00:00:05.000Z' });
    expect(nextStatus(alloc({ phase: 'Running' }), job('FAILED', { exit_code: 512 }), undefined, now)).toMatchObject({ phase: 'Failed', exitCode: 2 });
    expect(nextStatus(alloc({ phase: 'Running' }), job('TIMEOUT', { exit_code: 0 }), undefined, now)).toMatchObject({ phase: 'Failed', exitCode: 1 });
  });

  it('is Lost when its node fails in Slurm or the job vanished without an exit code', () => {
    expect(nextStatus(alloc({ phase: 'Running' }), job('NODE_FAIL'), undefined, now)).toMatchObject({ phase: 'Lost' });
    expect(nextStatus(alloc({ phase: 'Running', slurmJobId: 7 }), undefined, undefined, now)).toMatchObject({ phase: 'Lost' });
    expect(nextStatus(alloc({ phase: 'Running', slurmJobId: 7 }), undefined, 0, now)).toMatchObject({ phase: 'Succeeded' });
  });

  it('stops on request: Stopping while Slurm cancels, then Stopped or Preempted by the reason', () => {
    const stopping = alloc({ phase: 'Running', slurmJobId: 7, stopRequested: { reason: 'Suspended' } });
    expect(nextStatus(stopping, job('RUNNING'), undefined, now)).toMatchObject({ phase: 'Stopping' });
    expect(nextStatus(stopping, job('CANCELLED'), undefined, now)).toMatchObject({ phase: 'Stopped' });
    const preempted = alloc({ phase: 'Stopping', slurmJobId: 7, stopRequested: { reason: 'Preempted by Job/p/x' } });
    expect(nextStatus(preempted, job('CANCELLED'), undefined, now)).toMatchObject({ phase: 'Preempted' });
    expect(nextStatus(alloc({ stopRequested: { reason: 'OwnerDeleted' } }), undefined, undefined, now)).toMatchObject({ phase: 'Stopped' });
  });

  it('decodes wait statuses as a shell reports them', () => {
    expect(decodeExit(0)).toBe(0);
    expect(decodeExit(768)).toBe(3);
    expect(decodeExit(9)).toBe(137);
  });
});
