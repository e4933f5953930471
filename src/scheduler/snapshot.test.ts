import { describe, expect, it } from 'vitest';
import { Snapshot } from './snapshot.js';
import { node } from './testing/fixtures.js';

const delta = (gpus: number[], milli: number) => ({ cpuMilli: 2000, memoryBytes: 1024, gpus, milliPerGpu: milli, migMask: 0, shapeClass: 1 });

describe('Snapshot', () => {
  it('lays nodes and GPUs out as flat arrays', () => {
    const s = new Snapshot([node('a', 2), node('b', 0), node('c', 8)]);
    expect(s.gpuTotal).toBe(10);
    expect(Array.from(s.gpuStart)).toEqual([0, 2, 2, 10]);
    expect(s.gpuMilliFree).toBe(10_000);
    expect(s.maxGpusPerNode).toBe(8);
  });

  it('rolls back assumed changes exactly and bumps versions', () => {
    const s = new Snapshot([node('a', 2), node('b', 4)]);
    const v0 = s.version[1]!;
    const m = s.mark();
    s.assume(1, delta([2, 3], 1000));
    s.assume(1, delta([4], 300));
    expect(s.fullFree[1]).toBe(1);
    expect(s.gpuFree[4]).toBe(700);
    expect(s.gpuMilliFree).toBe(6000 - 2300);
    s.rollback(m);
    expect(s.fullFree[1]).toBe(4);
    expect(s.cpuFree[1]).toBe(64_000);
    expect(s.gpuMilliFree).toBe(6000);
    expect(s.version[1]).toBeGreaterThan(v0);
  });

  it('refuses to over-allocate a GPU', () => {
    const s = new Snapshot([node('a', 1)]);
    s.assume(0, delta([0], 600));
    expect(() => s.assume(0, delta([0], 600))).toThrow(RangeError);
  });

  it('whatIf undoes, clone is independent', () => {
    const s = new Snapshot([node('a', 2)]);
    s.whatIf((w) => w.assume(0, delta([0], 1000)));
    expect(s.fullFree[0]).toBe(2);
    const c = s.clone();
    c.assume(0, delta([0], 1000));
    expect(s.fullFree[0]).toBe(2);
    expect(c.fullFree[0]).toBe(1);
  });
});
