// The scheduling loop's picture of the fleet: Nodes and active Allocations as the watch delivers
// them, folded into a scheduler Snapshot incrementally. Allocation changes are applied to the
// live snapshot (assume / release); only a change to a node's hardware or the node set rebuilds
// it. The snapshot is always "the nodes, minus what the active allocations hold".
// Each allocation carries its tenant (project), isolation tier and the project's GPU-sharing flag
// into the snapshot; the exact delta assumed is remembered, so releasing it undoes exactly that
// even if the project's flag changed meanwhile (a flag change rebuilds the snapshot anyway).
import { isActiveAllocation } from '../model/allocation-rules.js';
import type { AllocatedGpu, AllocationSpec } from '../model/kinds/allocation.js';
import type { NodeSpec } from '../model/kinds/node.js';
import type { Resource } from '../model/metadata.js';
import { parseCpuMilli, parseMemoryBytes } from '../model/quantity.js';
import { noPassthroughGpus } from './passthrough-gpus.js';
import type { ProjectSpec } from '../model/kinds/project.js';
import { GPU_MILLI, Snapshot, type BackfillRunning, type NodeDelta, type NodeInput } from '../scheduler/index.js';
import { NO_SHAPE, SHAPE_MANY, SHAPE_MIG, SHAPE_SHARE } from '../scheduler/snapshot.js';

const UNSCHEDULABLE_STATES = new Set(['NotReady', 'Cordoned', 'Draining']);

export function nodeSchedulable(n: Resource): boolean {
  const spec = n.spec as unknown as NodeSpec;
  const state = n.status?.state;
  return spec.unschedulable !== true && !(typeof state === 'string' && UNSCHEDULABLE_STATES.has(state));
}

type NodeGpu = NonNullable<NodeSpec['gpus']>[number];

interface NodeEntry {
  obj: Resource;
  /** GPUs by position in the snapshot (sorted by index). */
  gpus: NodeGpu[];
  /** Hardware fingerprint: a change rebuilds the snapshot. */
  shape: string;
  /** Positions in `gpus` the node cannot pass through to a VM (its agent's report). */
  noPassthrough: number[];
}

const keyOf = (o: Resource): string => `${o.metadata.project ?? ''}/${o.metadata.name}`;

export class FleetView {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly active = new Map<string, Resource>();
  private readonly byWorkload = new Map<string, Set<string>>();
  /** Newest resourceVersion seen per object (deleted ones too, until the catch-up is over). */
  private readonly seen = new Map<string, bigint>();
  /** Ids in `seen` whose object is gone (deleted, or an allocation no longer active). */
  private readonly gone = new Set<string>();
  private snap: Snapshot | undefined;
  private nodeIndex = new Map<string, number>();
  /** What each active allocation (by project/name) put on the current snapshot. */
  private readonly assumed = new Map<string, { node: number; delta: NodeDelta }>();
  /** Projects that let their time-shared GPUs be shared with other projects. */
  private readonly sharing = new Set<string>();

  constructor(private readonly log: (msg: string) => void = () => undefined) {}

  /** The snapshot to schedule on (rebuilt only when the node set or a node's hardware changed). */
  snapshot(): Snapshot {
    if (!this.snap) this.rebuild();
    return this.snap!;
  }

  /** Node name at a snapshot index → its GPUs, for writing Allocation.spec.gpus. */
  gpusOf(nodeName: string): readonly NodeGpu[] {
    return this.nodes.get(nodeName)?.gpus ?? [];
  }

  nodeObject(nodeName: string): Resource | undefined {
    return this.nodes.get(nodeName)?.obj;
  }

  /** Active allocations owned by the workload with this uid. */
  activeFor(uid: string): Resource[] {
    const keys = this.byWorkload.get(uid);
    return keys ? [...keys].map((k) => this.active.get(k)!).filter(Boolean) : [];
  }

  /** Every active allocation (preemption looks for victims among them). */
  activeAllocations(): IterableIterator<Resource> {
    return this.active.values();
  }

  /** Whether the allocation `project/name` still holds resources. */
  isActive(project: string, name: string): boolean {
    return this.active.has(`${project}/${name}`);
  }

  /** Where an active allocation sits in the snapshot and what it holds there; undefined off the picture. */
  replicaOf(a: Resource): { node: number; delta: NodeDelta } | undefined {
    this.snapshot();
    return this.assumed.get(keyOf(a));
  }

  /** Whether a project lets its time-shared GPUs be shared with other projects (Project.spec.allowGpuSharing). */
  allowsSharing(project: string | undefined): boolean {
    return project !== undefined && this.sharing.has(project);
  }

