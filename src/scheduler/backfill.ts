// Backfill with one reservation (EASY backfill, README "Backfill"). When the first gang in line
// cannot be placed, it gets a reservation: the earliest time it would fit if running work ended
// when declared (start + max runtime), and the nodes it would take then. Later gangs may still
// start now, but only on nodes outside the reservation — or anywhere if their own declared max
// runtime ends before the reservation's time, so they are gone when it is due. Work with no
// declared end never frees its capacity in this reckoning: a gang that needs it gets no
// reservation, and the next gang in line may have one instead.
import type { Filter } from './filters/filter.js';
import type { RunningReplica } from './preemption.js';
import type { NodeDelta, Snapshot } from './snapshot.js';
import type { GangDecision, GangRequest, Reservation } from './types.js';

/** Running work as backfill sees it: where it is and when it is expected to end. */
export interface BackfillRunning {
  id: string;
  /** Expected end (start + declared max runtime), same unit as `now`; null = unknown, never ends. */
  endsAt: number | null;
  replicas: readonly RunningReplica[];
}

export interface BackfillConfig {
  /**
   * Or a function returning it, called at most once a cycle and only when a gang first needs a
   * reservation: the live loop derives it from every active allocation, which a cycle that
   * places everything it is given never needs.
   */
  running: readonly BackfillRunning[] | (() => readonly BackfillRunning[]);
}

/** The active reservation of a cycle. */
export interface HeldReservation {
  gangId: string;
  at: number;
  nodes: readonly number[];
}

/** Per-cycle backfill state: the running work (plus what this cycle placed) and the one reservation. */
export class Backfill {
  /** What was running before the cycle, once asked for (see BackfillConfig.running). */
  private before: readonly BackfillRunning[] | null = null;
  /** What this cycle placed. */
  private readonly placedNow: BackfillRunning[] = [];
  private held: HeldReservation | null = null;
  private mask: Uint8Array | null = null;

  constructor(
    private readonly config: BackfillConfig,
    private readonly now: number,
  ) {}

  private running(): BackfillRunning[] {
    const r = this.config.running;
    this.before ??= typeof r === 'function' ? r() : r;
    return [...this.before, ...this.placedNow];
  }

  get reservation(): HeldReservation | null {
    return this.held;
  }

  /** Whether `gang` must keep off the reserved nodes: it could still be running when the reservation is due. */
  restricts(gang: GangRequest): boolean {
    if (!this.held) return false;
    return !(gang.maxRuntimeMs !== undefined && this.now + gang.maxRuntimeMs <= this.held.at);
  }

  /** The filter chain for `gang`: the reserved nodes go first when it must keep off them. */
  filtersFor(gang: GangRequest, base: readonly Filter[]): readonly Filter[] {
    if (!this.restricts(gang) || !this.mask) return base;
    return [reservedFilter(this.mask), ...base];
  }

  /** Records a gang placed this cycle: its capacity frees at now + maxRuntime (or never). */
  placed(gang: GangRequest, decision: GangDecision, deltas: readonly NodeDelta[]): void {
    const endsAt = gang.maxRuntimeMs !== undefined ? this.now + gang.maxRuntimeMs : null;
    const replicas = decision.placements.map((p, i) => ({ node: p.node, delta: deltas[i]! }));
    this.placedNow.push({ id: gang.id, endsAt, replicas });
  }

  /**
   * Tries to give `gang` the reservation; `place` runs the gang on a what-if snapshot and must leave
   * it placed when it fits. Returns the reservation, or null when there already is one or none can
   * be made. The snapshot is left as it was.
   */
  reserve(snap: Snapshot, gang: GangRequest, place: (s: Snapshot) => GangDecision): Reservation | null {
    if (this.held) return null;
    const running = this.running();
    const ends = [...new Set(running.filter((r) => r.endsAt !== null).map((r) => r.endsAt!))].sort((a, b) => a - b);
    if (ends.length === 0) return null;
    // Fit is monotone in the work released (more free capacity never hurts), so binary search the
    // shortest prefix of end times after which the gang fits.
    const attempt = (k: number): GangDecision | null =>
      snap.whatIf((s) => {
        const until = ends[k]!;
        for (const r of running) {
          if (r.endsAt === null || r.endsAt > until) continue;
          for (const x of r.replicas) s.release(x.node, x.delta);
        }
        const d = place(s);
        return d.placed ? d : null;
      });
    if (!attempt(ends.length - 1)) return null;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (attempt(mid)) hi = mid;
      else lo = mid + 1;
    }
    const d = attempt(lo)!;
    const nodes = [...new Set(d.placements.map((p) => p.node))].sort((a, b) => a - b);
    const at = Math.max(this.now, ends[lo]!);
    this.held = { gangId: gang.id, at, nodes };
    this.mask = new Uint8Array(snap.nodeCount);
    for (const n of nodes) this.mask[n] = 1;
    return { at, nodes: nodes.map((n) => snap.nodeNames[n]!) };
  }
}

function reservedFilter(mask: Uint8Array): Filter {
  return {
    name: 'reserved',
    reason: 'Reserved',
    reads: 'node',
    resolvable: false, // evicting work does not lift a reservation
    filter(_snap, _req, nodes, count) {
      let k = 0;
      for (let i = 0; i < count; i++) {
        const n = nodes[i]!;
        if (mask[n] !== 1) nodes[k++] = n;
      }
      return k;
    },
  };
}
