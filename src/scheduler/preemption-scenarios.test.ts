// Preemption scenarios with fair-share queues: who goes, and who is protected.
import { describe, expect, it } from 'vitest';
import { QueueUsage } from './fairshare/accounting.js';
import { borrowingGangs, runningCharge } from './fairshare/reclaim.js';
import { buildQueueTree, type QueueInput } from './fairshare/tree.js';
import { createPolicy } from './policies.js';
import { findVictims, type RunningGang } from './preemption.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeDelta } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';

const MIN = 60_000;
const NOW = 1000 * MIN;
const cfg = { policy: createPolicy('best-fit') };
const H = 'gpu/H100-80GB';

interface RunOpts {
  priority?: number;
  minutesAgo?: number;
  checkpointMinutesAgo?: number;
  queue?: string;
  borrowed?: boolean;
}

/** A running gang holding `gpus` whole GPUs on each listed node, assumed on `snap`. */
function run(snap: Snapshot, id: string, placements: { node: number; gpus: number }[], o: RunOpts = {}): RunningGang {
  const replicas = placements.map(({ node: n, gpus }) => {
    const ids: number[] = [];
    for (let g = snap.gpuStart[n]!; ids.length < gpus; g++) if (snap.gpuFree[g] === 1000) ids.push(g);
    const delta: NodeDelta = { cpuMilli: 1000, memoryBytes: 1, gpus: ids, milliPerGpu: 1000, migMask: 0, shapeClass: gpus };
    snap.assume(n, delta);
    return { node: n, delta };
  });
  snap.commit();
  const g: RunningGang = { id, priority: o.priority ?? 0, replicas, startedAt: NOW - (o.minutesAgo ?? 10) * MIN };
  if (o.checkpointMinutesAgo !== undefined) g.lastCheckpointAt = NOW - o.checkpointMinutesAgo * MIN;
  if (o.queue !== undefined) g.queue = o.queue;
  if (o.borrowed !== undefined) g.borrowed = o.borrowed;
  return g;
}

const fleet = (n: number): Snapshot => new Snapshot(Array.from({ length: n }, (_, i) => node(`n${i}`, 8)));

/** Queue state holding exactly what the running gangs hold. */
function usageOf(snap: Snapshot, queues: QueueInput[], running: RunningGang[]): QueueUsage {
  const u = new QueueUsage(buildQueueTree(queues));
  for (const g of running) if (g.queue) u.charge(g.queue, runningCharge(snap, u, g.queue, g.replicas));
  return u;
}
const nominal = (name: string, gpus: number, extra: Partial<QueueInput> = {}): QueueInput => ({ name, parent: 'org', nominal: { [H]: gpus * 1000 }, ...extra });

