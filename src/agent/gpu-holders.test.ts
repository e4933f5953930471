import { describe, expect, it } from 'vitest';
import type { AllocatedGpu } from '../model/kinds/allocation.js';
import { gpuInUse } from './gpu-holders.js';

const whole = (index: number): AllocatedGpu => ({ index, model: 'H100-80GB', milli: 1000 });
const share = (index: number, milli: number): AllocatedGpu => ({ index, model: 'H100-80GB', milli });
const mig = (index: number, start: number, size: number): AllocatedGpu => ({ index, model: 'A100-80GB', milli: 143, mig: { profile: '1g.10gb', start, size } });

describe('gpuInUse', () => {
  it('a whole GPU is free only when nothing here uses it', () => {
    expect(gpuInUse([whole(0), whole(1)], [])).toBeUndefined();
    expect(gpuInUse([whole(0), whole(1)], [[whole(2)]])).toBeUndefined();
    expect(gpuInUse([whole(0), whole(1)], [[whole(1)]])).toEqual(whole(1));
    expect(gpuInUse([whole(0)], [[share(0, 250)]])).toEqual(whole(0));
    expect(gpuInUse([whole(0)], [[mig(0, 0, 1)]])).toEqual(whole(0));
  });

  it('shares fit while the thousandths add up to at most one GPU', () => {
    expect(gpuInUse([share(0, 500)], [[share(0, 250)], [share(0, 250)]])).toBeUndefined();
    expect(gpuInUse([share(0, 500)], [[share(0, 250)], [share(0, 500)]])).toEqual(share(0, 500));
  });

  it('MIG slices conflict only where they overlap', () => {
    expect(gpuInUse([mig(0, 2, 2)], [[mig(0, 0, 2)], [mig(0, 4, 3)]])).toBeUndefined();
    expect(gpuInUse([mig(0, 2, 2)], [[mig(0, 3, 1)]])).toEqual(mig(0, 2, 2));
    expect(gpuInUse([mig(0, 2, 2)], [[share(0, 100)]])).toEqual(mig(0, 2, 2));
  });
});
