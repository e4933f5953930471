import { describe, expect, it } from 'vitest';
import { QuotaExceededError } from '../model/errors.js';
import { chargesOf, checkQuota, limitOf } from './quota.js';
import { gpuEquivalents, type WorkloadSpec } from './workload.js';

const spec = (replicas: number, resources: WorkloadSpec['resources']): WorkloadSpec => ({ replicas, resources });

describe('quota charges', () => {
  it('counts whole GPUs, shares and MIG slices in whole-GPU equivalents', () => {
    expect(gpuEquivalents({ count: 8 })).toBe(8);
    expect(gpuEquivalents({ share: 0.25 })).toBe(0.25);
    expect(gpuEquivalents({ mig: '3g.40gb' })).toBeCloseTo(3 / 7);
    expect(gpuEquivalents(undefined)).toBe(0);
  });

  it('charges a GPU request to "*" and to every model it may land on', () => {
    const quota = { gpu: { 'H100-80GB': 32, 'A100-80GB': 8, '*': 40 } };
    const c = chargesOf(spec(2, { gpu: { count: 4, models: ['H100-80GB', 'A100-80GB'] } }), quota);
    expect(Object.fromEntries(c)).toEqual({ 'gpu *': 8, 'gpu H100-80GB': 8, 'gpu A100-80GB': 8 });
    const anyModel = chargesOf(spec(1, { gpu: { count: 2 } }), quota);
    expect(Object.fromEntries(anyModel)).toEqual({ 'gpu *': 2, 'gpu H100-80GB': 2, 'gpu A100-80GB': 2 });
  });

  it('charges only what the quota constrains', () => {
    expect(chargesOf(spec(3, { cpu: '2', memory: '1Gi', gpu: { count: 1 } }), { cpu: '8' })).toEqual(new Map([['cpu', 6000]]));
  });

  it('gives models without a key quota 0 unless "*" covers them', () => {
    expect(limitOf('gpu L4', { gpu: { 'H100-80GB': 4 } })).toBe(0);
    expect(limitOf('gpu L4', { gpu: { 'H100-80GB': 4, '*': 6 } })).toBe(Infinity);
    expect(limitOf('gpu *', { gpu: { 'H100-80GB': 4 } })).toBe(Infinity);
    expect(limitOf('gpu *', { gpu: {} })).toBe(0);
    expect(limitOf('gpu *', {})).toBe(Infinity);
  });

  it('reports every resource that is over, and lets non-growing updates through', () => {
    const quota = { gpu: { '*': 4 }, cpu: '4' };
    const requested = new Map([['gpu *', 4], ['cpu', 3000]]);
    const inUse = new Map([['gpu *', 2], ['cpu', 2000]]);
    let err: unknown;
    try {
      checkQuota('p', quota, requested, inUse);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect((err as QuotaExceededError).message).toBe(
      'project "p": quota exceeded for gpu (any model): requested 4, in use 2, quota 4 (over by 2); quota exceeded for cpu: requested 3, in use 2, quota 4 (over by 1)',
    );
    expect(() => checkQuota('p', quota, requested, inUse, requested)).not.toThrow();
  });
});
