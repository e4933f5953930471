// The scheduler's view of the fleet, as a struct of typed arrays: one slot per node and one per
// GPU. Scans over thousands of nodes touch a few contiguous arrays instead of chasing objects.
// Changes made while scheduling go through `assume`/`release`, which record the old values in a
// journal so a failed gang or a what-if can be undone with `rollback(mark)` instead of copying.
//
// Tenants (isolation tiers) are tracked by tenants.ts, journaled here like everything else.

import { MIG_SLOTS } from '../model/gpu-catalog.js';
import { TenantMarks } from './tenants.js';
import { Interner } from './interner.js';

export interface NodeInput {
  name: string;
  cpuMilli: number;
  memoryBytes: number;
  /** Number of GPUs; all of one model (a mixed host is split into one node per model upstream). */
  gpus: number;
  gpuModel?: string;
  site?: string;
  rack?: string;
  nvlinkDomain?: string;
  schedulable?: boolean;
  /** GPUs (node-local indices) in MIG mode: they host MIG instances only. */
  migGpus?: readonly number[];
  /** GPUs (node-local indices) the host cannot pass through to a VM (IOMMU group not isolated); they serve other work. */
  noPassthroughGpus?: readonly number[];
}

/** Gang shape classes tracked per node (used by gpu-clustering): share, 1..8 whole GPUs, more, MIG. */
export const SHAPE_SHARE = 0;
export const SHAPE_MANY = 9;
export const SHAPE_MIG = 10;
export const SHAPE_CLASSES = 11;
export const NO_SHAPE = -1;

export const GPU_MILLI = 1000;

// Journal field codes.
const F_CPU = 0;
const F_MEM = 1;
const F_GPU = 2;
const F_MIG = 3;
const F_SHAPE = 4;
const F_FULL = 5;
// Tenant marks: field code F_TENANT + i restores TenantMarks array i.
const F_TENANT = 6;

/** A change to apply to one node: what `assume` takes and `release` gives back. */
export interface NodeDelta {
  cpuMilli: number;
  memoryBytes: number;
  /** Global GPU indices touched. */
  gpus: ArrayLike<number>;
  /** Milli-GPU taken from each GPU in `gpus` (1000 for whole GPUs; 0 for MIG). */
  milliPerGpu: number;
  /** For MIG: bitmask of memory slices taken on gpus[0]. */
  migMask: number;
  /**
   * For MIG: the instance's GPU weight in milli-GPU (model/allocation-rules.ts: its compute
   * slices of 7), what quotas and fair share charge. Set on every MIG delta; the memory slices
   * in migMask cannot tell a 3g from a 4g.
   */
  migMilli?: number;
  shapeClass: number;
  /** Tenant id (Snapshot.tenantId) of the replica; absent = not tracked for isolation. */
  tenant?: number;
  /** The replica runs with exclusive-node isolation: no other tenant may join it on the node. */
  exclusive?: boolean;
  /** For shares: the tenant lets other tenants share its GPU. */
  allowSharing?: boolean;
}

export class Snapshot {
  readonly nodeCount: number;
  readonly gpuTotal: number;
  readonly nodeNames: readonly string[];
  readonly modelNames: readonly string[];
  readonly siteNames: readonly string[];
  readonly rackNames: readonly string[];
  readonly nvlinkNames: readonly string[];

