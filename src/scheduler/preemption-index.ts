// A cheap upper bound on "would the gang fit with these gangs released?", kept incrementally as
// victims are added to or taken out of a trial set. The preemption search asks it before every
// full what-if `schedule()`: when the bound says no, the full check would say no too, so it is
// skipped. It never says no where the scheduler could say yes: it counts, per node, the replicas
// that fit by the capacity filters alone (whole GPUs, CPU, memory), on nodes that pass the static
// filters (schedulable, GPU model, site), and ignores everything that only removes room (queues,
// isolation, backfill reservations). For a required topology it asks the same of every domain.
// Shares and MIG profiles are not bounded (the bound always says "maybe").
import type { Filter } from './filters/filter.js';
import { GPU_NONE, GPU_WHOLE, type ReplicaShape } from './request.js';
import { GPU_MILLI, type NodeDelta, type Snapshot } from './snapshot.js';
import { domainOf } from './topology.js';
import type { GangRequest } from './types.js';

/** Replicas already placed on one node (a victim's replicas). */
export interface ReleasedReplica {
  node: number;
  delta: NodeDelta;
}

const BOUNDING_FILTERS = ['gpu-fit', 'cpu-fit', 'memory-fit'];

export class RoomBound {
  /** False when the request or the filter set is one this bound does not model: always "maybe". */
  readonly enabled: boolean;
  private readonly need: number;
  private readonly gpus: number;
  private readonly cpu: number;
  private readonly mem: number;
  // Free resources with the trial set released (copies of the snapshot's, changed in place).
  private readonly gpuFree: Int16Array;
  private readonly fullFree: Uint8Array;
  private readonly cpuFree: Int32Array;
  private readonly memFree: Float64Array;
  /** Nodes the gang could ever use (static filters); others count 0. */
  private readonly eligible: Uint8Array;
  private readonly slots: Int32Array;
  /** Per-node domain id (required topology) or null: the whole fleet is one domain. */
  private readonly domain: Int32Array | null;
  private readonly domainSlots: Map<number, number> = new Map();
  /** Domains whose slots reach `need`. */
  private roomy = 0;

  constructor(snap: Snapshot, gang: GangRequest, req: ReplicaShape, filters: readonly Filter[]) {
    this.need = Math.min(gang.minAvailable ?? gang.replicas, gang.replicas);
    this.gpus = req.gpuKind === GPU_WHOLE ? req.gpuCount : 0;
    this.cpu = req.cpuMilli;
    this.mem = req.memoryBytes;
    const names = new Set(filters.map((f) => f.name));
    const bounded = (req.gpuKind === GPU_WHOLE || req.gpuKind === GPU_NONE) && (this.gpus > 0 || this.cpu > 0 || this.mem > 0);
    this.enabled = bounded && BOUNDING_FILTERS.every((f) => names.has(f));
    this.gpuFree = snap.gpuFree.slice();
    this.fullFree = snap.fullFree.slice();
    this.cpuFree = snap.cpuFree.slice();
    this.memFree = snap.memFree.slice();
    this.domain = gang.topology?.mode === 'required' ? domainOf(snap, gang.topology.within) : null;
    const n = snap.nodeCount;
    this.eligible = new Uint8Array(n);
    this.slots = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const ok =
        (!names.has('node-schedulable') || snap.schedulable[i] === 1) &&
        (!names.has('gpu-model') || !req.allowedModels || req.allowedModels[snap.model[i]!] === 1) &&
        (!names.has('site-allowed') || !req.allowedSites || req.allowedSites[snap.site[i]!] === 1) &&
        (!names.has('residency') || !req.residencySites || req.residencySites[snap.site[i]!] === 1);
      this.eligible[i] = ok ? 1 : 0;
      if (!ok) continue;
      const s = this.nodeSlots(i);
      this.slots[i] = s;
      if (s > 0) this.addDomainSlots(i, s);
    }
  }

  /** False only when the gang certainly does not fit with the trial set released. */
  maybeFits(): boolean {
    return !this.enabled || this.roomy > 0;
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
    if (!this.enabled) return true;
    this.release(replicas);
    const ok = this.maybeFits();
    this.restore(replicas);
    return ok;
  }

  private nodeSlots(n: number): number {
    let fit = Infinity;
    if (this.gpus > 0) fit = Math.floor(this.fullFree[n]! / this.gpus);
    if (this.cpu > 0) fit = Math.min(fit, Math.floor(this.cpuFree[n]! / this.cpu));
    if (this.mem > 0) fit = Math.min(fit, Math.floor(this.memFree[n]! / this.mem));
    // Only reached when at least one term applies; `need` caps it so sums stay finite.
    return Math.min(fit, this.need);
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
