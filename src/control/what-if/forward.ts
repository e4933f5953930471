// "When would it start?" Runs the real scheduler forward on virtual time from the live picture: at
// each moment something is expected to end (its start + declared run time), release it — from
// the snapshot and from its fair-share queue — and run a cycle with every pending gang, so work
// ordered ahead of the target is placed first, as the live loop would. Work with no declared end
// is assumed to run on, which makes the answer an upper bound on what it blocks.
import {
  placementCharge,
  placementDelta,
  schedule,
  Xoshiro128,
  type GangRequest,
  type NodeDelta,
  type Policy,
  type QueueUsage,
  type ReplicaPlacement,
  type ResourceVector,
  type Snapshot,
} from '../../scheduler/index.js';

export interface Holding {
  node: number;
  delta: NodeDelta;
  /** Epoch ms it is expected to end; null = unknown (assumed to run on). */
  endsAt: number | null;
  /** Who holds it (workload kind/project/name). */
  owner: string;
  /** The fair-share queue it is charged to, and what it is charged. */
  queue?: string;
  charge?: ResourceVector;
}

export interface QueuedGang {
  gang: GangRequest;
  /** How long it runs once placed; null = unknown. */
  durationMs: number | null;
  owner: string;
}

export interface ForwardResult {
  /** Epoch ms it would start; null when it never fits in the horizon. */
  startsAt: number | null;
  placements: ReplicaPlacement[];
  /** Why it does not fit at the last moment tried. */
  lastReason?: string;
  /** Owners of holdings that end before it starts, on the nodes it lands on (what it waits for). */
  waitedFor: string[];
  /** Owners of pending gangs the simulation placed before it. */
  placedAhead: string[];
}

export interface ForwardInput {
  /** The live snapshot with every holding assumed; left as it was. */
  snap: Snapshot;
  holdings: readonly Holding[];
  queued: readonly QueuedGang[];
  target: GangRequest;
  now: number;
  policy: Policy;
  /** Fair-share usage of the running work (cloned, never changed). */
  queues?: QueueUsage;
}

export function simulateForward(input: ForwardInput): ForwardResult {
  const { target, now } = input;
  const usage = input.queues?.clone();
  const config = { policy: input.policy, explain: false, ...(usage ? { queues: usage } : {}) };
  const rng = new Xoshiro128(1);
  let result: ForwardResult = { startsAt: null, placements: [], waitedFor: [], placedAhead: [] };
  input.snap.whatIf((snap) => {
    const active = input.holdings.map((h) => ({ ...h }));
    let waiting = [...input.queued];
    const released: { node: number; owner: string }[] = [];
    const placedAhead: string[] = [];
    let t = now;
    let lastReason: string | undefined;
    for (let step = 0; step < 10_000; step++) {
      for (let i = active.length - 1; i >= 0; i--) {
        const h = active[i]!;
        if (h.endsAt === null || h.endsAt > t) continue;
        snap.release(h.node, h.delta);
        if (usage && h.queue !== undefined && h.charge) usage.release(h.queue, h.charge);
        if (h.endsAt >= now) released.push({ node: h.node, owner: h.owner });
        active.splice(i, 1);
      }
      const res = schedule(snap, [...waiting.map((q) => q.gang), target], config, t, rng);
      for (const d of res.decisions) {
        if (d.gangId === target.id) {
          if (d.placed) {
            // What it waits for: whatever ended on the nodes it lands on.
            const nodes = new Set(d.placements.map((p) => p.node));
            result = { startsAt: t, placements: d.placements, waitedFor: released.filter((r) => nodes.has(r.node)).map((r) => r.owner), placedAhead };
            return;
          }
          lastReason = d.unplaced[0]?.message;
          continue;
        }
        if (!d.placed) continue;
        const q = waiting.find((x) => x.gang.id === d.gangId)!;
        waiting = waiting.filter((x) => x !== q);
        placedAhead.push(q.owner);
        const endsAt = q.durationMs === null ? null : t + q.durationMs;
        const charge = usage && q.gang.queue !== undefined ? placementCharge(snap, usage, q.gang, d.placements) : undefined;
        d.placements.forEach((p, i) => {
          // The gang's charge is released once, with its first replica.
          active.push({ node: p.node, delta: placementDelta(snap, q.gang, p), endsAt, owner: q.owner, ...(i === 0 && charge ? { queue: q.gang.queue!, charge } : {}) });
        });
      }
      const next = active.reduce<number | null>((m, h) => (h.endsAt !== null && h.endsAt > t && (m === null || h.endsAt < m) ? h.endsAt : m), null);
      if (next === null) break;
      t = next;
    }
    result = { startsAt: null, placements: [], ...(lastReason ? { lastReason } : {}), waitedFor: [], placedAhead };
  });
  return result;
}
