import { describe, expect, it } from 'vitest';
import { parseReplayYaml } from './scenario-yaml.js';
import { parseDurationMs } from './duration.js';

describe('parseReplayYaml', () => {
  it('expands counts into gangs spaced by interval, with queue, priority, durations and tenancy', () => {
    const s = parseReplayYaml(`
kind: Replay
policy: fgd
cycle: 5s
until: 1h30m
queues:
  - { name: q, nominal: 4, borrowingLimit: 2, weight: 2 }
gangs:
  - { name: t, count: 3, interval: 10m, submitAt: 1m, duration: 90s, grace: 1m, queue: q, priority: 7, project: p, isolation: dedicated, maxRuntime: 2h, resources: { gpu: { count: 2 } } }
  - { name: x, resources: { cpu: "1" } }
`);
    expect(s.defaults).toMatchObject({ policy: 'fgd', cycleMs: 5000, untilMs: 5_400_000 });
    expect(s.queues).toEqual([{ name: 'q', nominalGpus: 4, borrowingLimitGpus: 2, weight: 2 }]);
    expect(s.gangs.map((g) => [g.gang.id, g.submitAt, g.durationMs, g.graceMs])).toEqual([
      ['t-0', 60_000, 90_000, 60_000],
      ['t-1', 660_000, 90_000, 60_000],
      ['t-2', 1_260_000, 90_000, 60_000],
      ['x', 0, null, undefined],
    ]);
    expect(s.gangs[0]!.gang).toMatchObject({ queue: 'q', priority: 7, project: 'p', isolation: 'dedicated', maxRuntimeMs: 7_200_000, replicas: 1 });
    expect(s.gangs[3]!.queue).toBe('default');
    expect(s.nodes).toBeUndefined();
  });

  it('names the bad field', () => {
    expect(() => parseReplayYaml('gangs:\n  - { name: g, submitAt: later }\n')).toThrow(/gangs\[0\]\.submitAt: "later" is not a duration/);
    expect(() => parseReplayYaml('gangs:\n  - { name: g, isolation: vault }\n')).toThrow(/gangs\[0\]\.isolation: must be one of/);
    expect(() => parseReplayYaml('queues:\n  - { name: q, nominal: -1 }\ngangs: []\n')).toThrow(/queues\[0\]\.nominal: must be a number/);
    expect(() => parseReplayYaml('kind: Fleet\ngangs: []\n')).toThrow(/kind: expected Replay/);
    expect(() => parseReplayYaml('nodes: []\n')).toThrow(/gangs: expected a list/);
  });

  it('reads durations with units or as seconds', () => {
    expect(parseDurationMs('1h30m', 'd')).toBe(5_400_000);
    expect(parseDurationMs('250ms', 'd')).toBe(250);
    expect(parseDurationMs(2.5, 'd')).toBe(2500);
    expect(parseDurationMs('90', 'd')).toBe(90_000);
    expect(() => parseDurationMs('1x', 'f')).toThrow(/f: "1x" is not a duration/);
  });
});
