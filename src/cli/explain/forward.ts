// "If submitted now, when and where would it start?" Runs the real scheduler forward on virtual
// time: at each moment something is expected to end, release it and run a cycle with every
// pending gang (so work ordered ahead of the target is placed first, as the live loop would).
// Allocations with no declared end are assumed to run on, which makes the answer an upper bound
// on what they block. Preemption is not modelled.
import { createPolicy, schedule, typicalPods, Xoshiro128, type GangRequest, type NodeDelta, type PodShape, type ReplicaPlacement } from '../../scheduler/index.js';
import { placementDelta, type LiveSnapshot } from './snapshot.js';

export interface Holding {
  node: number;
  delta: NodeDelta;
  /** Epoch ms it is expected to end; null = unknown (assumed to run on). */
  endsAt: number | null;
  label: string;
}

export interface QueuedGang {
  gang: GangRequest;
  /** How long it runs once placed; null = unknown. */
  durationMs: number | null;
  label: string;
}

export interface ForwardResult {
  /** Epoch ms it would start; null when it never fits in the horizon. */
  startsAt: number | null;
  placements: ReplicaPlacement[];
  /** Why it does not fit at the last moment tried. */
  lastReason?: string;
  /** Holdings that ended before it starts (what it waits for). */
  waitedFor: string[];
  /** Pending gangs the simulation placed before it. */
  placedAhead: string[];
}

export function simulateForward(live: LiveSnapshot, holdings: Holding[], queued: QueuedGang[], target: GangRequest, now: number, policyName = 'weft'): ForwardResult {
  const { snap } = live;
  // Fragmentation-aware policies measure against the shapes of the work in view. weft keeps its
  // stranding term here rather than replaying the few shapes in view to decide on it.
  const shapes = [...queued.map((q) => q.gang), target].flatMap((g) => Array.from({ length: g.replicas }, () => shapeOf(g)));
  const config = { policy: createPolicy(policyName, { typicalPods: typicalPods(shapes), stranding: true }), explain: false };
  const rng = new Xoshiro128(1);
  const active = holdings.map((h) => ({ ...h }));
  let waiting = [...queued];
  const released: { node: number; label: string }[] = [];
  const placedAhead: string[] = [];
  let t = now;
  let lastReason: string | undefined;
  for (let step = 0; step < 10_000; step++) {
    for (let i = active.length - 1; i >= 0; i--) {
      const h = active[i]!;
      if (h.endsAt !== null && h.endsAt <= t) {
        snap.release(h.node, h.delta);
        if (h.endsAt >= now) released.push({ node: h.node, label: h.label });
        active.splice(i, 1);
      }
    }
    const res = schedule(snap, [...waiting.map((q) => q.gang), target], config, t, rng);
    snap.commit();
    for (const d of res.decisions) {
      if (d.gangId === target.id) {
        if (d.placed) {
          // What it waits for: whatever ended on the nodes it lands on.
          const nodes = new Set(d.placements.map((p) => p.node));
          const waitedFor = released.filter((r) => nodes.has(r.node)).map((r) => r.label);
          return { startsAt: t, placements: d.placements, waitedFor, placedAhead };
        }
        lastReason = d.unplaced[0]?.message;
        continue;
      }
      if (!d.placed) continue;
      const q = waiting.find((x) => x.gang.id === d.gangId)!;
      waiting = waiting.filter((x) => x !== q);
      placedAhead.push(q.label);
      for (const p of d.placements) {
        active.push({ node: p.node, delta: placementDelta(live, q.gang, p), endsAt: q.durationMs === null ? null : t + q.durationMs, label: q.label });
      }
    }
    const next = active.reduce<number | null>((m, h) => (h.endsAt !== null && h.endsAt > t && (m === null || h.endsAt < m) ? h.endsAt : m), null);
    if (next === null) break;
    t = next;
  }
  return { startsAt: null, placements: [], lastReason, waitedFor: [], placedAhead };
}

function shapeOf(g: GangRequest): PodShape {
  const d = g.resources.gpu;
  const models = g.resources.gpuModels ?? [];
  if (d.kind === 'whole') return { cpuMilli: g.resources.cpuMilli, gpuMilli: 1000, gpuCount: d.count, gpuModels: models };
  if (d.kind === 'share') return { cpuMilli: g.resources.cpuMilli, gpuMilli: d.milli, gpuCount: 1, gpuModels: models };
  // A MIG slice is counted as the seventh of a GPU its smallest profile is.
  if (d.kind === 'mig') return { cpuMilli: g.resources.cpuMilli, gpuMilli: 143, gpuCount: 1, gpuModels: models };
  return { cpuMilli: g.resources.cpuMilli, gpuMilli: 0, gpuCount: 0, gpuModels: models };
}
