// Replays of the newer scheduler behaviours, checked by hand: fair-share reclaim of lent quota
// and backfill around a reservation.
import { describe, expect, it } from 'vitest';
import { runReplay } from './engine.js';
import { parseReplayYaml } from './scenario-yaml.js';
import type { ReplayOptions, ReplayResult } from './types.js';

const FLEET = `
nodes:
  - { name: gpu, count: 2, cpu: "128", memory: 1Ti, gpus: 8, gpuModel: H100-80GB }
`;

function replay(yaml: string, opts: Partial<ReplayOptions> = {}): ReplayResult {
  const s = parseReplayYaml(FLEET + yaml);
  return runReplay({ nodes: s.nodes!, gangs: s.gangs, queues: s.queues }, { policy: 'weft', seed: 1, cycleMs: 0, graceMs: 30_000, ...opts });
}

const FAIR = `
queues:
  - { name: org, nominal: 0 }
  - { name: team-a, parent: org, nominal: 8, borrowingLimit: 8 }
  - { name: team-b, parent: org, nominal: 8, borrowingLimit: 8 }
gangs:
  - { name: a, count: 16, submitAt: 0s, duration: 2h, queue: team-a, resources: { cpu: "8", memory: 64Gi, gpu: { count: 1 } } }
  - { name: b, count: 6, submitAt: 30m, duration: 1h, queue: team-b, resources: { cpu: "8", memory: 64Gi, gpu: { count: 1 } } }
`;

describe('fair share in a replay', () => {
  it('lends idle quota, then reclaims exactly what the owner needs from the borrower', () => {
    const r = replay(FAIR);
    const a = r.gangs.filter((g) => g.queue === 'team-a');
    const b = r.gangs.filter((g) => g.queue === 'team-b');
    // team-a borrowed team-b's idle 8 GPUs at once.
    expect(a.every((g) => g.startedAt === 0)).toBe(true);
    // team-b's 6 jobs took them back after the victims' 30 s grace.
    expect(b.map((g) => g.startedAt)).toEqual(Array(6).fill(1_830_000));
    const victims = a.filter((g) => g.preemptions > 0);
    expect(victims).toHaveLength(6);
    // Victims restart when team-b's jobs end (the pool is full until then) and run 2 h again.
    expect(victims.every((g) => g.finishedAt === 1_830_000 + 3_600_000 + 7_200_000)).toBe(true);
    const [qa, qb] = ['team-a', 'team-b'].map((q) => r.byQueue.find((x) => x.queue === q)!);
    expect(qa).toMatchObject({ preemptions: 6, entitled: 0.5 });
    expect(qb).toMatchObject({ preemptions: 0, entitled: 0.5 });
    expect(r.byQueue.map((q) => q.queue)).not.toContain('org');
  });

  it('a gang of an undeclared queue is not limited by the tree, only accounted', () => {
    const r = replay(FAIR + `  - { name: free, submitAt: 0s, duration: 1m, resources: { gpu: { count: 1 } } }\n`);
    const free = r.gangs.find((g) => g.id === 'free')!;
    expect(free.queue).toBe('default');
    expect(free.finishedAt).not.toBeNull();
  });

  it('without fair share the queues are labels only: team-b waits for team-a to finish', () => {
    const r = replay(FAIR, { fairShare: false });
    expect(r.overall.preemptions).toBe(0);
    expect(r.gangs.filter((g) => g.queue === 'team-b').every((g) => g.startedAt === 7_200_000)).toBe(true);
  });
});

const BACKFILL = `
gangs:
  - { name: long, submitAt: 0s, duration: 2h, maxRuntime: 2h, resources: { cpu: "64", memory: 512Gi, gpu: { count: 8 } } }
  - { name: big, submitAt: 10m, duration: 1h, maxRuntime: 1h, replicas: 2, resources: { cpu: "64", memory: 512Gi, gpu: { count: 8 } } }
  - { name: quick, submitAt: 15m, duration: 20m, maxRuntime: 30m, resources: { cpu: "8", memory: 64Gi, gpu: { count: 2 } } }
  - { name: slow, submitAt: 16m, duration: 3h, resources: { cpu: "8", memory: 64Gi, gpu: { count: 2 } } }
`;

describe('backfill in a replay', () => {
  it('holds a reservation for the big gang and backfills only work that ends before it', () => {
    const r = replay(BACKFILL);
    const g = Object.fromEntries(r.gangs.map((x) => [x.id, x]));
    expect(g['quick']!.startedAt).toBe(900_000);
    expect(g['big']!.startedAt).toBe(7_200_000);
    expect(g['slow']!.startedAt).toBe(7_200_000 + 3_600_000);
  });

  it('without backfill the slow job takes the idle node and the big gang waits for it', () => {
    const r = replay(BACKFILL, { backfill: false });
    const g = Object.fromEntries(r.gangs.map((x) => [x.id, x]));
    expect(g['slow']!.startedAt).toBe(960_000);
    expect(g['big']!.startedAt).toBe(960_000 + 3 * 3_600_000);
  });
});
