// Who runs where, for the isolation tiers (README "Isolation tiers"). Per node and per time-shared
// GPU: how many tenant-tracked replicas sit there and the sum and sum of squares of their tenant
// numbers (id + 1). All of them belong to tenant v exactly when sum = count·v and sumSq = count·v²
// (zero variance), so "is anyone else here?" is three typed-array reads and an update is a few
// writes. Every write is journaled by the owning Snapshot so rollbacks and what-ifs undo it.
import type { NodeDelta } from './snapshot.js';
import { Interner } from './interner.js';

const WHOLE_GPU = 1000;

type Marks = Uint16Array | Float64Array | Int32Array;

export class TenantMarks {
  /** Tenant-tracked replicas per node, and the sum / sum of squares of their tenant numbers. */
  readonly nodeTenants: Uint16Array;
  readonly nodeTenantSum: Float64Array;
  readonly nodeTenantSq: Float64Array;
  /** Exclusive-node replicas per node and the tenant id they belong to (valid when the count > 0). */
  readonly nodeExclusive: Uint16Array;
  readonly nodeExclusiveTenant: Int32Array;
  /** Per GPU, the same for time-shared replicas, plus how many of them refuse other tenants. */
  readonly gpuSharers: Uint16Array;
  readonly gpuSharerSum: Float64Array;
  readonly gpuSharerSq: Float64Array;
  readonly gpuSharersClosed: Uint16Array;
  /**
   * Fleet-wide totals, so the filters can skip their scans when no rule can bite (one tenant, or
   * nobody refusing to share, and no exclusive-node work): [sharers, sum, sumSq, closed sharers,
   * exclusive-node replicas].
   */
  readonly fleet: Float64Array;
  /** The arrays above in journal order: field base + i restores arrays[i]. */
  private readonly arrays: Marks[];
  private readonly tenants: Interner;

  constructor(nodes: number, gpus: number, from?: TenantMarks) {
    const copy = <T extends Marks>(fresh: T, old: T | undefined): T => (old ? (old.slice() as T) : fresh);
    this.nodeTenants = copy(new Uint16Array(nodes), from?.nodeTenants);
    this.nodeTenantSum = copy(new Float64Array(nodes), from?.nodeTenantSum);
    this.nodeTenantSq = copy(new Float64Array(nodes), from?.nodeTenantSq);
    this.nodeExclusive = copy(new Uint16Array(nodes), from?.nodeExclusive);
    this.nodeExclusiveTenant = copy(new Int32Array(nodes), from?.nodeExclusiveTenant);
    this.gpuSharers = copy(new Uint16Array(gpus), from?.gpuSharers);
    this.gpuSharerSum = copy(new Float64Array(gpus), from?.gpuSharerSum);
    this.gpuSharerSq = copy(new Float64Array(gpus), from?.gpuSharerSq);
    this.gpuSharersClosed = copy(new Uint16Array(gpus), from?.gpuSharersClosed);
    this.fleet = copy(new Float64Array(5), from?.fleet);
    this.arrays = [
      this.nodeTenants,
      this.nodeTenantSum,
      this.nodeTenantSq,
      this.nodeExclusive,
      this.nodeExclusiveTenant,
      this.gpuSharers,
      this.gpuSharerSum,
      this.gpuSharerSq,
      this.gpuSharersClosed,
      this.fleet,
    ];
    this.tenants = new Interner(from?.tenants);
  }

  /** Stable small id of a tenant (project) name. */
  id(name: string): number {
    return this.tenants.id(name);
  }

  name(id: number): string {
    return this.tenants.name(id);
  }

  /** True when every tracked replica on node n belongs to tenant t (or there is none). */
  nodeOnly(n: number, t: number): boolean {
    return onlyTenant(this.nodeTenants[n]!, this.nodeTenantSum[n]!, this.nodeTenantSq[n]!, t + 1);
  }

  /** True when node n holds exclusive-node work of a tenant other than t. */
  exclusiveToOther(n: number, t: number): boolean {
    return this.nodeExclusive[n]! > 0 && this.nodeExclusiveTenant[n] !== t;
  }

  /** Whether tenant t may time-share GPU g: no sharers, only t, or t and every sharer allow it. */
  gpuShareAllowed(g: number, t: number, allow: boolean): boolean {
    const c = this.gpuSharers[g]!;
    if (c === 0 || onlyTenant(c, this.gpuSharerSum[g]!, this.gpuSharerSq[g]!, t + 1)) return true;
    return allow && this.gpuSharersClosed[g] === 0;
  }

  /** No exclusive-node work anywhere: only an exclusive-node request needs the node scan. */
  get noExclusive(): boolean {
    return this.fleet[4] === 0;
  }

  /** Every GPU in the fleet may be time-shared by tenant t: the per-GPU scan can be skipped. */
  anyGpuShareable(t: number, allow: boolean): boolean {
    const f = this.fleet;
    return onlyTenant(f[0]!, f[1]!, f[2]!, t + 1) || (allow && f[3] === 0);
  }

  /**
   * Adds (sign -1, as `assume` takes resources) or removes (sign +1) the marks of a replica of
   * tenant d.tenant on node n, pushing (base + array, index, old value) to `journal` per write.
   */
  apply(n: number, d: NodeDelta, t: number, sign: 1 | -1, journal: number[], base: number): void {
    const add = -sign;
    const v = t + 1;
    const bump = (i: number, idx: number, by: number): void => {
      const a = this.arrays[i]!;
      journal.push(base + i, idx, a[idx]!);
      a[idx] = a[idx]! + by;
    };
    bump(0, n, add);
    bump(1, n, add * v);
    bump(2, n, add * v * v);
    if (d.exclusive) {
      bump(3, n, add);
      bump(9, 4, add);
      journal.push(base + 4, n, this.nodeExclusiveTenant[n]!);
      this.nodeExclusiveTenant[n] = t;
    }
    if (d.migMask !== 0 || d.milliPerGpu >= WHOLE_GPU || d.milliPerGpu <= 0) return; // only shares time-slice
    for (let i = 0; i < d.gpus.length; i++) {
      const k = d.gpus[i]!;
      bump(5, k, add);
      bump(6, k, add * v);
      bump(7, k, add * v * v);
      if (!d.allowSharing) bump(8, k, add);
      bump(9, 0, add);
      bump(9, 1, add * v);
      bump(9, 2, add * v * v);
      if (!d.allowSharing) bump(9, 3, add);
    }
  }

  /** Undoes one journaled write (field = array index, as pushed minus the base). */
  restore(field: number, idx: number, old: number): void {
    this.arrays[field]![idx] = old;
  }
}

/** count values summing to sum (squares: sq) are all v. */
function onlyTenant(count: number, sum: number, sq: number, v: number): boolean {
  return count === 0 || (sum === count * v && sq === count * v * v);
}
