// A cheap upper bound on "would the gang fit with these gangs released?", kept incrementally as
// victims are added to or taken out of a trial set. The preemption search asks it before every
// full what-if `schedule()`: when the bound says no, the full check would say no too, so it is
// skipped. It never says no where the scheduler could say yes. It reads what the filters declare
// (filters/filter.ts): nodes an unresolvable filter rejects (schedulable, GPU model, site…) count
// for nothing, since no eviction changes that answer; on the others it counts the replicas each
// capacity filter's room() allows (whole GPUs, GPU shares, CPU, memory), the least of them, and
// ignores the resolvable filters without room (isolation), which only ever remove room. For a
// required topology it asks the same of every domain. MIG profiles are not counted (no room()).
import type { Filter } from './filters/filter.js';
import type { ReplicaShape } from './request.js';
import { GPU_MILLI, type NodeDelta, type Snapshot } from './snapshot.js';
import { domainOf } from './topology.js';
import type { GangRequest } from './types.js';

/** Replicas already placed on one node (a victim's replicas). */
export interface ReleasedReplica {
  node: number;
  delta: NodeDelta;
}

export class RoomBound {
  private readonly need: number;
  private readonly req: ReplicaShape;
  /** The filters that count room. */
  private readonly capacity: readonly Filter[];
  // Free resources with the trial set released (copies of the snapshot's, changed in place);
  // named as the snapshot names them, so room() reads either.
  readonly gpuFree: Int16Array;
  readonly fullFree: Uint8Array;
  readonly cpuFree: Int32Array;
  readonly memFree: Float64Array;
  readonly gpuStart: Int32Array;
  readonly gpuNoPassthrough: Uint8Array;
  /** Nodes the gang could ever use (every unresolvable filter passes); others count 0. */
  private readonly eligible: Uint8Array;
  private readonly slots: Int32Array;
  /** Per-node domain id (required topology) or null: the whole fleet is one domain. */
  private readonly domain: Int32Array | null;
  private readonly domainSlots: Map<number, number> = new Map();
  /** Domains whose slots reach `need`. */
  private roomy = 0;

  constructor(snap: Snapshot, gang: GangRequest, req: ReplicaShape, filters: readonly Filter[]) {
    this.need = Math.min(gang.minAvailable ?? gang.replicas, gang.replicas);
    this.req = req;
    this.capacity = filters.filter((f) => f.room !== undefined);
    this.gpuFree = snap.gpuFree.slice();
    this.fullFree = snap.fullFree.slice();
    this.cpuFree = snap.cpuFree.slice();
    this.memFree = snap.memFree.slice();
    this.gpuStart = snap.gpuStart;
    this.gpuNoPassthrough = snap.gpuNoPassthrough;
    this.domain = gang.topology?.mode === 'required' ? domainOf(snap, gang.topology.within) : null;
    const n = snap.nodeCount;
    const nodes = new Int32Array(n);
    for (let i = 0; i < n; i++) nodes[i] = i;
    let count = n;
    for (const f of filters) if (!f.resolvable) count = f.filter(snap, req, nodes, count);
    this.eligible = new Uint8Array(n);
    this.slots = new Int32Array(n);
    for (let k = 0; k < count; k++) {
      const i = nodes[k]!;
      this.eligible[i] = 1;
      const s = this.nodeSlots(i);
      this.slots[i] = s;
      if (s > 0) this.addDomainSlots(i, s);
    }
  }

  /** False only when the gang certainly does not fit with the trial set released. */
  maybeFits(): boolean {
    return this.roomy > 0;
  }

  /** Adds a gang's replicas to the trial set (their resources count as free). */
  release(replicas: readonly ReleasedReplica[]): void {
    for (const r of replicas) this.apply(r.node, r.delta, 1);
  }

  /** Takes a gang's replicas back out of the trial set. */
  restore(replicas: readonly ReleasedReplica[]): void {
    for (const r of replicas) this.apply(r.node, r.delta, -1);
  }

  /** Whether the gang may fit with exactly `replicas` (on top of the trial set) released; leaves the set as it was. */
  maybeFitsWith(replicas: readonly ReleasedReplica[]): boolean {
    this.release(replicas);
    const ok = this.maybeFits();
    this.restore(replicas);
    return ok;
  }

  private nodeSlots(n: number): number {
    // `need` caps it, so sums stay finite when no filter limits the request.
    let fit = this.need;
    for (const f of this.capacity) fit = Math.min(fit, f.room!(this, this.req, n));
    return fit;
  }

  private addDomainSlots(n: number, delta: number): void {
    const d = this.domain ? this.domain[n]! : 0;
    const before = this.domainSlots.get(d) ?? 0;
    const after = before + delta;
    this.domainSlots.set(d, after);
    if (before < this.need && after >= this.need) this.roomy++;
    else if (before >= this.need && after < this.need) this.roomy--;
  }

  // Mirrors Snapshot.apply for the fields the bound reads; sign 1 releases, -1 takes back.
  private apply(n: number, d: NodeDelta, sign: 1 | -1): void {
    this.cpuFree[n] = this.cpuFree[n]! + sign * d.cpuMilli;
    this.memFree[n] = this.memFree[n]! + sign * d.memoryBytes;
    if (d.migMask === 0) {
      let full = this.fullFree[n]!;
      for (let i = 0; i < d.gpus.length; i++) {
        const k = d.gpus[i]!;
        const before = this.gpuFree[k]!;
        const after = before + sign * d.milliPerGpu;
        this.gpuFree[k] = after;
        if (before === GPU_MILLI) full--;
        if (after === GPU_MILLI) full++;
      }
      this.fullFree[n] = full;
    }
    if (this.eligible[n] !== 1) return;
    const s = this.nodeSlots(n);
    const old = this.slots[n]!;
    if (s !== old) {
      this.slots[n] = s;
      this.addDomainSlots(n, s - old);
    }
  }
}
