import { describe, expect, it } from 'vitest';
import { createPolicy } from '../policies.js';
import { seededRng } from '../rng.js';
import { schedule } from '../cycle.js';
import { Snapshot } from '../snapshot.js';
import { gang, node } from '../testing/fixtures.js';
import { QueueUsage } from './accounting.js';
import { buildQueueTree, queueInputFromSpec, type QueueInput } from './tree.js';

const H = 'gpu/H100-80GB';
const gpus = (n: number): Record<string, number> => ({ [H]: n * 1000 });
const q = (name: string, extra: Partial<QueueInput> = {}): QueueInput => ({ name, ...extra });

describe('queue tree', () => {
  it('refuses an unknown parent, naming spec.parent', () => {
    expect(() => buildQueueTree([q('a', { parent: 'nope' })])).toThrow(/spec\.parent.*"nope"/);
  });

  it('refuses a cycle and says which queues form it', () => {
    expect(() => buildQueueTree([q('a', { parent: 'c' }), q('b', { parent: 'a' }), q('c', { parent: 'b' }), q('root')])).toThrow(/cycle/);
    expect(() => buildQueueTree([q('self', { parent: 'self' })])).toThrow(/self → self/);
  });

  it('refuses duplicate names and non-positive weights', () => {
    expect(() => buildQueueTree([q('a'), q('a')])).toThrow(/twice/);
    expect(() => buildQueueTree([q('a', { weight: 0 })])).toThrow(/spec\.weight/);
  });

  it('reads Queue specs: whole GPUs, CPU and memory quantities', () => {
    const input = queueInputFromSpec('team-a', { parent: 'org', nominalQuota: { gpu: { 'H100-80GB': 8, '*': 2 }, cpu: '64', memory: '1Gi' }, weight: 2 });
    expect(input).toEqual({ name: 'team-a', parent: 'org', nominal: { [H]: 8000, 'gpu/*': 2000, cpu: 64000, memory: 2 ** 30 }, weight: 2 });
    expect(() => queueInputFromSpec('x', { nominalQuota: { cpu: 'lots' } })).toThrow(/spec\.nominalQuota\.cpu/);
  });

  it('governs every GPU model once a tree names any GPU key', () => {
    const tree = buildQueueTree([q('org'), q('a', { parent: 'org', nominal: gpus(8) }), q('cpu-only', { nominal: { cpu: 1000 } })]);
    expect(tree.gpuKeyFor('a', 'H100-80GB')).toBe(H);
    expect(tree.gpuKeyFor('a', 'A100-80GB')).toBe('gpu/*');
    expect(tree.gpuKeyFor('cpu-only', 'H100-80GB')).toBeNull();
  });
});

describe('queue accounting', () => {
  // org ─┬─ a (8 H100)
  //      └─ b (8 H100, lends at most 4)
  const tree = buildQueueTree([q('org'), q('a', { parent: 'org', nominal: gpus(8), borrowingLimit: gpus(6) }), q('b', { parent: 'org', nominal: gpus(8), lendingLimit: gpus(4) })]);

  it('lends idle quota to a sibling, up to the lending limit and the borrowing limit', () => {
    const u = new QueueUsage(tree);
    expect(u.available('a', H)).toBe(12_000); // own 8 + the 4 b may lend
    expect(u.available('b', H)).toBe(16_000); // own 8 + all of a's 8
    u.charge('a', gpus(12));
    expect(u.borrowed('a')).toEqual(gpus(4));
    expect(u.lent('b')).toEqual(gpus(4));
    expect(u.available('a', H)).toBe(0);
    expect(u.available('b', H)).toBe(4000); // what b kept back
  });

  it('caps borrowing at the borrowing limit even when more is idle', () => {
    const wide = buildQueueTree([q('org'), q('a', { parent: 'org', nominal: gpus(2), borrowingLimit: gpus(3) }), q('b', { parent: 'org', nominal: gpus(20) })]);
    expect(new QueueUsage(wide).available('a', H)).toBe(5000);
  });

  it('does not govern keys the tree never names', () => {
    expect(new QueueUsage(tree).available('a', 'cpu')).toBe(Infinity);
  });

  it('weighs dominant shares', () => {
    const t = buildQueueTree([q('org'), q('a', { parent: 'org', nominal: gpus(8), weight: 2 }), q('b', { parent: 'org', nominal: gpus(8) })]);
    const u = new QueueUsage(t);
    u.charge('a', gpus(8));
    u.charge('b', gpus(4));
    expect(u.dominantShare('a')).toBeCloseTo(0.25);
    expect(u.dominantShare('b')).toBeCloseTo(0.25);
  });
});

