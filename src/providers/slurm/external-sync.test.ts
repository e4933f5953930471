import { describe, expect, it } from 'vitest';
import { expandHostlist, gpuIndices, projectOf } from './external-sync.js';

describe('reading a job submitted straight to Slurm', () => {
  it('expands compressed host lists, keeping zero padding', () => {
    expect(expandHostlist('n1')).toEqual(['n1']);
    expect(expandHostlist('gpu[01-03,07],login1')).toEqual(['gpu01', 'gpu02', 'gpu03', 'gpu07', 'login1']);
  });

  it('reads the GPU indices Slurm gave it on a node', () => {
    expect(gpuIndices('gpu:h100:3(IDX:0-1,5)')).toEqual([0, 1, 5]);
    expect(gpuIndices('gpu:h100:0(IDX:N/A)')).toEqual([]);
    expect(gpuIndices(undefined)).toEqual([]);
  });

  it('maps its account to a project by the first rule naming it, else the default', () => {
    const spec = { accounts: [{ account: 'physics', project: 'phys' }], defaultProject: 'hpc-users' };
    expect(projectOf(spec, 'physics')).toBe('phys');
    expect(projectOf(spec, 'chem')).toBe('hpc-users');
    expect(projectOf({}, 'chem')).toBeUndefined();
  });
});
