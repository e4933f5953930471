// Invariants of hierarchical fair share, over random trees, fleets and workloads, checked on what
// the real scheduling cycle admits (recounted independently from its placements).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schedule } from '../cycle.js';
import { createPolicy } from '../policies.js';
import { seededRng } from '../rng.js';
import { Snapshot } from '../snapshot.js';
import { gang, node } from '../testing/fixtures.js';
import type { GangRequest } from '../types.js';
import { QueueUsage } from './accounting.js';
import { compareGangs, fairOrder, orderByFairShare, shareOf } from './ordering.js';
import { placementCharge } from './admission.js';
import { borrowingGangs, runningCharge } from './reclaim.js';
import { findVictims, type RunningGang } from '../preemption.js';
import { buildQueueTree, type QueueInput, type QueueTree } from './tree.js';

const H = 'gpu/H100-80GB';
const A = 'gpu/A100-80GB';
const KEYS = [H, A];

const limits = fc.record({ [H]: fc.integer({ min: 0, max: 12 }), [A]: fc.integer({ min: 0, max: 12 }) }, { requiredKeys: [] });
const queueArb = fc.record({
  parentPick: fc.option(fc.nat(), { nil: undefined }),
  nominal: limits,
  borrowingLimit: fc.option(limits, { nil: undefined }),
  lendingLimit: fc.option(limits, { nil: undefined }),
  weight: fc.integer({ min: 1, max: 4 }),
});
const gangArb = fc.record({
  queuePick: fc.nat(),
  count: fc.integer({ min: 1, max: 8 }),
  replicas: fc.integer({ min: 1, max: 3 }),
  priority: fc.integer({ min: 0, max: 2 }),
  model: fc.constantFrom(undefined, 'H100-80GB', 'A100-80GB'),
});

type RawQueue = typeof queueArb extends fc.Arbitrary<infer T> ? T : never;

/** Queues whose parent is always an earlier one (so no cycles); limits in whole GPUs → milli. */
function treeOf(raw: RawQueue[]): QueueTree {
  const milli = (v: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(v).map(([k, n]) => [k, n * 1000]));
  const inputs: QueueInput[] = raw.map((r, i) => {
    const q: QueueInput = { name: `q${i}`, nominal: milli(r.nominal), weight: r.weight };
    if (i > 0 && r.parentPick !== undefined) q.parent = `q${r.parentPick % i}`;
    if (r.borrowingLimit) q.borrowingLimit = milli(r.borrowingLimit);
    if (r.lendingLimit) q.lendingLimit = milli(r.lendingLimit);
    return q;
  });
  return buildQueueTree(inputs);
}

/** Every fair-share invariant, on usage recounted from scratch. */
function checkInvariants(tree: QueueTree, u: QueueUsage): void {
  for (const name of tree.names()) {
    const n = tree.get(name);
    for (const k of KEYS) {
      if (!tree.governedKeys(name).has(k)) continue;
      const used = u.usage(name, k);
      // A queue never exceeds its nominal (its subtree's) plus its borrowing limit…
      const borrow = n.borrowingLimit?.[k];
      if (borrow !== undefined) expect(used).toBeLessThanOrEqual(u.nominalSum(name, k) + borrow);
      // …a tree never holds more than all its quota…
      if (n.parent === undefined) expect(used).toBeLessThanOrEqual(u.nominalSum(name, k));
      // …and a lender's quota beyond its lending limit is never used by others.
      const lend = n.lendingLimit?.[k];
      if (lend !== undefined) {
        const others = u.usage(n.root, k) - used;
        const kept = Math.max(0, u.nominalSum(name, k) - lend);
        expect(others + Math.max(used, kept)).toBeLessThanOrEqual(u.nominalSum(n.root, k));
      }
    }
  }
}