describe('queue admission in the cycle', () => {
  const cfg = (queues: QueueUsage) => ({ policy: createPolicy('best-fit'), queues });

  it('refuses a gang beyond its queue limits with a QueueQuota reason naming the queue and quota', () => {
    const tree = buildQueueTree([q('org'), q('a', { parent: 'org', nominal: gpus(8), borrowingLimit: gpus(0) }), q('b', { parent: 'org', nominal: gpus(8) })]);
    const usage = new QueueUsage(tree);
    const snap = new Snapshot([node('n0', 8), node('n1', 8), node('n2', 8)]);
    const res = schedule(snap, [gang('g1', { kind: 'whole', count: 8 }, { queue: 'a' }), gang('g2', { kind: 'whole', count: 8 }, { queue: 'a', submittedAt: 1 })], cfg(usage), 0, seededRng(1));
    const [d1, d2] = res.decisions;
    expect(d1!.placed).toBe(true);
    expect(d2!.placed).toBe(false);
    expect(d2!.reasons?.[0]).toMatchObject({ code: 'QueueQuota', data: { queue: 'a', resource: 'H100-80GB' } });
    expect(d2!.unplaced[0]!.message).toMatch(/queue a: quota H100-80GB 8\/8 used/);
    expect(usage.usage('a', H)).toBe(8000);
  });

  it('lands a gang on a model its queue may use, and marks what it borrows', () => {
    const snap = new Snapshot([node('h', 8), node('x', 8, { gpuModel: 'A100-80GB' })]);
    const start = snap.mark();
    const one = (usage: QueueUsage, id: string) => schedule(snap, [gang(id, { kind: 'whole', count: 8 }, { queue: 'a' })], cfg(usage), 0, seededRng(1)).decisions[0]!;
    // b lends nothing: a may only use its A100s, though the H100 node comes first.
    const strict = new QueueUsage(buildQueueTree([q('org'), q('a', { parent: 'org', nominal: { 'gpu/A100-80GB': 8000 } }), q('b', { parent: 'org', nominal: gpus(8), lendingLimit: gpus(0) })]));
    const own = one(strict, 'g');
    expect(own.placements[0]!.nodeName).toBe('x');
    expect(own.borrowed).toBeUndefined();
    snap.rollback(start);
    // b lends: a takes b's idle H100s, and the decision says so.
    const lending = new QueueUsage(buildQueueTree([q('org'), q('a', { parent: 'org', nominal: { 'gpu/A100-80GB': 0 } }), q('b', { parent: 'org', nominal: gpus(8) })]));
    const loan = one(lending, 'h');
    expect(loan.placements[0]!.nodeName).toBe('h');
    expect(loan.borrowed).toEqual({ 'H100-80GB': 8 });
    expect(lending.lent('b')).toEqual(gpus(8));
  });

  it('caps an elastic gang to the replicas its queue can hold', () => {
    const tree = buildQueueTree([q('solo', { nominal: gpus(3) })]);
    const usage = new QueueUsage(tree);
    const snap = new Snapshot([node('n0', 8)]);
    const d = schedule(snap, [gang('svc', { kind: 'whole', count: 1 }, { queue: 'solo', replicas: 5, minAvailable: 1 })], cfg(usage), 0, seededRng(1)).decisions[0]!;
    expect(d.placements).toHaveLength(3);
  });
});
