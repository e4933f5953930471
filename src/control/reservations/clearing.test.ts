import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearNode, type Fate, type Outsider } from './clearing.js';

const o = (workload: string, gpus: number[], fate: Fate = 'evictable'): Outsider => ({ workload, gpus, fate });

describe('clearNode', () => {
  it('counts a GPU share or MIG slice as its whole GPU, once however many share it', () => {
    expect(clearNode([o('share', [3])], 0).evict).toEqual(['share']);
    expect(clearNode([o('a', [3]), o('b', [3])], 0).evict).toEqual(['a', 'b']);
    // One GPU taken, one not booked: nothing to clear.
    expect(clearNode([o('a', [3]), o('b', [3])], 1)).toEqual({ evict: [], conflicts: new Map() });
  });

  it('frees GPUs it can before reporting those held by work that may not be preempted, and leaves that GPU\'s sharers alone', () => {
    const outsiders = [o('firm', [0], 'fixed'), o('spot-with-firm', [0]), o('spot', [1])];
    expect(clearNode(outsiders, 0)).toEqual({ evict: ['spot'], conflicts: new Map([['firm', 1]]) });
    // One GPU not booked: the firm work is taken to sit there.
    expect(clearNode(outsiders, 1)).toEqual({ evict: ['spot'], conflicts: new Map() });
  });

  it('counts GPUs already freeing and those lent to sharers before evicting, and a gang frees all its GPUs at once', () => {
    expect(clearNode([o('going', [0, 1, 2, 3], 'leaving'), o('h', [4, 5, 6, 7])], 4).evict).toEqual([]);
    expect(clearNode([o('g', [0, 1, 2, 3]), o('h', [4, 5, 6, 7])], 4).evict).toEqual(['g']);
    expect(clearNode([o('sharer', [0], 'may-stay'), o('own-spot', [1])], 1).evict).toEqual([]);
    expect(clearNode([o('sharer', [0], 'may-stay'), o('own-spot', [1])], 0).evict).toEqual(['own-spot']);
  });

  it('clears everything on a whole-node booking, GPU-less work included', () => {
    const c = clearNode([o('cpu', []), o('cpu-firm', [], 'fixed'), o('share', [2]), o('sharer', [5], 'may-stay')], 'whole');
    expect(c).toEqual({ evict: ['cpu', 'share'], conflicts: new Map([['cpu-firm', 0]]) });
    // A node booked by GPUs leaves GPU-less work alone.
    expect(clearNode([o('cpu', [])], 0).evict).toEqual([]);
  });

  it('leaves no more GPUs held than the node has unbooked, but for those held by right or by work that may not go', () => {
    const outsider = fc.record({
      workload: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      gpus: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }),
      fate: fc.constantFrom<Fate>('leaving', 'may-stay', 'evictable', 'fixed'),
    });
    // A workload has one fate (its replicas are alike).
    const sample = fc.array(outsider, { maxLength: 10 }).map((xs) => xs.map((x) => ({ ...x, fate: xs.find((y) => y.workload === x.workload)!.fate })));
    fc.assert(
      fc.property(sample, fc.integer({ min: 0, max: 8 }), (outsiders, unbooked) => {
        const c = clearNode(outsiders, unbooked);
        for (const w of c.evict) expect(outsiders.filter((x) => x.workload === w).every((x) => x.fate === 'evictable')).toBe(true);
        for (const w of c.conflicts.keys()) expect(outsiders.some((x) => x.workload === w && x.fate === 'fixed')).toBe(true);
        const gone = new Set([...c.evict, ...outsiders.filter((x) => x.fate === 'leaving').map((x) => x.workload)]);
        const held = new Set(outsiders.filter((x) => !gone.has(x.workload)).flatMap((x) => x.gpus));
        const kept = new Set(outsiders.filter((x) => x.fate === 'fixed' || x.fate === 'may-stay').flatMap((x) => x.gpus));
        // Booked GPUs are left held only by work with the right to stay or that may not go...
        expect([...held].filter((g) => !kept.has(g)).length).toBeLessThanOrEqual(unbooked);
        // ...and the latter is reported exactly when it holds more GPUs than the node has unbooked.
        const stuck = new Set(outsiders.filter((x) => x.fate === 'fixed').flatMap((x) => x.gpus));
        expect(c.conflicts.size > 0).toBe(stuck.size > unbooked);
      }),
    );
  });
});
