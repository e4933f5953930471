// Node equivalence classes, so a scan over a large fleet touches classes instead of nodes.
//
// Static class: nodes with the same fixed attributes — schedulable, GPU model, site, CPU and memory
// capacity, GPU count, which GPUs are in MIG mode and which cannot be passed through to a VM.
// Static filters (filters/filter.ts) give the same answer for every member, so a gang asks them once per static class.
//
// State class: nodes of one static class that are also in the same state — free CPU, memory and
// GPU milli (per GPU, in index order), MIG slices, replicas per shape class and the tenant marks
// the isolation filters read. Every filter that reads 'static' or 'state', and every node-local
// scorer, answers the same for every member, so a replica filters and scores one member per class
// and takes, among the best classes, the member with the smallest tie-break rank — exactly the
// node a scan over all nodes would choose. A fresh fleet of 20,000 identical hosts is one class.
//
// A per-node filter whose answer differs only on a few nodes (booked capacity: filters/filter.ts,
// `differsOn`), and there depends only on the node's state and a tag (what is booked there), need
// not force a node-by-node scan: the classes key those nodes by their tag too, and every class
// then answers the filter alike.
//
// Membership follows the snapshot lazily: the snapshot lists the nodes it changed and the next
// scan re-keys only those. Each class keeps its members in a heap by rank (stale entries are
// dropped when they reach the top), so its smallest-rank member is at hand.
import { SHAPE_CLASSES, type Snapshot } from './snapshot.js';

export class NodeClasses {
  /** Node → static class. */
  readonly staticOf: Int32Array;
  /** Static class → members (ascending node order) and one member to ask. */
  readonly staticMembers: Int32Array[] = [];
  /** Node → state class. */
  readonly stateOf: Int32Array;
  /** State class → generation, bumped whenever its id is given to a new state: caches keyed by class compare it. */
  readonly gen: Uint32Array;
  /** State class → its static class, member count and members by rank (a heap with stale entries). */
  private readonly stateStatic: number[] = [];
  private readonly stateSize: number[] = [];
  private readonly heaps: number[][] = [];
  private readonly keys: string[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly freeIds: number[] = [];
  /** State classes with members, in no particular order, and each one's position in it. */
  readonly active: number[] = [];
  private readonly activeAt: number[] = [];
  private epoch = -1;
  private readonly staticNodes = new Map<string, Int32Array>();
  /** Tagged nodes: they share a state class only with nodes of the same tag. */
  private tags: ReadonlyMap<number, string> = new Map();
  /** Tag → a short number for the class key (tags are long; keys are built on every re-key). */
  private readonly tagIds = new Map<string, number>();

  /** Use nodeClassesOf(): the classes consume the snapshot's list of changed nodes, so there is one reader per snapshot. */
  constructor(private readonly snap: Snapshot) {
    this.staticOf = new Int32Array(snap.nodeCount);
    this.stateOf = new Int32Array(snap.nodeCount).fill(-1);
    this.gen = new Uint32Array(snap.nodeCount);
  }

  /** Brings the classes up to date with the snapshot. */
  sync(): void {
    const snap = this.snap;
    const changed = snap.takeChanged();
    if (this.epoch !== snap.staticEpoch) {
      this.rebuild();
      return;
    }
    if (changed === null) {
      for (let n = 0; n < snap.nodeCount; n++) this.rekey(n);
      return;
    }
    for (const n of changed) this.rekey(n);
  }

  /** Keys each node of `tags` by its tag too; nodes tagged before and not now (or differently) are re-keyed. */
  tag(tags: ReadonlyMap<number, string>): void {
    if (tags === this.tags) return;
    const old = this.tags;
    this.tags = tags;
    if (this.epoch !== this.snap.staticEpoch) return; // the next sync() rebuilds every class
    for (const n of old.keys()) if (tags.get(n) !== old.get(n)) this.rekey(n);
    for (const n of tags.keys()) if (!old.has(n)) this.rekey(n);
  }

  /** Whether the classes key nodes by exactly these tags (so a filter whose answer follows them answers alike per class). */
  tagged(tags: ReadonlyMap<number, string>): boolean {
    if (tags === this.tags) return true;
    if (tags.size !== this.tags.size) return false;
    for (const [n, t] of tags) if (this.tags.get(n) !== t) return false;
    return true;
  }

  /** Nodes (ascending) of the static classes marked in `ok`; kept per set of classes until the grouping changes. */
  nodesOfStatic(ok: Uint8Array): Int32Array {
    const key = ok.join('');
    let nodes = this.staticNodes.get(key);
    if (!nodes) {
      if (this.staticNodes.size > 64) this.staticNodes.clear();
      const out = new Int32Array(this.snap.nodeCount);
      let k = 0;
      for (let n = 0; n < out.length; n++) if (ok[this.staticOf[n]!] === 1) out[k++] = n;
      nodes = out.slice(0, k);
      this.staticNodes.set(key, nodes);
    }
    return nodes;
  }

  /** Members of state class c. */
  size(c: number): number {
    return this.stateSize[c]!;
  }

  staticClassOf(c: number): number {
    return this.stateStatic[c]!;
  }

  /** The member of state class c with the smallest tie-break rank. */
  first(c: number): number {
    const h = this.heaps[c]!;
    const rank = this.snap.rank;
    while (h.length > 0 && this.stateOf[h[0]!] !== c) heapPop(h, rank);
    return h[0]!;
  }

  private rebuild(): void {
    const snap = this.snap;
    this.epoch = snap.staticEpoch;
    this.staticMembers.length = 0;
    this.staticNodes.clear();
    const statics = new Map<string, number[]>();
    for (let n = 0; n < snap.nodeCount; n++) {
      const k = staticKey(snap, n);
      let list = statics.get(k);
      if (!list) statics.set(k, (list = []));
      list.push(n);
    }
    for (const list of statics.values()) {
      const id = this.staticMembers.length;
      this.staticMembers.push(Int32Array.from(list));
      for (const n of list) this.staticOf[n] = id;
    }
    this.stateStatic.length = this.stateSize.length = this.heaps.length = this.keys.length = 0;
    this.byKey.clear();
    this.freeIds.length = this.active.length = this.activeAt.length = 0;
    this.stateOf.fill(-1);
    for (let n = 0; n < snap.nodeCount; n++) this.rekey(n);
  }

  private rekey(n: number): void {
    const tag = this.tags.get(n);
    let key = stateKey(this.snap, n, this.staticOf[n]!);
    if (tag !== undefined) {
      let id = this.tagIds.get(tag);
      if (id === undefined) this.tagIds.set(tag, (id = this.tagIds.size));
      key += `|#${id}`;
    }
    const old = this.stateOf[n]!;
    if (old >= 0 && this.keys[old] === key) return;
    let c = this.byKey.get(key);
    if (c === undefined) c = this.open(key, this.staticOf[n]!);
    if (old >= 0) this.leave(old);
    this.stateOf[n] = c;
    this.stateSize[c]!++;
    const h = this.heaps[c]!;
    heapPush(h, n, this.snap.rank);
    // Stale entries pile up under churn; keep the heap within a small multiple of the class.
    if (h.length > 2 * this.stateSize[c]! + 16) this.compact(c);
  }

  private open(key: string, staticClass: number): number {
    const c = this.freeIds.pop() ?? this.keys.length;
    this.gen[c]!++;
    this.keys[c] = key;
    this.stateStatic[c] = staticClass;
    this.stateSize[c] = 0;
    this.heaps[c] = [];
    this.byKey.set(key, c);
    this.activeAt[c] = this.active.length;
    this.active.push(c);
    return c;
  }

  private leave(c: number): void {
    if (--this.stateSize[c]! > 0) return;
    this.byKey.delete(this.keys[c]!);
    this.keys[c] = '';
    this.heaps[c] = [];
    const at = this.activeAt[c]!;
    const last = this.active.pop()!;
    if (last !== c) {
      this.active[at] = last;
      this.activeAt[last] = at;
    }
    this.freeIds.push(c);
  }

  private compact(c: number): void {
    const live = [...new Set(this.heaps[c]!.filter((n) => this.stateOf[n] === c))];
    const h: number[] = [];
    for (const n of live) heapPush(h, n, this.snap.rank);
    this.heaps[c] = h;
  }
}

function staticKey(snap: Snapshot, n: number): string {
  let k = `${snap.schedulable[n]}|${snap.model[n]}|${snap.site[n]}|${snap.cpuCap[n]}|${snap.memCap[n]}|`;
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) k += snap.gpuMig[g] === 1 ? 'm' : snap.gpuNoPassthrough[g] === 1 ? 'x' : 'g';
  return k;
}