  applyProject(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Resource): boolean {
    const name = obj.metadata.name;
    const allow = type !== 'DELETED' && (obj.spec as unknown as ProjectSpec).allowGpuSharing === true;
    if (allow === this.sharing.has(name)) return false;
    if (allow) this.sharing.add(name);
    else this.sharing.delete(name);
    this.snap = undefined; // the flag is baked into the assumed shares: rebuild them
    return true;
  }

  /**
   * Active work for backfill, one entry per workload: its replicas on the snapshot and when it is
   * expected to end — its oldest replica's start plus the workload's declared max runtime, or
   * null when it declares none.
   */
  runningForBackfill(maxRuntimeMs: (workload: { kind: string; project: string; name: string }) => number | undefined): BackfillRunning[] {
    this.snapshot();
    const out: BackfillRunning[] = [];
    for (const [uid, keys] of this.byWorkload) {
      const replicas: BackfillRunning['replicas'][number][] = [];
      let start = Infinity;
      let ref: { kind: string; project: string; name: string } | undefined;
      for (const k of keys) {
        const a = this.active.get(k);
        const r = this.assumed.get(k);
        if (!a || !r) continue;
        replicas.push(r);
        const at = Date.parse(String(a.status?.startedAt ?? a.metadata.creationTimestamp));
        if (Number.isFinite(at)) start = Math.min(start, at);
        const w = (a.spec as unknown as AllocationSpec).workload;
        ref ??= { kind: w.kind, project: a.metadata.project ?? '', name: w.name };
      }
      if (!ref || replicas.length === 0) continue;
      const max = maxRuntimeMs(ref);
      out.push({ id: uid, endsAt: max !== undefined && Number.isFinite(start) ? start + max : null, replicas });
    }
    return out;
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** False when `obj` is not newer than what this view already holds (a replay). */
  private fresh(kind: string, obj: Resource): boolean {
    const id = `${kind}|${keyOf(obj)}`;
    const rv = BigInt(obj.metadata.resourceVersion);
    const old = this.seen.get(id);
    if (old !== undefined && rv <= old) return false;
    this.seen.set(id, rv);
    return true;
  }

  /**
   * Forgets deleted objects' versions once the watch is past every list (no replays remain). Only
   * the ids marked gone since the last call are looked at: the loop calls this every sweep, and
   * scanning every version it holds (one per node and live allocation) cost milliseconds each time.
   */
  forgetTombstones(): void {
    for (const id of this.gone) this.seen.delete(id);
    this.gone.clear();
  }

  /** Folds a Node change in; true when it may change what a cycle decides. */
  applyNode(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Resource): boolean {
    if (!this.fresh('Node', obj)) return false;
    const name = obj.metadata.name;
    const id = `Node|${keyOf(obj)}`;
    if (type === 'DELETED') {
      this.gone.add(id);
      if (this.nodes.delete(name)) this.snap = undefined;
      return true;
    }
    this.gone.delete(id);
    const spec = obj.spec as unknown as NodeSpec;
    const gpus = [...(spec.gpus ?? [])].sort((a, b) => a.index - b.index);
    const noPassthrough = noPassthroughGpus(obj, gpus);
    const shape = JSON.stringify([spec.cpu, spec.memory, gpus, spec.site ?? '', spec.rack ?? '', spec.nvlinkDomain ?? '', noPassthrough]);
    const old = this.nodes.get(name);
    this.nodes.set(name, { obj, gpus, shape, noPassthrough });
    if (!old || old.shape !== shape) {
      this.snap = undefined;
      return true;
    }
    const schedulable = nodeSchedulable(obj);
    if (this.snap) this.snap.setSchedulable(this.nodeIndex.get(name)!, schedulable);
    // A heartbeat (status only, still schedulable) changes nothing a cycle decides on: it must
    // not wake a full cycle over the whole queue every time one of a thousand nodes reports.
    return schedulable !== nodeSchedulable(old.obj) || JSON.stringify(obj.spec) !== JSON.stringify(old.obj.spec);
  }

  applyAllocation(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Resource): boolean {
    if (!this.fresh('Allocation', obj)) return false;
    const key = keyOf(obj);
    const old = this.active.get(key);
    if (old) this.remove(key, old);
    if (type !== 'DELETED' && isActiveAllocation(obj)) {
      this.add(key, obj);
      this.gone.delete(`Allocation|${key}`);
    } else this.gone.add(`Allocation|${key}`);
    return true;
  }

  private add(key: string, a: Resource): void {
    this.active.set(key, a);
    const uid = (a.spec as unknown as AllocationSpec).workload.uid;
    let set = this.byWorkload.get(uid);
    if (!set) this.byWorkload.set(uid, (set = new Set()));
    set.add(key);
    if (this.snap && !this.change(a, 'assume')) this.snap = undefined;
  }

  private remove(key: string, a: Resource): void {
    this.active.delete(key);
    const uid = (a.spec as unknown as AllocationSpec).workload.uid;
    const set = this.byWorkload.get(uid);
    set?.delete(key);
    if (set && set.size === 0) this.byWorkload.delete(uid);
    if (this.snap && !this.change(a, 'release')) this.snap = undefined;
  }

  /** Applies one allocation to the snapshot; false (nothing changed) when it does not fit the picture. */
  private change(a: Resource, how: 'assume' | 'release'): boolean {
    const snap = this.snap!;
    const key = keyOf(a);
    if (how === 'release') {
      const held = this.assumed.get(key);
      if (!held) return true; // never on the picture (not a node we schedule on)
      this.assumed.delete(key);
      snap.release(held.node, held.delta);
      snap.commit();
      return true;
    }
    const spec = a.spec as unknown as AllocationSpec;
    const n = this.nodeIndex.get(spec.node);
    if (n === undefined) return true; // not a node we schedule on: nothing to account
    const delta = this.deltaOf(snap, n, spec, a.metadata.project);
    if (!delta) return false;
    for (let i = 0; i < delta.gpus.length && delta.migMask === 0; i++) {
      const after = snap.gpuFree[delta.gpus[i]!]! + (how === 'assume' ? -delta.milliPerGpu : delta.milliPerGpu);
      if (after < 0 || after > GPU_MILLI) return false;
    }
    snap.assume(n, delta);
    snap.commit(); // watch-fed changes are never rolled back: keep the journal empty
    this.assumed.set(key, { node: n, delta });
    return true;
  }

  private deltaOf(snap: Snapshot, n: number, spec: AllocationSpec, project: string | undefined): NodeDelta | undefined {
    const entry = this.nodes.get(spec.node)!;
    const gpus: number[] = [];
    let milli = 0;
    let migMask = 0;
    let migMilli = 0;
    for (const g of spec.gpus as AllocatedGpu[]) {
      const pos = entry.gpus.findIndex((x) => x.index === g.index);
      if (pos < 0) return undefined;
      gpus.push(snap.gpuStart[n]! + pos);
      if (g.mig) {
        migMask = ((1 << g.mig.size) - 1) << g.mig.start;
        migMilli = g.milli; // the weight placement wrote
      } else milli = g.milli;
    }
    const shapeClass =
      gpus.length === 0 ? NO_SHAPE : migMask !== 0 ? SHAPE_MIG : milli < GPU_MILLI ? SHAPE_SHARE : gpus.length <= 8 ? gpus.length : SHAPE_MANY;
    return {
      cpuMilli: spec.cpuMilli,
      memoryBytes: spec.memoryBytes,
      gpus,
      milliPerGpu: migMask !== 0 ? 0 : milli,
      migMask,
      ...(migMask !== 0 ? { migMilli } : {}),
      shapeClass,
      tenant: snap.tenantId(project ?? ''),
      exclusive: spec.isolation === 'exclusive-node',
      allowSharing: this.allowsSharing(project),
    };
  }

  private rebuild(): void {
    const inputs: NodeInput[] = [];
    this.nodeIndex = new Map();
    for (const [name, e] of this.nodes) {
      const spec = e.obj.spec as unknown as NodeSpec;
      let cpuMilli: number;
      let memoryBytes: number;
      try {
        cpuMilli = parseCpuMilli(spec.cpu);
        memoryBytes = parseMemoryBytes(spec.memory);
      } catch {
        this.log(`scheduler: node ${name} has unreadable cpu/memory; not scheduling on it`);
        continue;
      }
      const input: NodeInput = {
        name,
        cpuMilli,
        memoryBytes,
        gpus: e.gpus.length,
        schedulable: nodeSchedulable(e.obj),
        migGpus: e.gpus.flatMap((g, i) => (g.migEnabled ? [i] : [])),
      };
      if (e.noPassthrough.length > 0) input.noPassthroughGpus = e.noPassthrough;
      // A host is assumed to carry one GPU model (the first GPU's).
      if (e.gpus.length > 0) input.gpuModel = e.gpus[0]!.model;
      if (spec.site) input.site = spec.site;
      if (spec.rack) input.rack = spec.rack;
      if (spec.nvlinkDomain) input.nvlinkDomain = spec.nvlinkDomain;
      this.nodeIndex.set(name, inputs.length);
      inputs.push(input);
    }
    this.snap = new Snapshot(inputs);
    this.assumed.clear();
    for (const a of this.active.values()) {
      if (!this.change(a, 'assume')) this.log(`scheduler: allocation ${keyOf(a)} does not fit its node's free capacity; ignored in the snapshot`);
    }
  }
}
