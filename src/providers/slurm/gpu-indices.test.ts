import { describe, expect, it } from 'vitest';
import { gpuSlices, sliceArg } from './gpu-indices.js';

describe('gpuSlices', () => {
  it('gives replicas on one node consecutive, disjoint GPUs of each type, and each node its own count', () => {
    const slices = gpuSlices([
      { host: 'a', gres: 'h100:3' },
      { host: 'a', gres: 'a100:2,h100:1' },
      { host: 'b', gres: 'h100:3' },
      { host: 'a', gres: '' },
      { host: 'a', gres: 'a100:2' },
    ]);
    expect(slices.map(sliceArg)).toEqual(['h100:0:3', 'a100:0:2,h100:3:1', 'h100:0:3', '', 'a100:2:2']);
  });
});
