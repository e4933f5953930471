import { describe, expect, it } from 'vitest';
import type { BackfillConfig, BackfillRunning } from './backfill.js';
import { schedule } from './cycle.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeDelta } from './snapshot.js';
import { gang, node } from './testing/fixtures.js';
import type { GangRequest } from './types.js';

const MIN = 60_000;
const NOW = 1_000 * MIN;

/** Running work holding `count` GPUs of node n until `endsAt` (null = unknown), assumed on the snapshot. */
function holding(snap: Snapshot, id: string, n: number, first: number, count: number, endsAt: number | null): BackfillRunning {
  const gpus = Array.from({ length: count }, (_, i) => snap.gpuStart[n]! + first + i);
  const delta: NodeDelta = { cpuMilli: 1000, memoryBytes: 0, gpus, milliPerGpu: 1000, migMask: 0, shapeClass: count };
  snap.assume(n, delta);
  return { id, endsAt, replicas: [{ node: n, delta }] };
}

/**
 * n0 (8 GPUs) is full until +100m; n1 (8) has 4 held until +50m and 4 free; n2 (2) is free.
 * The head gang needs 2×8 GPUs: it can start at +100m on n0 and n1.
 */
function fleet(): { snap: Snapshot; running: BackfillRunning[] } {
  const snap = new Snapshot([node('n0', 8), node('n1', 8), node('n2', 2)]);
  const running = [holding(snap, 'r0', 0, 0, 8, NOW + 100 * MIN), holding(snap, 'r1', 1, 0, 4, NOW + 50 * MIN)];
  return { snap, running };
}

const head = gang('head', { kind: 'whole', count: 8 }, { replicas: 2, priority: 10 });
const small = (id: string, count: number, maxRuntimeMs?: number): GangRequest =>
  gang(id, { kind: 'whole', count }, { priority: 0, submittedAt: 1, ...(maxRuntimeMs !== undefined ? { maxRuntimeMs } : {}) });

function cycle(snap: Snapshot, running: BackfillRunning[], gangs: GangRequest[]) {
  const decisions = schedule(snap, gangs, { policy: createPolicy('best-fit'), backfill: { running } }, NOW, seededRng(1)).decisions;
  return new Map(decisions.map((d) => [d.gangId, d]));
}

describe('backfill', () => {
  it('reserves the earliest start for the blocked head gang', () => {
    const { snap, running } = fleet();
    const d = cycle(snap, running, [head]).get('head')!;
    expect(d.placed).toBe(false);
    expect(d.reservation).toEqual({ at: NOW + 100 * MIN, nodes: ['n0', 'n1'] });
    expect(d.explanation).toContain('expected to start in 1h40m on 2 reserved nodes');
    expect(snap.fullFree[0]).toBe(0); // the what-ifs left the snapshot as it was
    expect(snap.fullFree[1]).toBe(4);
  });

  it('lets a short job run in the gap and refuses one that would delay the reservation', () => {
    const { snap, running } = fleet();
    const decisions = cycle(snap, running, [head, small('short', 4, 30 * MIN), small('long', 4, 200 * MIN)]);
    expect(decisions.get('short')!.placed).toBe(true);
    expect(decisions.get('short')!.placements[0]!.nodeName).toBe('n1');
    const long = decisions.get('long')!;
    expect(long.placed).toBe(false);
    expect(long.unplaced[0]!.rejected).toMatchObject({ Reserved: 2 });
    expect(long.explanation).toContain('kept off nodes reserved for head, due in 1h40m');
  });

  it('treats an undeclared runtime as never ending, but still allows unreserved capacity', () => {
    const { snap, running } = fleet();
    const decisions = cycle(snap, running, [head, small('unknown', 4), small('tiny', 2)]);
    expect(decisions.get('unknown')!.placed).toBe(false);
    expect(decisions.get('tiny')!.placements[0]!.nodeName).toBe('n2');
  });

  it('makes no reservation on capacity whose running work declares no end', () => {
    const snap = new Snapshot([node('n0', 8), node('n1', 8)]);
    const running = [holding(snap, 'forever', 0, 0, 8, null), holding(snap, 'r1', 1, 0, 4, NOW + 10 * MIN)];
    const decisions = cycle(snap, running, [head, small('long', 4)]);
    expect(decisions.get('head')!.reservation).toBeUndefined();
    expect(decisions.get('long')!.placed).toBe(true); // nothing to protect: ordinary first-fit order
  });

  it('reads running work given as a function only when a gang needs a reservation, once, and decides as with the list', () => {
    let reads = 0;
    const decide = (gangs: GangRequest[], lazily: boolean) => {
      const { snap, running } = fleet();
      const r: BackfillConfig['running'] = lazily ? () => (reads++, running) : running;
      return schedule(snap, gangs, { policy: createPolicy('best-fit'), backfill: { running: r } }, NOW, seededRng(1)).decisions;
    };
    expect(decide([small('fits', 2), small('fits-too', 2)], true).every((d) => d.placed)).toBe(true);
    expect(reads).toBe(0);
    const gangs = [head, small('short', 4, 30 * MIN), small('long', 4, 200 * MIN)];
    expect(decide(gangs, true)).toEqual(decide(gangs, false));
    expect(reads).toBe(1);
  });

  it('without backfill config, lower gangs take any free capacity as before', () => {
    const { snap } = fleet();
    const decisions = new Map(
      schedule(snap, [head, small('long', 4, 200 * MIN)], { policy: createPolicy('best-fit') }, NOW, seededRng(1)).decisions.map((d) => [d.gangId, d]),
    );
    expect(decisions.get('head')!.reservation).toBeUndefined();
    expect(decisions.get('long')!.placed).toBe(true);
  });
});