describe('preemption scenarios', () => {
  it('a high-priority training gang preempts exactly the minimal set', () => {
    // 16 GPUs needed as 2×8. Freeing n2+n3 costs 8×30 + 4×10 + 4×20 = 360 GPU-minutes; the 2×8
    // gang on n0+n1 would cost 16×60 = 960; "vip" is of higher priority and never considered.
    const snap = fleet(5);
    const running = [
      run(snap, 'wide', [{ node: 0, gpus: 8 }, { node: 1, gpus: 8 }], { minutesAgo: 60 }),
      run(snap, 'b', [{ node: 2, gpus: 8 }], { minutesAgo: 30 }),
      run(snap, 'c', [{ node: 3, gpus: 4 }], { minutesAgo: 10 }),
      run(snap, 'd', [{ node: 3, gpus: 4 }], { minutesAgo: 20 }),
      run(snap, 'vip', [{ node: 4, gpus: 8 }], { minutesAgo: 1, priority: 200 }),
    ];
    const training = gang('train', { kind: 'whole', count: 8 }, { replicas: 2, priority: 100 });
    const plan = findVictims(snap, training, running, cfg, NOW, seededRng(1))!;
    expect(plan.victims.sort()).toEqual(['b', 'c', 'd']);
    expect(plan.cost).toBe(360 * 1000 * MIN);
    expect(plan.placement.placements.map((p) => p.nodeName).sort()).toEqual(['n2', 'n3']);
    expect(plan.reasons.b).toBe('priority 100 > 0');
  });

  it('takes borrowed capacity first, before lower-priority work within its own quota', () => {
    // b borrows d's idle quota with "loan" (priority 10); c's own "own" (priority 0) is cheaper
    // and lower, but a loan is taken back before anyone's own quota.
    const snap = fleet(3);
    const running = [
      run(snap, 'own', [{ node: 0, gpus: 8 }], { queue: 'c', minutesAgo: 1 }),
      run(snap, 'loan', [{ node: 1, gpus: 8 }, { node: 2, gpus: 8 }], { queue: 'b', priority: 10, borrowed: true, minutesAgo: 60 }),
    ];
    const queues = usageOf(snap, [{ name: 'org' }, nominal('b', 8), nominal('c', 8), nominal('d', 8)], running);
    const plan = findVictims(snap, gang('p', { kind: 'whole', count: 8 }, { queue: 'c', priority: 100 }), running, cfg, NOW, seededRng(1), { queues })!;
    expect(plan.victims).toEqual(['loan']);
    expect(plan.reasons.loan).toMatch(/priority 100 > 10 \(runs on borrowed quota\)/);
  });

  it('reclaims lent quota from a borrower of equal priority, never from the lender’s own share', () => {
    const snap = fleet(2);
    const running = [
      run(snap, 'b-new', [{ node: 0, gpus: 8 }], { queue: 'b', priority: 50, minutesAgo: 5 }),
      run(snap, 'b-old', [{ node: 1, gpus: 8 }], { queue: 'b', priority: 50, minutesAgo: 60 }),
    ];
    const tree = [{ name: 'org' }, nominal('a', 8), nominal('b', 8)];
    const queues = usageOf(snap, tree, running);
    // Which of b's gangs are on loan: the one that took b past its nominal (the later start).
    const borrowers = borrowingGangs(
      running.map((g) => ({ id: g.id, queue: g.queue!, startedAt: g.startedAt, charge: runningCharge(snap, queues, g.queue!, g.replicas) })),
      queues,
    );
    expect([...borrowers]).toEqual(['b-new']);
    for (const g of running) g.borrowed = borrowers.has(g.id);

    const plan = findVictims(snap, gang('a1', { kind: 'whole', count: 8 }, { queue: 'a', priority: 50 }), running, cfg, NOW, seededRng(1), { queues })!;
    expect(plan.victims).toEqual(['b-new']);
    expect(plan.reasons['b-new']).toBe('queue a reclaims lent H100-80GB quota');
    // Once a holds its nominal, a further equal-priority gang of a would borrow: no reclaim.
    queues.charge('a', { [H]: 8000 });
    expect(findVictims(snap, gang('a2', { kind: 'whole', count: 8 }, { queue: 'a', priority: 50 }), running, cfg, NOW, seededRng(1), { queues })).toBeNull();
  });

  it('protects another queue’s work within its nominal quota, even at lower priority', () => {
    const snap = fleet(2);
    const running = [
      run(snap, 'b-cheap', [{ node: 0, gpus: 8 }], { queue: 'b', minutesAgo: 1 }),
      run(snap, 'a-dear', [{ node: 1, gpus: 8 }], { queue: 'a', minutesAgo: 120 }),
    ];
    const queues = usageOf(snap, [{ name: 'org' }, nominal('a', 8), nominal('b', 8)], running);
    const plan = findVictims(snap, gang('a-hot', { kind: 'whole', count: 8 }, { queue: 'a', priority: 100 }), running, cfg, NOW, seededRng(1), { queues })!;
    expect(plan.victims).toEqual(['a-dear']);
  });

  it('chooses a checkpointed gang before an otherwise equal one', () => {
    // Both lose 8 GPUs × 10 minutes: "fresh" started 10 minutes ago; "saved" started long ago but
    // checkpointed 10 minutes ago.
    const snap = fleet(2);
    const running = [
      run(snap, 'a-fresh', [{ node: 0, gpus: 8 }], { minutesAgo: 10 }),
      run(snap, 'z-saved', [{ node: 1, gpus: 8 }], { minutesAgo: 300, checkpointMinutesAgo: 10 }),
    ];
    const plan = findVictims(snap, gang('p', { kind: 'whole', count: 8 }, { priority: 1 }), running, cfg, NOW, seededRng(1))!;
    expect(plan.victims).toEqual(['z-saved']);
  });

  it('does not take a borrower whose priority is not lower when the preemptor would itself borrow', () => {
    const snap = fleet(1);
    const running = [run(snap, 'loan', [{ node: 0, gpus: 8 }], { queue: 'b', priority: 50, borrowed: true })];
    const queues = usageOf(snap, [{ name: 'org' }, nominal('a', 0), nominal('b', 0), nominal('c', 8)], running);
    expect(findVictims(snap, gang('p', { kind: 'whole', count: 8 }, { queue: 'a', priority: 50 }), running, cfg, NOW, seededRng(1), { queues })).toBeNull();
  });
});
