// Every scenario in examples/sim does what its README says it shows (the README quotes these
// figures, so this keeps them true).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReplay } from './engine.js';
import { parseReplayYaml } from './scenario-yaml.js';
import type { GangOutcome, ReplayOptions, ReplayResult } from './types.js';

const DIR = resolve(fileURLToPath(new URL('../../../examples/sim', import.meta.url)));

function run(file: string, over: Partial<ReplayOptions> = {}): { r: ReplayResult; g: Record<string, GangOutcome> } {
  const s = parseReplayYaml(readFileSync(resolve(DIR, file), 'utf8'));
  const d = s.defaults;
  const r = runReplay(
    { nodes: s.nodes!, gangs: s.gangs, queues: s.queues },
    { policy: d.policy ?? 'weft', seed: d.seed ?? 1, cycleMs: d.cycleMs, graceMs: d.graceMs, untilMs: d.untilMs, ...over },
  );
  return { r, g: Object.fromEntries(r.gangs.map((x) => [x.id, x])) };
}

const queue = (r: ReplayResult, q: string) => r.byQueue.find((x) => x.queue === q)!;

describe('examples/sim', { timeout: 60_000 }, () => {
  it('fair-share.yaml: team-b reclaims 6 lent GPUs from team-a after the grace', () => {
    const { r } = run('fair-share.yaml');
    expect(queue(r, 'team-a').preemptions).toBe(6);
    expect(queue(r, 'team-b')).toMatchObject({ preemptions: 0 });
    expect(queue(r, 'team-b').waitSeconds.p50).toBe(30);
    const off = run('fair-share.yaml', { fairShare: false }).r;
    expect(off.overall.preemptions).toBe(0);
    expect(queue(off, 'team-b').waitSeconds.p50).toBe(5400);
  });

  it('preemption.yaml: the four sweeps go, not pretrain nor finetune', () => {
    const { g } = run('preemption.yaml');
    expect(g['urgent']!.startedAt).toBe(3_630_000);
    for (const s of ['sweep-0', 'sweep-1', 'sweep-2', 'sweep-3']) expect(g[s]!.preemptions).toBe(1);
    expect([g['pretrain']!.preemptions, g['finetune']!.preemptions]).toEqual([0, 0]);
  });

  it('mig.yaml: full-GPU MIG instances find room amid the churn', () => {
    const { r, g } = run('mig.yaml');
    const whole = Object.values(g).filter((x) => x.id.startsWith('whole-'));
    expect(whole.every((x) => x.startedAt !== null)).toBe(true);
    expect(Math.max(...whole.map((x) => x.startedAt! - x.submitAt))).toBeLessThanOrEqual(40 * 60_000);
    expect(r.utilisationPct).toBeGreaterThan(70);
  });

  it('isolation.yaml: bank keeps its node to itself; everyone else shares the other', () => {
    const { g } = run('isolation.yaml');
    const bankNode = g['bank-0']!.nodes[0]!;
    expect(g['bank-1']!.nodes).toEqual([bankNode]);
    const others = Object.values(g).filter((x) => !x.id.startsWith('bank-'));
    expect(others.every((x) => x.startedAt !== null && !x.nodes.includes(bankNode))).toBe(true);
  });

  it('topology.yaml: gangs land in one rack; weft starts them on arrival, spread makes them wait', () => {
    const { r, g } = run('topology.yaml');
    const trains = Object.values(g).filter((x) => x.id.startsWith('train-') && x.startedAt !== null);
    expect(trains.length).toBeGreaterThan(0);
    for (const t of trains) expect(new Set(t.nodes.map((n) => n.split('-')[0]))).toHaveProperty('size', 1);
    expect(queue(r, 'training').waitSeconds.p50).toBe(0);
    expect(queue(run('topology.yaml', { policy: 'spread' }).r, 'training').waitSeconds.p50).toBeGreaterThan(0);
  });

  it('backfill.yaml: big starts at its reservation; without backfill much later', () => {
    const { g } = run('backfill.yaml');
    expect(g['big']!.startedAt).toBe(7_200_000);
    expect(g['quick-0']!.startedAt).toBe(g['quick-0']!.submitAt);
    expect(g['slow-0']!.startedAt).toBeGreaterThanOrEqual(g['big']!.finishedAt!);
    expect(run('backfill.yaml', { backfill: false }).g['big']!.startedAt).toBe(20_400_000);
  });

  it('why-pending.yaml: four gangs never start, each with its own reason', () => {
    const { g } = run('why-pending.yaml');
    const never = Object.values(g).filter((x) => x.startedAt === null);
    expect(never.map((x) => x.id).sort()).toEqual(['rack-too-small', 'too-many-gpus-per-replica', 'too-much-memory', 'wrong-model']);
    expect(new Set(never.map((x) => x.lastReason)).size).toBe(4);
    expect(g['wrong-model']!.lastReason).toMatch(/H200-141GB/);
    expect(g['rack-too-small']!.lastReason).toMatch(/rack/);
  });
});
