// Reservations in a replay: the example recovers a known amount by backfill and by sharing, a
// reservation nobody fills costs a known amount of utilisation against the same replay without
// it, and — over random scenarios — no other tenant's non-preemptible work ever sits on an open
// window's booked capacity.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeInput } from '../../scheduler/index.js';
import { bookReservations, withoutReservations } from './booked.js';
import { reservationCost } from './booked-report.js';
import { runReplay } from './engine.js';
import { parseReplayYaml } from './scenario-yaml.js';
import type { ReplayGang, ReplayInput, ReplayReservation } from './types.js';

const H = 3_600_000;
const EXAMPLE = resolve(fileURLToPath(new URL('../../../examples/sim/reservations.yaml', import.meta.url)));

function node(name: string, gpus = 8): NodeInput {
  return { name, cpuMilli: 128_000, memoryBytes: 1024 ** 4, gpus, gpuModel: 'H100-80GB' };
}

function gang(id: string, o: { gpus: number; at: number; run: number; max?: number; project?: string; reservation?: string; preemptible?: boolean; replicas?: number }): ReplayGang {
  const resources = { cpuMilli: 8000, memoryBytes: 64 * 1024 ** 3, gpu: { kind: 'whole' as const, count: o.gpus } };
  return {
    gang: {
      id, replicas: o.replicas ?? 1, resources, project: o.project ?? 'other',
      ...(o.max !== undefined ? { maxRuntimeMs: o.max } : {}), ...(o.reservation ? { reservation: o.reservation } : {}), ...(o.preemptible ? { preemptible: true } : {}),
    },
    queue: o.project ?? 'other',
    submitAt: o.at,
    durationMs: o.run,
    shape: { cpuMilli: 8000, gpuMilli: 1000, gpuCount: o.gpus, gpuModels: [] },
  };
}