/** Everything a 'state' filter or a node-local scorer may read of node n, beyond its static class. */
function stateKey(snap: Snapshot, n: number, staticClass: number): string {
  let k = `${staticClass}|${snap.cpuFree[n]}|${snap.memFree[n]}|`;
  const t = snap.tenants;
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
    k += snap.gpuMig[g] === 1 ? `m${snap.migUsed[g]},` : `${snap.gpuFree[g]},`;
    const sharers = t.gpuSharers[g]!;
    if (sharers > 0) k += `s${tenantOf(sharers, t.gpuSharerSum[g]!, t.gpuSharerSq[g]!)}${t.gpuSharersClosed[g]! > 0 ? 'c' : ''},`;
  }
  const row = n * SHAPE_CLASSES;
  for (let s = 0; s < SHAPE_CLASSES; s++) {
    const c = snap.shapeCounts[row + s]!;
    if (c > 0) k += `|${s}:${c}`;
  }
  const held = t.nodeTenants[n]!;
  if (held > 0) k += `|t${tenantOf(held, t.nodeTenantSum[n]!, t.nodeTenantSq[n]!)}`;
  if (t.nodeExclusive[n]! > 0) k += `|x${t.nodeExclusiveTenant[n]}`;
  return k;
}

/** The tenant number all `count` marks share, or -1 when they are mixed. */
function tenantOf(count: number, sum: number, sq: number): number {
  const v = sum / count;
  return Number.isInteger(v) && sq === count * v * v ? v : -1;
}

function heapPush(h: number[], n: number, rank: Int32Array): void {
  let i = h.length;
  h.push(n);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (rank[h[p]!]! <= rank[n]!) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = n;
}

function heapPop(h: number[], rank: Int32Array): void {
  const last = h.pop()!;
  if (h.length === 0) return;
  let i = 0;
  const r = rank[last]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= h.length) break;
    if (c + 1 < h.length && rank[h[c + 1]!]! < rank[h[c]!]!) c++;
    if (rank[h[c]!]! >= r) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
}

// One grouping per snapshot, shared by every policy scheduling on it (it alone reads the snapshot's change list).
const bySnapshot = new WeakMap<Snapshot, NodeClasses>();

export function nodeClassesOf(snap: Snapshot): NodeClasses {
  let c = bySnapshot.get(snap);
  if (!c) bySnapshot.set(snap, (c = new NodeClasses(snap)));
  return c;
}
