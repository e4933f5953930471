import { describe, expect, it } from 'vitest';
import { migRunMask } from '../model/gpu-catalog.js';
import { findMigSlot, findMigSlotInFleet, keptTable } from './mig.js';
import { compileReplica } from './request.js';
import { Snapshot, SHAPE_MIG } from './snapshot.js';
import { node } from './testing/fixtures.js';

const fleet = (gpus: number, model = 'H100-80GB') => new Snapshot([node('a', gpus, { gpuModel: model, migGpus: Array.from({ length: gpus }, (_, i) => i) })]);
const mig = (snap: Snapshot, profile: string) => compileReplica(snap, { resources: { cpuMilli: 0, memoryBytes: 0, gpu: { kind: 'mig', profile } } });
const take = (snap: Snapshot, gpu: number, mask: number) =>
  snap.assume(0, { cpuMilli: 0, memoryBytes: 0, gpus: [gpu], milliPerGpu: 0, migMask: mask, shapeClass: SHAPE_MIG });

describe('MIG placement', () => {
  it('puts a 1g where it keeps the 4g and 7g-free half intact; first-fit takes slice 0', () => {
    const snap = fleet(1);
    expect(findMigSlot(snap, 0, mig(snap, '1g.10gb'))).toMatchObject({ gpu: 0, start: 6 });
    expect(findMigSlot(snap, 0, mig(snap, '1g.10gb'), 'first-fit')).toMatchObject({ gpu: 0, start: 0 });
  });

  it('after a 1g at slice 6 a 4g still fits; after first-fit’s 1g at 0 it does not', () => {
    const ours = fleet(1);
    const ff = fleet(1);
    for (const [snap, rule] of [[ours, 'keep-most'], [ff, 'first-fit']] as const) {
      const s = findMigSlot(snap, 0, mig(snap, '1g.10gb'), rule);
      take(snap, s.gpu, s.mask);
    }
    expect(findMigSlot(ours, 0, mig(ours, '4g.40gb')).gpu).toBe(0);
    expect(findMigSlot(ff, 0, mig(ff, '4g.40gb'), 'first-fit').gpu).toBe(-1);
  });

  it('prefers the partly used GPU, so an empty one stays whole for a 7g', () => {
    const snap = fleet(3);
    take(snap, 2, migRunMask(0, 4)); // a 3g on the last GPU
    const s = findMigSlot(snap, 0, mig(snap, '2g.20gb'));
    expect(s).toMatchObject({ gpu: 2, start: 4 });
  });

  it('never returns an occupied or invalid start', () => {
    const snap = fleet(1);
    take(snap, 0, migRunMask(0, 4) | migRunMask(4, 2));
    expect(findMigSlot(snap, 0, mig(snap, '3g.40gb')).gpu).toBe(-1);
    expect(findMigSlot(snap, 0, mig(snap, '2g.20gb')).gpu).toBe(-1); // 2g cannot start at 6
    expect(findMigSlot(snap, 0, mig(snap, '1g.20gb'))).toMatchObject({ start: 6, mask: 0b1100_0000 });
  });

  it('hosts only the profiles of the GPU’s own model', () => {
    const snap = fleet(1, 'A100-40GB');
    expect(findMigSlot(snap, 0, mig(snap, '3g.40gb')).gpu).toBe(-1);
    expect(findMigSlot(snap, 0, mig(snap, '3g.20gb')).gpu).toBe(0);
  });

  it('searches the whole fleet and reports the node', () => {
    const snap = new Snapshot([node('a', 1, { gpuModel: 'H100-80GB' }), node('b', 2, { gpuModel: 'H100-80GB', migGpus: [0, 1] })]);
    snap.assume(1, { cpuMilli: 0, memoryBytes: 0, gpus: [2], milliPerGpu: 0, migMask: migRunMask(0, 4), shapeClass: SHAPE_MIG });
    expect(findMigSlotInFleet(snap, mig(snap, '3g.40gb'))).toMatchObject({ node: 1, gpu: 2, start: 4 });
    expect(findMigSlotInFleet(snap, mig(snap, '7g.80gb'), 'first-fit')).toMatchObject({ node: 1, gpu: 1, start: 0 });
  });

  it('counts future placements: all of them on an empty GPU, none on a full one', () => {
    const t = keptTable('H100-80GB');
    // 7×1 + 4×2 + 3×2 + 2×4 + 1×4 + 1×8 weighted by width (media variant not counted twice).
    expect(t[0]).toBe(7 + 8 + 6 + 8 + 4 + 8);
    expect(t[0xff]).toBe(0);
  });
});
