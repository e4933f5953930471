// Hand-checkable replays on a one-node fleet: exact start, finish, queueing delay and JCT.
import { describe, expect, it } from 'vitest';
import { runReplay } from './engine.js';
import { parseReplayYaml } from './scenario-yaml.js';
import type { ReplayOptions, ReplayResult } from './types.js';

const NODE = `
nodes:
  - { name: n, cpu: "64", memory: 512Gi, gpus: 8, gpuModel: H100-80GB }
`;

function replay(yaml: string, opts: Partial<ReplayOptions> = {}): ReplayResult {
  const s = parseReplayYaml(NODE + yaml);
  return runReplay({ nodes: s.nodes!, gangs: s.gangs, queues: s.queues }, { policy: 'weft', seed: 1, cycleMs: 0, ...opts });
}

const byId = (r: ReplayResult) => Object.fromEntries(r.gangs.map((g) => [g.id, g]));

describe('runReplay', () => {
  it('starts gangs in priority-then-age order as capacity frees, with exact waits and JCTs', () => {
    const r = replay(`
gangs:
  - { name: a, submitAt: 0, duration: 10m, resources: { cpu: "1", gpu: { count: 8 } } }
  - { name: b, submitAt: 60s, duration: 5m, resources: { cpu: "1", gpu: { count: 8 } } }
  - { name: c, submitAt: 2m, duration: 1m, resources: { cpu: "1", gpu: { count: 4 } } }
`);
    const g = byId(r);
    expect([g.a!.startedAt, g.a!.finishedAt]).toEqual([0, 600_000]);
    expect([g.b!.startedAt, g.b!.finishedAt]).toEqual([600_000, 900_000]);
    expect([g.c!.startedAt, g.c!.finishedAt]).toEqual([900_000, 960_000]);
    expect(r.end).toBe(960_000);
    expect(r.overall.waitSeconds).toMatchObject({ count: 3, p50: 540, max: 780 });
    expect(r.overall.jctSeconds).toMatchObject({ count: 3, p50: 840, p99: 840, max: 840 });
    // 8 GPUs for 900 s, then 4 for 60 s, over 8 GPUs × 960 s.
    expect(r.utilisationPct).toBeCloseTo(96.875, 6);
    expect(r.overall.gpuHours).toBeCloseTo((8 * 900 + 4 * 60) / 3600, 4);
  });

  it('runs cycles only on multiples of the cycle period', () => {
    const r = replay(`
gangs:
  - { name: a, submitAt: 3s, duration: 100s, resources: { gpu: { count: 1 } } }
`, { cycleMs: 10_000 });
    expect(byId(r).a).toMatchObject({ startedAt: 10_000, finishedAt: 110_000 });
    expect(r.overall.waitSeconds.p50).toBe(7);
  });

  it('preempts the lower-priority gang, waits out its grace and restarts it from scratch', () => {
    const r = replay(`
grace: 30s
gangs:
  - { name: low, queue: batch, priority: 0, submitAt: 0, duration: 1h, resources: { gpu: { count: 8 } } }
  - { name: high, queue: prod, priority: 10, submitAt: 10m, duration: 10m, resources: { gpu: { count: 8 } } }
`, { graceMs: 30_000 });
    const g = byId(r);
    expect(g.high).toMatchObject({ startedAt: 630_000, finishedAt: 1_230_000, preemptions: 0, attempts: 1 });
    expect(g.low).toMatchObject({ startedAt: 0, finishedAt: 1_230_000 + 3_600_000, preemptions: 1, attempts: 2 });
    const batch = r.byQueue.find((q) => q.queue === 'batch')!;
    expect(batch.preemptions).toBe(1);
    expect(batch.lostGpuHours).toBeCloseTo((8 * 630) / 3600, 4);
    expect(r.overall.preemptions).toBe(1);
  });

  it('never preempts equal priority: the later gang waits', () => {
    const r = replay(`
gangs:
  - { name: first, priority: 5, submitAt: 0, duration: 1h, resources: { gpu: { count: 8 } } }
  - { name: second, priority: 5, submitAt: 1m, duration: 1m, resources: { gpu: { count: 8 } } }
`);
    expect(byId(r).second).toMatchObject({ startedAt: 3_600_000, preemptions: 0 });
    expect(r.overall.preemptions).toBe(0);
  });

  it('reports gangs that never fit as unfinished, with the scheduler reason', () => {
    const r = replay(`
gangs:
  - { name: huge, submitAt: 0, duration: 1m, resources: { gpu: { count: 16 } } }
  - { name: ok, submitAt: 0, duration: 1m, resources: { gpu: { count: 1 } } }
`);
    expect(byId(r).huge).toMatchObject({ startedAt: null, finishedAt: null });
    expect(byId(r).huge!.lastReason).toMatch(/16×GPU|InsufficientGpu/);
    expect(r.overall).toMatchObject({ submitted: 2, completed: 1, unfinished: 1 });
  });

  it('compares GPU-time share received with the nominal share', () => {
    const r = replay(`
queues:
  - { name: a, nominal: 6 }
  - { name: b, nominal: 2 }
gangs:
  - { name: ga, queue: a, submitAt: 0, duration: 1h, resources: { gpu: { count: 4 } } }
  - { name: gb, queue: b, submitAt: 0, duration: 1h, resources: { gpu: { count: 4 } } }
`, { fairShare: false });
    const [a, b] = r.byQueue;
    expect(a).toMatchObject({ queue: 'a', share: 0.5, entitled: 0.75 });
    expect(b).toMatchObject({ queue: 'b', share: 0.5, entitled: 0.25, fairness: 2 });
    expect(a!.fairness).toBeCloseTo(0.6667, 4);
    expect(r.jainIndex).toBeCloseTo((2.6667 * 2.6667) / (2 * (0.4444 + 4)), 3);
  });

  it('stops at --until and counts what is still running as unfinished', () => {
    const r = replay(`
gangs:
  - { name: a, submitAt: 0, duration: 2h, resources: { gpu: { count: 8 } } }
  - { name: late, submitAt: 90m, duration: 1m, resources: { gpu: { count: 1 } } }
`, { untilMs: 3_600_000 });
    expect(r.end).toBe(3_600_000);
    // A gang due after the end never arrived: it is in no statistic.
    expect(r.notArrived).toBe(1);
    expect(r.gangs.map((g) => g.id)).toEqual(['a']);
    expect(r.overall).toMatchObject({ submitted: 1, completed: 0, unfinished: 1 });
    expect(byId(r).a).toMatchObject({ startedAt: 0, finishedAt: null });
    expect(r.utilisationPct).toBe(100);
    expect(r.timeline.every((p) => Math.abs(p.utilisationPct - 100) < 1e-9)).toBe(true);
  });

  it('is deterministic: the same seed gives the same result', () => {
    const yaml = `
gangs:
  - { name: s, count: 40, interval: 7s, submitAt: 0, duration: 3m, resources: { cpu: "2", gpu: { share: 0.3 } } }
  - { name: w, count: 10, interval: 31s, submitAt: 5s, duration: 2m, priority: 3, resources: { gpu: { count: 2 } } }
`;
    const one = replay(yaml, { policy: 'random', seed: 7, cycleMs: 5000 });
    const two = replay(yaml, { policy: 'random', seed: 7, cycleMs: 5000 });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });
});