describe('fair share properties', () => {
  it('no queue exceeds nominal + borrowing limit; lenders never lend beyond their lending limit', () => {
    fc.assert(
      fc.property(fc.array(queueArb, { minLength: 1, maxLength: 7 }), fc.array(fc.array(gangArb, { maxLength: 14 }), { minLength: 1, maxLength: 3 }), (rawQueues, rounds) => {
        const tree = treeOf(rawQueues);
        const names = [...tree.names()];
        const snap = new Snapshot([
          ...Array.from({ length: 6 }, (_, i) => node(`h${i}`, 8)),
          ...Array.from({ length: 6 }, (_, i) => node(`a${i}`, 8, { gpuModel: 'A100-80GB' })),
        ]);
        const usage = new QueueUsage(tree);
        const recount = new QueueUsage(tree);
        let id = 0;
        for (const round of rounds) {
          const gangs: GangRequest[] = round.map((g) =>
            gang(`g${id++}`, { kind: 'whole', count: g.count }, { queue: names[g.queuePick % names.length]!, replicas: g.replicas, priority: g.priority, ...(g.model ? { models: [g.model] } : {}) }),
          );
          const res = schedule(snap, gangs, { policy: createPolicy('best-fit'), queues: usage }, 0, seededRng(1));
          for (const d of res.decisions) {
            if (!d.placed) continue;
            const g = gangs.find((x) => x.id === d.gangId)!;
            for (const p of d.placements) recount.charge(g.queue!, { [`gpu/${snap.modelNames[snap.model[p.node]!]}`]: p.gpus.length * 1000 });
          }
          checkInvariants(tree, recount);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('orders by priority, then weighted dominant share, then age — re-reading shares at every pick', () => {
    fc.assert(
      fc.property(
        fc.array(queueArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 16 }), { maxLength: 5 }),
        fc.array(fc.record({ queuePick: fc.nat(), priority: fc.integer({ min: 0, max: 2 }), age: fc.integer({ min: 0, max: 5 }), charge: fc.integer({ min: 0, max: 4 }) }), { maxLength: 20 }),
        (rawQueues, held, raw) => {
          const tree = treeOf(rawQueues);
          const names = [...tree.names()];
          const usage = new QueueUsage(tree);
          held.forEach((n, i) => usage.charge(names[i % names.length]!, { [H]: n * 1000 }));
          const pending = raw.map((r, i) => gang(`g${String(i).padStart(2, '0')}`, { kind: 'whole', count: 1 }, { queue: names[r.queuePick % names.length]!, priority: r.priority, submittedAt: r.age }));
          // Static order: sorted by the comparator.
          const stat = orderByFairShare(pending, usage);
          for (let i = 1; i < stat.length; i++) expect(compareGangs(stat[i - 1]!, stat[i]!, shareOf(stat[i - 1]!, usage), shareOf(stat[i]!, usage))).toBeLessThanOrEqual(0);
          // Live order: each pick is the least of what remains under the shares of that moment.
          const left = new Set(pending);
          for (const g of fairOrder(pending, usage)) {
            for (const o of left) expect(compareGangs(g, o, shareOf(g, usage), shareOf(o, usage))).toBeLessThanOrEqual(0);
            left.delete(g);
            usage.charge(g.queue!, { [H]: raw[Number(g.id.slice(1))]!.charge * 1000 });
          }
          expect(left.size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('preemption keeps every queue within its limits and takes equal or higher priority only from borrowers', () => {
    let planned = 0;
    fc.assert(
      fc.property(fc.array(queueArb, { minLength: 2, maxLength: 5 }), fc.array(gangArb, { minLength: 1, maxLength: 12 }), gangArb, (rawQueues, raw, hot) => {
        const tree = treeOf(rawQueues);
        const names = [...tree.names()];
        const snap = new Snapshot(Array.from({ length: 4 }, (_, i) => node(`h${i}`, 8)));
        const usage = new QueueUsage(tree);
        const cfg = { policy: createPolicy('best-fit') };
        const gangs = raw.map((g, i) => gang(`g${i}`, { kind: 'whole', count: g.count }, { queue: names[g.queuePick % names.length]!, replicas: g.replicas, priority: g.priority }));
        const running: RunningGang[] = [];
        schedule(snap, gangs, { ...cfg, queues: usage }, 0, seededRng(1)).decisions.forEach((d, i) => {
          if (!d.placed) return;
          const g = gangs.find((x) => x.id === d.gangId)!;
          const replicas = d.placements.map((p) => ({
            node: p.node,
            delta: { cpuMilli: g.resources.cpuMilli, memoryBytes: g.resources.memoryBytes, gpus: p.gpus.map((x) => snap.gpuStart[p.node]! + x), milliPerGpu: 1000, migMask: 0, shapeClass: p.gpus.length },
          }));
          running.push({ id: g.id, priority: g.priority!, replicas, startedAt: i, queue: g.queue! });
        });
        snap.commit();
        const borrowers = borrowingGangs(running.map((r) => ({ id: r.id, queue: r.queue!, startedAt: r.startedAt, charge: runningCharge(snap, usage, r.queue!, r.replicas) })), usage);
        for (const r of running) r.borrowed = borrowers.has(r.id);
        const preemptor = gang('hot', { kind: 'whole', count: hot.count }, { queue: names[hot.queuePick % names.length]!, priority: hot.priority + 1 });
        const plan = findVictims(snap, preemptor, running, cfg, 0, seededRng(1), { queues: usage });
        if (!plan) return;
        planned++;
        const after = usage.clone();
        for (const id of plan.victims) {
          const v = running.find((r) => r.id === id)!;
          if (v.priority >= preemptor.priority!) expect(v.borrowed && v.queue !== preemptor.queue).toBe(true);
          after.release(v.queue!, runningCharge(snap, after, v.queue!, v.replicas));
        }
        after.charge(preemptor.queue!, placementCharge(snap, after, preemptor, plan.placement.placements));
        checkInvariants(tree, after);
      }),
      { numRuns: 200 },
    );
    expect(planned).toBeGreaterThan(0); // not vacuous: some runs did preempt
  });
});
