import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { explainDecision, formatIn } from './explain.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { GangDecision, GangRequest } from './types.js';

const run = (snap: Snapshot, gangs: GangRequest[]) => schedule(snap, gangs, { policy: createPolicy('best-fit') }, 0, seededRng(1)).decisions;

describe('why-pending explanations', () => {
  it('summarises node rejections by reason, largest first', () => {
    const snap = new Snapshot([node('a', 4), node('b', 4), node('c', 8, { schedulable: false })]);
    const [d] = run(snap, [gang('g', { kind: 'whole', count: 8 }, { models: ['H100-80GB'] })]);
    expect(d!.explanation).toBe('needs 8×H100-80GB; 0/3 nodes fit (2 short of free GPUs, 1 unschedulable)');
    expect(d!.reasons?.[0]).toMatchObject({ code: 'Nodes', data: { rejected: { InsufficientGpu: 2, NodeUnschedulable: 1 } } });
  });

  it('counts the gangs waiting ahead in the same queue', () => {
    const snap = new Snapshot([node('a', 8)]);
    run(snap, [gang('busy', { kind: 'whole', count: 4 })]);
    const gangs = [1, 2, 3].map((i) => gang(`g${i}`, { kind: 'whole', count: 8 }, { queue: 'team-a', submittedAt: i }));
    const other = gang('o', { kind: 'whole', count: 8 }, { queue: 'team-b', submittedAt: 0 });
    const byId = new Map(run(snap, [...gangs, other]).map((d) => [d.gangId, d]));
    expect(byId.get('g1')!.explanation).not.toContain('ahead');
    expect(byId.get('g3')!.explanation).toContain('2 gangs ahead in queue team-a');
    expect(byId.get('g3')!.reasons).toContainEqual({ code: 'QueuePosition', message: '2 gangs ahead in queue team-a', data: { ahead: 2, queue: 'team-a' } });
    expect(byId.get('o')!.explanation).not.toContain('ahead');
  });

  it('orders topology, quota and queue position into one sentence', () => {
    const g: GangRequest = gang('g', { kind: 'whole', count: 8 }, { models: ['H100'], queue: 'team-a', topology: { within: 'rack', mode: 'required' } });
    const d: GangDecision = {
      gangId: 'g',
      placed: false,
      placements: [],
      unplaced: [{ replica: 0, rejected: { TopologyDomain: 3 }, message: 'no rack can hold 1 replicas' }],
      reasons: [
        { code: 'QueueQuota', message: 'quota H100 32/32 used' },
        { code: 'TopologyDomain', message: 'best rack has 6 free' },
      ],
    };
    explainDecision(g, d, { now: 0, ahead: 3 });
    expect(d.explanation).toBe('needs 8×H100 within one rack; best rack has 6 free; quota H100 32/32 used; 3 gangs ahead in queue team-a');
  });

  it('describes shares and partial gangs', () => {
    const snap = new Snapshot([node('a', 1)]);
    run(snap, [gang('cpu', { kind: 'none' }, { cpu: 60_000 })]);
    const [share] = run(snap, [gang('s', { kind: 'share', milli: 500 }, { cpu: 8000 })]);
    expect(share!.explanation).toBe('needs 0.5 GPU; 0/1 nodes fit (1 short of CPU)');
    const two = new Snapshot([node('a', 8), node('b', 8)]);
    run(two, [gang('busy', { kind: 'whole', count: 1 })]);
    const [part] = run(two, [gang('p', { kind: 'whole', count: 8 }, { replicas: 2 })]);
    expect(part!.explanation).toBe('needs 2 replicas of 8×GPU; only 1 of 2 replicas fit; 0/2 nodes fit (2 short of free GPUs)');
  });

  it('refuses, with the reason, a gang that cannot fit even the empty fleet', () => {
    const snap = new Snapshot([node('a', 8), node('b', 4), node('c', 16, { schedulable: false })]);
    const why = (g: GangRequest) => run(snap, [g])[0]!;
    // A cordoned node may come back: the 16-GPU host still counts.
    expect(why(gang('big', { kind: 'whole', count: 16 })).refused).toBeUndefined();
    const c = new Snapshot([node('a', 8), node('b', 4)]);
    const [d] = run(c, [gang('huge', { kind: 'whole', count: 16 })]);
    expect(d).toMatchObject({ placed: false, refused: true });
    expect(d!.explanation).toBe('needs 16×GPU; can never fit this fleet: asks 16 GPUs per replica; the largest node has 8');
    expect(run(c, [gang('m', { kind: 'mig', profile: '1g.10gb' })])[0]!.explanation).toBe(
      'needs MIG 1g.10gb; can never fit this fleet: asks MIG 1g.10gb; no node it may use has a MIG GPU that can host it',
    );
    expect(run(c, [gang('cpu', { kind: 'none' }, { cpu: 100_000 })])[0]!.reasons![0]!.message).toBe('can never fit this fleet: asks 100 CPU per replica; the largest node has 64');
    expect(run(c, [gang('h200', { kind: 'whole', count: 1 }, { models: ['H200-141GB'] })])[0]!.reasons![0]!.message).toBe(
      'can never fit this fleet: asks GPU model H200-141GB; no node it may use has one',
    );
    expect(run(c, [gang('many', { kind: 'whole', count: 4 }, { replicas: 4 })])[0]!.reasons![0]!.message).toBe('can never fit this fleet: asks 4 replicas; the whole fleet holds 3 even empty');
  });

  it('formats durations compactly', () => {
    expect(formatIn(40_000)).toBe('40s');
    expect(formatIn(25 * 60_000)).toBe('25m');
    expect(formatIn(65 * 60_000)).toBe('1h05m');
  });
});