  readonly cpuCap: Int32Array;
  readonly cpuFree: Int32Array;
  readonly memCap: Float64Array;
  readonly memFree: Float64Array;
  /** GPUs of node n are gpuStart[n] .. gpuStart[n+1]-1. */
  readonly gpuStart: Int32Array;
  readonly gpuCount: Uint8Array;
  /** Free milli-GPU per GPU (0..1000); 0 for GPUs in MIG mode. */
  readonly gpuFree: Int16Array;
  readonly gpuMig: Uint8Array;
  /** 1 for a GPU the host cannot pass through to a VM (NodeInput.noPassthroughGpus). */
  readonly gpuNoPassthrough: Uint8Array;
  /** Per node: GPUs outside MIG mode that can be passed through to a VM (a fixed attribute). */
  readonly passthroughGpus: Uint8Array;
  /** Occupied MIG memory slices per GPU, one bit per slot. */
  readonly migUsed: Uint8Array;
  /** Fully free GPUs per node (kept so whole-GPU checks need not scan). */
  readonly fullFree: Uint8Array;
  readonly model: Uint16Array;
  readonly site: Int32Array;
  readonly rack: Int32Array;
  readonly nvlink: Int32Array;
  readonly schedulable: Uint8Array;
  /** Tie-break rank: among equal scores the smaller rank wins. Defaults to node order. */
  readonly rank: Int32Array;
  /** Bumped on every change to a node, so per-node caches know when they are stale. */
  readonly version: Uint32Array;
  /** Replicas per node per shape class (see SHAPE_*). */
  readonly shapeCounts: Uint16Array;
  /** Largest CPU and GPU capacity of any node: the fleet-wide normalisers of packing scores. */
  readonly maxCpuMilli: number;
  readonly maxGpusPerNode: number;

  /** Per-node and per-GPU tenant marks for the isolation filters. */
  readonly tenants: TenantMarks;

  /** Total free milli-GPU over non-MIG GPUs. */
  gpuMilliFree: number;
  readonly gpuMilliCap: number;
  private clock = 0;
  private journal: number[] = [];
  /** Nodes changed since the node classes last looked (node-classes.ts); null: too many to list. */
  private changed: number[] | null = [];
  /** Bumped when a fixed attribute (schedulable, rank) changes: node classes regroup. */
  staticEpoch = 0;

  constructor(nodes: readonly NodeInput[]) {
    const n = nodes.length;
    this.nodeCount = n;
    const models = new Interner();
    const sites = new Interner();
    const racks = new Interner();
    const nvlinks = new Interner();
    this.nodeNames = nodes.map((x) => x.name);
    this.cpuCap = new Int32Array(n);
    this.memCap = new Float64Array(n);
    this.gpuStart = new Int32Array(n + 1);
    this.gpuCount = new Uint8Array(n);
    this.model = new Uint16Array(n);
    this.site = new Int32Array(n);
    this.rack = new Int32Array(n);
    this.nvlink = new Int32Array(n);
    this.schedulable = new Uint8Array(n);
    this.rank = new Int32Array(n);
    this.version = new Uint32Array(n);
    this.fullFree = new Uint8Array(n);
    this.shapeCounts = new Uint16Array(n * SHAPE_CLASSES);
    let g = 0;
    let maxCpu = 0;
    let maxGpus = 0;
    for (let i = 0; i < n; i++) {
      const x = nodes[i]!;
      if (!(x.gpus >= 0 && x.gpus <= 64 && Number.isInteger(x.gpus))) throw new RangeError(`node ${x.name}: bad GPU count ${x.gpus}`);
      this.cpuCap[i] = x.cpuMilli;
      this.memCap[i] = x.memoryBytes;
      this.gpuStart[i] = g;
      this.gpuCount[i] = x.gpus;
      this.model[i] = models.id(x.gpuModel ?? '');
      this.site[i] = sites.id(x.site ?? '');
      this.rack[i] = racks.id(x.rack ?? `node:${x.name}`);
      this.nvlink[i] = nvlinks.id(x.nvlinkDomain ?? `node:${x.name}`);
      this.schedulable[i] = x.schedulable === false ? 0 : 1;
      this.rank[i] = i;
      g += x.gpus;
      maxCpu = Math.max(maxCpu, x.cpuMilli);
      maxGpus = Math.max(maxGpus, x.gpus);
    }
    this.gpuStart[n] = g;
    this.gpuTotal = g;
    this.gpuFree = new Int16Array(g);
    this.gpuMig = new Uint8Array(g);
    this.gpuNoPassthrough = new Uint8Array(g);
    this.passthroughGpus = new Uint8Array(n);
    this.migUsed = new Uint8Array(g);
    let cap = 0;
    for (let i = 0; i < n; i++) {
      const x = nodes[i]!;
      const mig = new Set(x.migGpus ?? []);
      const noPass = new Set(x.noPassthroughGpus ?? []);
      let full = 0;
      let pass = 0;
      for (let j = 0; j < x.gpus; j++) {
        const k = this.gpuStart[i]! + j;
        if (noPass.has(j)) this.gpuNoPassthrough[k] = 1;
        if (mig.has(j)) this.gpuMig[k] = 1;
        else {
          this.gpuFree[k] = GPU_MILLI;
          full++;
          cap += GPU_MILLI;
          if (!noPass.has(j)) pass++;
        }
      }
      this.fullFree[i] = full;
      this.passthroughGpus[i] = pass;
    }
    this.cpuFree = this.cpuCap.slice();
    this.memFree = this.memCap.slice();
    this.gpuMilliCap = cap;
    this.gpuMilliFree = cap;
    this.modelNames = models.names;
    this.siteNames = sites.names;
    this.rackNames = racks.names;
    this.nvlinkNames = nvlinks.names;
    this.maxCpuMilli = Math.max(1, maxCpu);
    this.maxGpusPerNode = Math.max(1, maxGpus);
    this.tenants = new TenantMarks(n, g);
  }