describe('replay with reservations', () => {
  it('examples/sim/reservations.yaml: backfill recovers 32 GPU-h before the start, sharing 16 GPU-h in the window', () => {
    const s = parseReplayYaml(readFileSync(EXAMPLE, 'utf8'));
    const input: ReplayInput = { nodes: s.nodes!, gangs: s.gangs, queues: s.queues, reservations: s.reservations };
    const r = runReplay(input, { policy: 'weft', seed: 1, cycleMs: s.defaults.cycleMs, untilMs: s.defaults.untilMs });
    expect(r.reservations!.total).toMatchObject({
      gpus: 16, reservedGpuHours: 64, ownerGpuHours: 48, heldBeforeGpuHours: 64,
      backfillGpuHours: 32, sharedGpuHours: 16, idleGpuHours: 80, recoveredGpuHours: 48, recoveredPct: 60, conflicts: 0,
    });
    const g = Object.fromEntries(r.gangs.map((x) => [x.id, x]));
    expect(g['train']).toMatchObject({ startedAt: 4 * H, finishedAt: 7 * H });
    expect([g['long-0']!.startedAt, g['long-1']!.startedAt]).toEqual([8 * H, 8 * H]); // not preemptible: not on shared capacity
    expect([g['scavenge-0']!.startedAt, g['scavenge-1']!.startedAt]).toEqual([7 * H, 7 * H]);
    // Without the reservation the long jobs start as soon as train is done, an hour earlier.
    const without = runReplay(withoutReservations(input), { policy: 'weft', seed: 1, cycleMs: s.defaults.cycleMs, untilMs: s.defaults.untilMs });
    expect(without.reservations).toBeUndefined();
    expect(without.gangs.find((x) => x.id === 'long-0')!.startedAt).toBe(7 * H);
  });

  it('a reservation its owner leaves empty costs the utilisation it holds back', () => {
    const reservations: ReplayReservation[] = [{ name: 'r', project: 'vision', nodes: 1, start: 2 * H, end: 4 * H }];
    const input: ReplayInput = { nodes: [node('a'), node('b')], gangs: [gang('long-0', { gpus: 8, at: 0, run: 6 * H }), gang('long-1', { gpus: 8, at: 0, run: 6 * H })], reservations };
    const opts = { policy: 'best-fit', seed: 1, untilMs: 6 * H };
    const withR = runReplay(input, opts);
    const without = runReplay(withoutReservations(input), opts);
    // long-1 has no declared run time, so it may not start on the booked node until the window ends.
    expect(withR.gangs.map((g) => g.startedAt)).toEqual([0, 4 * H]);
    expect(without.gangs.map((g) => g.startedAt)).toEqual([0, 0]);
    const cost = reservationCost(withR, without);
    expect(cost.utilisationPct.without).toBe(100);
    expect(cost.utilisationPct.with).toBeCloseTo((100 * (48 + 16)) / 96, 3);
    expect(withR.reservations!.total).toMatchObject({ reservedGpuHours: 16, ownerGpuHours: 0, heldBeforeGpuHours: 16, recoveredGpuHours: 0 });
  });

  it('a backfilled gang that overruns into the window is stopped when preemptible, else reported as a conflict', () => {
    const reservations: ReplayReservation[] = [{ name: 'r', project: 'vision', gpus: 8, start: 2 * H, end: 4 * H }];
    const base = { nodes: [node('a')], reservations };
    const over = (preemptible: boolean) => runReplay({ ...base, gangs: [gang('x', { gpus: 8, at: 0, run: 3 * H, max: 2 * H, preemptible })] }, { policy: 'best-fit', seed: 1, graceMs: 60_000, untilMs: 5 * H });
    expect(over(true).gangs[0]).toMatchObject({ startedAt: 0, preemptions: 1 });
    expect(over(true).reservations!.total.conflicts).toBe(0);
    expect(over(false).gangs[0]).toMatchObject({ startedAt: 0, finishedAt: 3 * H, preemptions: 0 });
    expect(over(false).reservations!.total.conflicts).toBe(1);
  });

  it('during a window no other tenant\'s non-preemptible work runs on booked capacity (random scenarios)', () => {
    const resArb = fc.record({ gpus: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), start: fc.integer({ min: 1, max: 8 }), hours: fc.integer({ min: 1, max: 6 }), share: fc.boolean() });
    const gangArb = fc.record({
      gpus: fc.constantFrom(1, 2, 4, 8), at: fc.integer({ min: 0, max: 14 * 4 }), run: fc.integer({ min: 1, max: 16 }), declared: fc.boolean(),
      owner: fc.integer({ min: 0, max: 3 }), preemptible: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(resArb, { minLength: 1, maxLength: 2 }), fc.array(gangArb, { minLength: 1, maxLength: 30 }), (rs, gs) => {
        const nodes = [node('a'), node('b'), node('c')];
        const reservations: ReplayReservation[] = rs.map((r, k) => ({ name: `r${k}`, project: `p${k}`, ...(r.gpus !== undefined ? { gpus: r.gpus } : { nodes: 1 }), start: r.start * H, end: (r.start + r.hours) * H, shareWhenIdle: r.share }));
        const gangs = gs.map((g, i) => {
          const owner = g.owner < rs.length ? g.owner : -1; // asks for reservation `owner`, or none
          const run = (g.run * H) / 4;
          return gang(`g${i}`, { gpus: g.gpus, at: (g.at * H) / 4, run, ...(g.declared ? { max: run } : {}), project: owner >= 0 ? `p${owner}` : 'q', ...(owner >= 0 ? { reservation: `r${owner}` } : {}), preemptible: g.preemptible });
        });
        let r;
        try {
          r = runReplay({ nodes, gangs, reservations }, { policy: 'best-fit', seed: 1, untilMs: 20 * H });
        } catch (e) {
          if (/do not fit/.test((e as Error).message)) return; // two reservations the calendar cannot hold together
          throw e;
        }
        const summary = r.reservations!;
        // GPUs booked per node by the windows open at t, as the calendar books them for the replay.
        const windows = bookReservations(nodes, reservations);
        const perNode = (t: number, n: string) =>
          windows.filter((w) => w.start <= t && t < w.end).reduce((s, w) => s + w.nodes.filter((x) => x.node === n).reduce((a, x) => a + (x.whole ? 8 : x.gpus), 0), 0);
        const runs = r.gangs
          .map((o, i) => ({ o, g: gangs[i]! }))
          .filter(({ o, g }) => o.startedAt !== null && g.gang.preemptible !== true && g.gang.reservation === undefined);
        const instants = [...windows.map((w) => w.start), ...runs.map(({ o }) => o.startedAt!)];
        for (const t of instants) {
          for (const n of nodes) {
            const booked = perNode(t, n.name);
            if (booked === 0) continue;
            const load = runs.filter(({ o }) => o.startedAt! <= t && t < (o.finishedAt ?? Infinity)).reduce((s, { o, g }) => s + o.nodes.filter((x) => x === n.name).length * g.shape.gpuCount, 0);
            expect(load, `node ${n.name} at ${t / H} h: others' non-preemptible GPUs beyond the unbooked ${n.gpus - booked}`).toBeLessThanOrEqual(Math.max(0, n.gpus - booked));
          }
        }
        expect(summary.total.conflicts).toBe(0); // declared run times are honest here
        expect(summary.total.ownerGpuHours).toBeLessThanOrEqual(summary.total.reservedGpuHours + 1e-6);
        expect(summary.total.recoveredGpuHours).toBeLessThanOrEqual(summary.total.idleGpuHours + 1e-6);
      }),
      { numRuns: 60 },
    );
  });
});
