import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { TypicalPod } from './typical-pods.js';

const typical: TypicalPod[] = [
  { cpuMilli: 4000, gpuMilli: 1000, gpuCount: 1, gpuModels: [], p: 0.5 },
  { cpuMilli: 2000, gpuMilli: 500, gpuCount: 1, gpuModels: [], p: 0.3 },
  { cpuMilli: 8000, gpuMilli: 0, gpuCount: 0, gpuModels: [], p: 0.2 },
];
const cfg = (name: string) => ({ policy: createPolicy(name, { typicalPods: typical }) });

describe('schedule', () => {
  it('gives a whole-GPU replica distinct fully free GPUs and explains the choice', () => {
    const snap = new Snapshot([node('a', 4), node('b', 8)]);
    const { decisions } = schedule(snap, [gang('g', { kind: 'whole', count: 3 })], cfg('best-fit'), 0, seededRng(1));
    const p = decisions[0]!.placements[0]!;
    expect(decisions[0]!.placed).toBe(true);
    expect(p.nodeName).toBe('a'); // least left over
    expect(new Set(p.gpus).size).toBe(3);
    expect(p.scores['best-fit']).toBeTypeOf('number');
    expect(p.feasibleNodes).toBe(2);
    expect(snap.fullFree[0]).toBe(1);
  });

  it('reports, per filter, how many nodes rejected an unplaceable replica', () => {
    const snap = new Snapshot([node('a', 1), node('b', 2, { cpuMilli: 500 }), node('c', 0), node('d', 4, { schedulable: false })]);
    const { decisions } = schedule(snap, [gang('g', { kind: 'whole', count: 2 })], cfg('fgd'), 0, seededRng(1));
    const d = decisions[0]!;
    expect(d.placed).toBe(false);
    expect(d.unplaced[0]!.rejected).toEqual({ NodeUnschedulable: 1, InsufficientCpu: 1, InsufficientGpu: 2 });
    expect(d.unplaced[0]!.message).toMatch(/^0\/4 nodes fit/);
  });

  it('places a gang all-or-nothing and rolls back a partial one', () => {
    const snap = new Snapshot([node('a', 8), node('b', 8)]);
    const tooBig = gang('big', { kind: 'whole', count: 8 }, { replicas: 3 });
    const r1 = schedule(snap, [tooBig], cfg('best-fit'), 0, seededRng(1));
    expect(r1.decisions[0]!.placed).toBe(false);
    expect(snap.gpuMilliFree).toBe(16_000);
    const fits = gang('ok', { kind: 'whole', count: 8 }, { replicas: 2 });
    expect(schedule(snap, [fits], cfg('best-fit'), 0, seededRng(1)).decisions[0]!.placements).toHaveLength(2);
    expect(snap.gpuMilliFree).toBe(0);
  });

  it('keeps a partial gang once minAvailable replicas fit', () => {
    const snap = new Snapshot([node('a', 8)]);
    const g = gang('elastic', { kind: 'whole', count: 4 }, { replicas: 3, minAvailable: 2 });
    const d = schedule(snap, [g], cfg('spread'), 0, seededRng(1)).decisions[0]!;
    expect(d.placed).toBe(true);
    expect(d.placements).toHaveLength(2);
    expect(d.unplaced).toHaveLength(1);
  });

  it('honours allowed GPU models', () => {
    const snap = new Snapshot([node('a', 8, { gpuModel: 'A100-80GB' }), node('b', 8, { gpuModel: 'H100-80GB' })]);
    const g = gang('g', { kind: 'whole', count: 1 }, { models: ['H100-80GB'] });
    expect(schedule(snap, [g], cfg('binpack'), 0, seededRng(1)).decisions[0]!.placements[0]!.nodeName).toBe('b');
  });

  it('puts a topology-bound gang in the smallest rack that holds it', () => {
    const nodes = [
      node('r1-a', 8, { rack: 'r1' }),
      node('r1-b', 8, { rack: 'r1' }),
      node('r1-c', 8, { rack: 'r1' }),
      node('r2-a', 8, { rack: 'r2' }),
      node('r2-b', 8, { rack: 'r2' }),
    ];
    const snap = new Snapshot(nodes);
    const g = gang('train', { kind: 'whole', count: 8 }, { replicas: 2, topology: { within: 'rack', mode: 'required' } });
    const d = schedule(snap, [g], cfg('spread'), 0, seededRng(1)).decisions[0]!;
    expect(d.placements.map((p) => p.nodeName).sort()).toEqual(['r2-a', 'r2-b']);
    // r1 is the only rack left; with one of its nodes busy it holds 2 of 3 replicas.
    snap.assume(0, { cpuMilli: 1000, memoryBytes: 0, gpus: [0], milliPerGpu: 1000, migMask: 0, shapeClass: 1 });
    const three = gang('three', { kind: 'whole', count: 8 }, { replicas: 3, topology: { within: 'rack', mode: 'required' } });
    const waiting = schedule(snap, [three], cfg('spread'), 0, seededRng(1)).decisions[0]!;
    expect(waiting.refused).toBeUndefined();
    expect(waiting.unplaced[0]!.rejected.TopologyDomain).toBe(2);
    // No rack has four nodes: refused outright, whatever runs.
    const huge = gang('huge', { kind: 'whole', count: 8 }, { replicas: 4, topology: { within: 'rack', mode: 'required' } });
    const never = schedule(snap, [huge], cfg('spread'), 0, seededRng(1)).decisions[0]!;
    expect(never).toMatchObject({ placed: false, refused: true });
    expect(never.reasons![0]).toMatchObject({ code: 'Unsatisfiable', message: 'can never fit this fleet: asks 4 replicas within one rack; the roomiest rack (r1) holds 3 even empty' });
  });

  it('packs MIG instances into the slots that keep larger profiles possible', () => {
    const snap = new Snapshot([node('a', 2, { gpuModel: 'A100-80GB', migGpus: [0, 1] })]);
    const g = gang('m', { kind: 'mig', profile: '1g.10gb' }, { replicas: 2 });
    const d = schedule(snap, [g], cfg('best-fit'), 0, seededRng(1)).decisions[0]!;
    expect(d.placed).toBe(true);
    // Both on one GPU, in the upper half: the 4g start stays free and the other GPU whole for a 7g.
    expect(d.placements.map((p) => p.gpus[0])).toEqual([0, 0]);
    expect(snap.migUsed[0]).toBe(0b0101_0000);
    const big = gang('m7', { kind: 'mig', profile: '7g.80gb' });
    expect(schedule(snap, [big], cfg('best-fit'), 0, seededRng(1)).decisions[0]!.placements[0]!.gpus).toEqual([1]);
  });

  it('serves higher priority first, then older submissions', () => {
    const snap = new Snapshot([node('a', 1)]);
    const low = gang('low', { kind: 'whole', count: 1 }, { priority: 0, submittedAt: 1 });
    const high = gang('high', { kind: 'whole', count: 1 }, { priority: 10, submittedAt: 5 });
    const r = schedule(snap, [low, high], cfg('best-fit'), 0, seededRng(1));
    expect(r.decisions.map((d) => [d.gangId, d.placed])).toEqual([
      ['high', true],
      ['low', false],
    ]);
  });

  it('puts a share on the fullest GPU that fits under best-fit', () => {
    const snap = new Snapshot([node('a', 4)]);
    schedule(snap, [gang('x', { kind: 'share', milli: 300 })], cfg('best-fit'), 0, seededRng(1));
    schedule(snap, [gang('y', { kind: 'share', milli: 500 })], cfg('best-fit'), 0, seededRng(1));
    expect(Array.from(snap.gpuFree)).toEqual([200, 1000, 1000, 1000]);
  });
});