  /** Stable small id of a tenant (project) name, for NodeDelta.tenant and requests. */
  tenantId(name: string): number {
    return this.tenants.id(name);
  }

  /** True when every tenant-tracked replica on node n belongs to tenant t (or there is none). */
  nodeOnlyTenant(n: number, t: number): boolean {
    return this.tenants.nodeOnly(n, t);
  }

  /** True when node n holds exclusive-node work of a tenant other than t. */
  nodeExclusiveToOther(n: number, t: number): boolean {
    return this.tenants.exclusiveToOther(n, t);
  }

  /** Whether tenant t (allowing cross-tenant sharing or not) may time-share GPU g. */
  gpuShareAllowed(g: number, t: number, allow: boolean): boolean {
    return this.tenants.gpuShareAllowed(g, t, allow);
  }

  /** Model id of a name, or -1 when no node has that model. */
  modelId(name: string): number {
    return this.modelNames.indexOf(name);
  }

  /** Sets the tie-break order: rank[n] = ranks[n]. */
  setRanks(ranks: ArrayLike<number>): void {
    for (let i = 0; i < this.nodeCount; i++) this.rank[i] = ranks[i]!;
    this.staticEpoch++;
  }

  /** Opens or closes node n to new work (cordon, drain, not ready). */
  setSchedulable(n: number, ok: boolean): void {
    const v = ok ? 1 : 0;
    if (this.schedulable[n] === v) return;
    this.schedulable[n] = v;
    this.staticEpoch++;
  }

  /** The nodes changed since the last call, each at least once; null when too many to list (treat all as changed). */
  takeChanged(): number[] | null {
    const c = this.changed;
    this.changed = [];
    return c;
  }

  private touch(n: number): void {
    this.version[n] = ++this.clock;
    const c = this.changed;
    if (c === null) return;
    c.push(n);
    if (c.length > this.nodeCount) this.changed = null;
  }

  /** Node n's fixed attributes as a node input, as if nothing ran there (for replays on an empty copy). */
  emptyInput(n: number, name = this.nodeNames[n]!): NodeInput {
    const migGpus: number[] = [];
    const noPassthroughGpus: number[] = [];
    for (let g = this.gpuStart[n]!, j = 0; g < this.gpuStart[n + 1]!; g++, j++) {
      if (this.gpuMig[g] === 1) migGpus.push(j);
      if (this.gpuNoPassthrough[g] === 1) noPassthroughGpus.push(j);
    }
    return {
      name,
      cpuMilli: this.cpuCap[n]!,
      memoryBytes: this.memCap[n]!,
      gpus: this.gpuCount[n]!,
      gpuModel: this.modelNames[this.model[n]!]!,
      site: this.siteNames[this.site[n]!]!,
      migGpus,
      ...(noPassthroughGpus.length > 0 ? { noPassthroughGpus } : {}),
    };
  }

  /** Free milli-GPU summed over a node's GPUs. */
  nodeGpuFree(n: number): number {
    let s = 0;
    for (let k = this.gpuStart[n]!, e = this.gpuStart[n + 1]!; k < e; k++) s += this.gpuFree[k]!;
    return s;
  }

  /** Takes resources on node n. Recorded in the journal so it can be rolled back. */
  assume(n: number, d: NodeDelta): void {
    this.apply(n, d, -1);
  }

