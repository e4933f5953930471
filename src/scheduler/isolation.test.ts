import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { GangRequest } from './types.js';

const cfg = (name = 'best-fit') => ({ policy: createPolicy(name) });
const run = (snap: Snapshot, gangs: GangRequest[]) => schedule(snap, gangs, cfg(), 0, seededRng(1)).decisions;

describe('exclusive-node isolation', () => {
  it('keeps an exclusive-node gang off hosts of other tenants, and other tenants off its host', () => {
    const snap = new Snapshot([node('a', 8), node('b', 8)]);
    const [first] = run(snap, [gang('a1', { kind: 'whole', count: 4 }, { project: 'alpha' })]);
    expect(first!.placements[0]!.nodeName).toBe('a');
    const [excl] = run(snap, [gang('b1', { kind: 'whole', count: 1 }, { project: 'beta', isolation: 'exclusive-node' })]);
    expect(excl!.placements[0]!.nodeName).toBe('b'); // a holds alpha's work, though best-fit prefers it
    // alpha cannot join beta's exclusive host: a has only 4 free GPUs, b has 7 but is beta's alone
    const [blocked] = run(snap, [gang('a2', { kind: 'whole', count: 7 }, { project: 'alpha' })]);
    expect(blocked!.placed).toBe(false);
    expect(blocked!.unplaced[0]!.rejected).toEqual({ NodeExclusive: 1, InsufficientGpu: 1 });
    expect(blocked!.explanation).toContain('closed by exclusive-node isolation');
    // beta itself may add more work to its own exclusive host
    const [own] = run(snap, [gang('b2', { kind: 'whole', count: 7 }, { project: 'beta' })]);
    expect(own!.placements[0]!.nodeName).toBe('b');
  });

  it('never lets two tenants share a host that holds exclusive-node work (property)', () => {
    const projects = ['p0', 'p1', 'p2'];
    const arbGang = fc.record({
      project: fc.constantFrom(...projects),
      exclusive: fc.boolean(),
      gpus: fc.integer({ min: 0, max: 4 }),
      share: fc.boolean(),
      replicas: fc.integer({ min: 1, max: 3 }),
      probe: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(arbGang, { minLength: 1, maxLength: 25 }), fc.integer({ min: 2, max: 6 }), (specs, nodes) => {
        const snap = new Snapshot(Array.from({ length: nodes }, (_, i) => node(`n${i}`, 4, { cpuMilli: 32_000 })));
        const onNode = new Map<string, { project: string; exclusive: boolean }[]>();
        specs.forEach((s, i) => {
          const g = gang(`g${i}`, s.share ? { kind: 'share', milli: 300 } : s.gpus > 0 ? { kind: 'whole', count: s.gpus } : { kind: 'none' }, {
            project: s.project,
            isolation: s.exclusive ? 'exclusive-node' : 'dedicated',
            replicas: s.replicas,
            allowSharing: true,
          });
          // Some gangs are only what-ifs: whatever they did must leave no trace.
          if (s.probe) {
            snap.whatIf((w) => run(w, [g]));
            return;
          }
          const [d] = run(snap, [g]);
          for (const p of d!.placements) {
            const list = onNode.get(p.nodeName) ?? [];
            list.push({ project: s.project, exclusive: s.exclusive });
            onNode.set(p.nodeName, list);
          }
        });
        for (const list of onNode.values()) {
          const tenants = new Set(list.map((x) => x.project));
          if (list.some((x) => x.exclusive)) expect(tenants.size).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('shared isolation', () => {
  const share = (id: string, project: string, milli: number, allowSharing: boolean) =>
    gang(id, { kind: 'share', milli }, { project, isolation: 'shared', allowSharing });

  it('time-shares one GPU across projects only when both allow it', () => {
    const snap = new Snapshot([node('a', 1)]);
    expect(run(snap, [share('x', 'alpha', 500, true)])[0]!.placed).toBe(true);
    const closed = run(snap, [share('y', 'beta', 250, false)])[0]!;
    expect(closed.placed).toBe(false);
    expect(closed.unplaced[0]!.rejected).toEqual({ GpuSharingNotAllowed: 1 });
    expect(run(snap, [share('z', 'gamma', 250, true)])[0]!.placed).toBe(true);
    // the same project always shares with itself
    const self = run(snap, [share('x2', 'alpha', 250, false)])[0]!;
    expect(self.placed).toBe(false); // gamma now sits there and alpha's new share refuses others
    expect(self.unplaced[0]!.rejected).toEqual({ GpuSharingNotAllowed: 1 });
  });

  it('refuses to join a GPU whose sharer does not allow it, and puts the share on another GPU', () => {
    const snap = new Snapshot([node('a', 2)]);
    const first = run(snap, [share('x', 'alpha', 600, false)])[0]!;
    const gpu = first.placements[0]!.gpus[0]!;
    const second = run(snap, [share('y', 'beta', 300, true)])[0]!;
    expect(second.placed).toBe(true);
    expect(second.placements[0]!.gpus[0]).not.toBe(gpu);
    const third = run(snap, [share('z', 'alpha', 300, false)])[0]!;
    expect(third.placements[0]!.gpus[0]).toBe(gpu); // alpha with alpha is fine
  });
});

describe('shared isolation (property)', () => {
  it('puts shares of different projects on one GPU only when every one of them allows it', () => {
    const arbShare = fc.record({ project: fc.integer({ min: 0, max: 2 }), milli: fc.integer({ min: 100, max: 700 }), probe: fc.boolean() });
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.array(arbShare, { minLength: 1, maxLength: 30 }), (allows, specs) => {
        const snap = new Snapshot([node('a', 2), node('b', 1)]);
        const onGpu = new Map<string, Set<number>>();
        specs.forEach((s, i) => {
          const g = gang(`s${i}`, { kind: 'share', milli: s.milli }, { project: `p${s.project}`, isolation: 'shared', allowSharing: allows[s.project]! });
          if (s.probe) {
            snap.whatIf((w) => run(w, [g]));
            return;
          }
          for (const p of run(snap, [g])[0]!.placements) {
            const key = `${p.nodeName}/${p.gpus[0]}`;
            onGpu.set(key, (onGpu.get(key) ?? new Set()).add(s.project));
          }
        });
        for (const projects of onGpu.values()) {
          if (projects.size > 1) for (const p of projects) expect(allows[p]).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('dedicated and mig isolation', () => {
  it('gives a share under dedicated isolation a whole GPU', () => {
    const snap = new Snapshot([node('a', 2)]);
    const d = run(snap, [gang('x', { kind: 'share', milli: 250 }, { isolation: 'dedicated' })])[0]!;
    expect(d.placed).toBe(true);
    expect(snap.fullFree[0]).toBe(1);
    expect(snap.gpuFree[d.placements[0]!.gpus[0]!]).toBe(0);
  });

  it('refuses a non-MIG GPU request under mig isolation with a reason naming the field', () => {
    const snap = new Snapshot([node('a', 2)]);
    const d = run(snap, [gang('x', { kind: 'whole', count: 1 }, { isolation: 'mig' })])[0]!;
    expect(d.placed).toBe(false);
    expect(d.reasons?.[0]?.code).toBe('IsolationMismatch');
    expect(d.explanation).toContain('resources.gpu.mig');
  });
});

describe('tenant marks on the snapshot', () => {
  it('are copied by clone and undone by rollback', () => {
    const snap = new Snapshot([node('a', 2), node('b', 2)]);
    const mark = snap.mark();
    run(snap, [gang('x', { kind: 'whole', count: 1 }, { project: 'alpha', isolation: 'exclusive-node' })]);
    const copy = snap.clone();
    const beta = snap.tenantId('beta');
    expect(snap.nodeExclusiveToOther(0, beta)).toBe(true);
    snap.rollback(mark);
    expect(snap.nodeExclusiveToOther(0, beta)).toBe(false);
    expect(snap.nodeOnlyTenant(0, beta)).toBe(true);
    expect(copy.nodeExclusiveToOther(0, copy.tenantId('beta'))).toBe(true);
    expect(copy.tenantId('alpha')).toBe(snap.tenantId('alpha'));
  });
});
