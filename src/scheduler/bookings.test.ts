// Booked capacity in the pure scheduler: before a reservation's start only work that ends in time
// uses its GPUs; during it only the owner's work that asks for it (and, with shareWhenIdle, other
// tenants' preemptible work); after its end anyone.
import { describe, expect, it } from 'vitest';
import { schedule } from './cycle.js';
import { createPolicy } from './policies.js';
import { seededRng } from './rng.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import type { BookedCapacity, GangRequest } from './types.js';

const GIB = 1024 ** 3;
const HOUR = 3_600_000;
const START = 10 * HOUR;
const END = 18 * HOUR;
const fleet: NodeInput[] = ['a', 'b'].map((s) => ({ name: `n-${s}`, gpus: 8, cpuMilli: 64_000, memoryBytes: 256 * GIB, gpuModel: 'H100', rack: 'r', site: 'fra' }));
const policy = createPolicy('best-fit');

/** Team "vision" booked all 8 GPUs of n-a and 4 of n-b from 10:00 to 18:00. */
const booking = (extra: Partial<BookedCapacity> = {}): BookedCapacity => ({
  id: 'vision/tuesday',
  project: 'vision',
  name: 'tuesday',
  start: START,
  end: END,
  nodes: [
    { node: 'n-a', gpus: 8 },
    { node: 'n-b', gpus: 4 },
  ],
  ...extra,
});

const gang = (id: string, gpus: number, extra: Partial<GangRequest> = {}): GangRequest => ({
  id,
  replicas: 1,
  project: 'other',
  resources: { cpuMilli: 1000, memoryBytes: GIB, gpu: { kind: 'whole', count: gpus } },
  ...extra,
});

/** The decisions in the order the gangs were given (the cycle decides in its own order). */
function run(gangs: GangRequest[], now: number, bookings: BookedCapacity[] = [booking()]) {
  const { decisions } = schedule(new Snapshot(fleet), gangs, { policy, bookings }, now, seededRng(3));
  return gangs.map((g) => decisions.find((d) => d.gangId === g.id)!);
}

const nodesOf = (d: { placements: { nodeName: string }[] }): string[] => [...new Set(d.placements.map((p) => p.nodeName))].sort();

describe('booked capacity before the window (backfill)', () => {
  it('keeps work without a declared run time off the booked GPUs', () => {
    const [big, small] = run([gang('big', 8), gang('small', 4)], START - 4 * HOUR);
    expect(big!.placed).toBe(false);
    expect(big!.unplaced[0]!.rejected).toEqual({ CapacityReserved: 2 });
    expect(big!.explanation).toContain('booked by a reservation');
    // Four GPUs of n-b are not booked: they stay free for anyone.
    expect(small!.placed).toBe(true);
    expect(nodesOf(small!)).toEqual(['n-b']);
  });

  it('lets work that ends by the start use them, but not work that would run past it', () => {
    const [fits] = run([gang('ends-in-time', 8, { maxRuntimeMs: 4 * HOUR })], START - 4 * HOUR);
    expect(fits!.placed).toBe(true);
    const [late] = run([gang('runs-past', 8, { maxRuntimeMs: 4 * HOUR + 1 })], START - 4 * HOUR);
    expect(late!.placed).toBe(false);
  });

  it("does not start the owner's reservation work before the window opens, and says when it does", () => {
    const [d] = run([gang('early', 8, { project: 'vision', reservation: 'tuesday' })], START - HOUR);
    expect(d!.placed).toBe(false);
    expect(d!.reasons?.find((r) => r.code === 'ReservationInactive')?.message).toBe(`reservation tuesday starts at ${new Date(START).toISOString()}`);
  });
});

describe('booked capacity during the window', () => {
  it("runs only the owner's work that asks for it there", () => {
    const [own, ownUnasked, other] = run(
      [gang('own', 8, { project: 'vision', reservation: 'tuesday' }), gang('own-unasked', 8, { project: 'vision' }), gang('other', 4)],
      START,
    );
    expect(own!.placed).toBe(true);
    expect(nodesOf(own!)).toEqual(['n-a']);
    expect(ownUnasked!.placed).toBe(false);
    expect(other!.placed).toBe(true); // the 4 unbooked GPUs of n-b
    expect(nodesOf(other!)).toEqual(['n-b']);
  });

  it('never grows the owner past the GPUs it booked on a node', () => {
    // 4 booked on n-b; the owner's 8 on n-a are taken by a first gang, so a 2×4 gang fits only once.
    const [first, second] = run(
      [gang('first', 8, { project: 'vision', reservation: 'tuesday' }), gang('second', 4, { project: 'vision', reservation: 'tuesday', replicas: 2 })],
      START,
    );
    expect(first!.placed).toBe(true);
    expect(second!.placed).toBe(false);
    expect(second!.unplaced[0]!.rejected).toMatchObject({ OutsideReservation: 2 });
    const used = booking({ used: { 'n-b': 4 } });
    const [more] = run([gang('more', 4, { project: 'vision', reservation: 'tuesday' })], START, [used]);
    expect(nodesOf(more!)).toEqual(['n-a']);
  });

  it("shares idle booked GPUs with other tenants' preemptible work only when shareWhenIdle", () => {
    const [closed] = run([gang('borrower', 8, { preemptible: true })], START);
    expect(closed!.placed).toBe(false);
    const shared = [booking({ shareWhenIdle: true })];
    const [borrower, firm] = run([gang('borrower', 8, { preemptible: true }), gang('firm', 8)], START, shared);
    expect(borrower!.placed).toBe(true);
    expect(firm!.placed).toBe(false);
  });

  it('shares nothing while the owner has a gang waiting for the reservation', () => {
    const shared = [booking({ shareWhenIdle: true })];
    // The owner's gang cannot fit yet (3 × 8 GPUs on 8 + 4 booked), but it is waiting: what the
    // sharers free must stay free for it, so no new sharer moves in.
    const waiting = gang('owner', 8, { project: 'vision', reservation: 'tuesday', replicas: 3 });
    const [owner, borrower] = run([waiting, gang('borrower', 8, { preemptible: true })], START + HOUR, shared);
    expect(owner!.placed).toBe(false);
    expect(borrower!.placed).toBe(false);
    expect(borrower!.unplaced[0]!.rejected).toMatchObject({ CapacityReserved: 2 });
    const [alone] = run([gang('borrower', 8, { preemptible: true })], START + HOUR, shared);
    expect(alone!.placed).toBe(true);
  });

  it('closes a whole booked node to everyone else, CPU-only work included', () => {
    const whole = booking({ nodes: [{ node: 'n-a', gpus: 8, whole: true }] });
    const cpu = (id: string): GangRequest => ({ id, replicas: 2, project: 'other', resources: { cpuMilli: 60_000, memoryBytes: GIB, gpu: { kind: 'none' } } });
    const [d] = run([cpu('cpu-only')], START, [whole]);
    expect(d!.placed).toBe(false);
    expect(d!.unplaced[0]!.rejected).toMatchObject({ CapacityReserved: 1 });
  });
});

describe('booked capacity after the window', () => {
  it('holds nothing', () => {
    const [d] = run([gang('after', 8), gang('after-2', 8)], END);
    expect(d!.placed).toBe(true);
    const [own] = run([gang('own-late', 8, { project: 'vision', reservation: 'tuesday' })], END);
    expect(own!.placed).toBe(false);
    expect(own!.reasons?.some((r) => r.code === 'ReservationInactive')).toBe(true);
  });
});