  /** Gives back what `assume` took (a finished or preempted replica). Also journaled. */
  release(n: number, d: NodeDelta): void {
    this.apply(n, d, 1);
  }

  private apply(n: number, d: NodeDelta, sign: 1 | -1): void {
    const j = this.journal;
    j.push(F_CPU, n, this.cpuFree[n]!, F_MEM, n, this.memFree[n]!, F_FULL, n, this.fullFree[n]!);
    this.cpuFree[n] = this.cpuFree[n]! + sign * d.cpuMilli;
    this.memFree[n] = this.memFree[n]! + sign * d.memoryBytes;
    let full = this.fullFree[n]!;
    for (let i = 0; i < d.gpus.length; i++) {
      const k = d.gpus[i]!;
      if (d.migMask !== 0) {
        j.push(F_MIG, k, this.migUsed[k]!);
        this.migUsed[k] = sign < 0 ? this.migUsed[k]! | d.migMask : this.migUsed[k]! & ~d.migMask;
        continue;
      }
      const before = this.gpuFree[k]!;
      const after = before + sign * d.milliPerGpu;
      if (after < 0 || after > GPU_MILLI) throw new RangeError(`GPU ${k} would have ${after} milli free`);
      j.push(F_GPU, k, before);
      this.gpuFree[k] = after;
      this.gpuMilliFree += after - before;
      if (before === GPU_MILLI) full--;
      if (after === GPU_MILLI) full++;
    }
    this.fullFree[n] = full;
    if (d.shapeClass >= 0) {
      const s = n * SHAPE_CLASSES + d.shapeClass;
      j.push(F_SHAPE, s, this.shapeCounts[s]!);
      this.shapeCounts[s] = this.shapeCounts[s]! - sign;
    }
    if (d.tenant !== undefined) this.tenants.apply(n, d, d.tenant, sign, this.journal, F_TENANT);
    this.touch(n);
  }

  /** A point in the journal to roll back to. */
  mark(): number {
    return this.journal.length;
  }

  /** Undoes every change made since `mark`, newest first. */
  rollback(mark: number): void {
    const j = this.journal;
    while (j.length > mark) {
      const old = j.pop()!;
      const idx = j.pop()!;
      const field = j.pop()!;
      this.restore(field, idx, old);
    }
  }

  /** Forgets the journal: changes so far can no longer be rolled back. */
  commit(): void {
    this.journal.length = 0;
  }

  /** Runs `fn` on this snapshot and undoes whatever it changed: a what-if without copying. */
  whatIf<T>(fn: (s: Snapshot) => T): T {
    const m = this.mark();
    try {
      return fn(this);
    } finally {
      this.rollback(m);
    }
  }

  /** An independent copy (typed-array memcpy): for what-ifs that must outlive this one. */
  clone(): Snapshot {
    const c = Object.create(Snapshot.prototype) as Snapshot;
    Object.assign(c, this);
    const w = c as unknown as Record<string, unknown>;
    for (const k of [
      'cpuFree',
      'memFree',
      'gpuFree',
      'migUsed',
      'fullFree',
      'rank',
      'version',
      'shapeCounts',
      'schedulable',
    ] as const) {
      w[k] = (this[k] as Int32Array).slice();
    }
    w['tenants'] = new TenantMarks(this.nodeCount, this.gpuTotal, this.tenants);
    w['journal'] = [];
    w['changed'] = null;
    return c;
  }

  private restore(field: number, idx: number, old: number): void {
    switch (field) {
      case F_CPU:
        this.cpuFree[idx] = old;
        this.touch(idx);
        break;
      case F_MEM:
        this.memFree[idx] = old;
        break;
      case F_GPU:
        this.gpuMilliFree += old - this.gpuFree[idx]!;
        this.gpuFree[idx] = old;
        break;
      case F_MIG:
        this.migUsed[idx] = old;
        break;
      case F_SHAPE:
        this.shapeCounts[idx] = old;
        break;
      case F_FULL:
        this.fullFree[idx] = old;
        break;
      default:
        this.tenants.restore(field - F_TENANT, idx, old);
    }
  }
}

export { MIG_SLOTS };
