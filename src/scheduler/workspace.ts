// Scratch memory reused across cycles on one snapshot: candidate lists, score buffers and the
// per-node score cache. Allocating these per replica would dominate the cost on big fleets.
//
// The cache is direct-mapped: slot (node, shapeId mod SLOTS) remembers the weighted total of the
// last shape scored there and the node version it was computed at. A node changes only when a
// replica lands on or leaves it, so in steady state a cycle rescores just those nodes.

import type { Snapshot } from './snapshot.js';

const SLOTS = 32;

export class Workspace {
  readonly candidates: Int32Array;
  readonly totals: Float64Array;
  readonly partial: Float64Array;
  readonly missNodes: Int32Array;
  readonly missAt: Int32Array;
  readonly missTotals: Float64Array;
  private cacheShape: Int32Array | null = null;
  private cacheVersion: Uint32Array | null = null;
  private cacheTotal: Float64Array | null = null;
  private readonly shapeIds = new Map<string, number>();

  constructor(readonly snap: Snapshot) {
    const n = snap.nodeCount;
    this.candidates = new Int32Array(n);
    this.totals = new Float64Array(n);
    this.partial = new Float64Array(n);
    this.missNodes = new Int32Array(n);
    this.missAt = new Int32Array(n);
    this.missTotals = new Float64Array(n);
  }

  shapeId(key: string): number {
    let id = this.shapeIds.get(key);
    if (id === undefined) {
      id = this.shapeIds.size;
      this.shapeIds.set(key, id);
    }
    return id;
  }

  /**
   * Copies cached totals of nodes[0..count) for shape `sid` into totals[]; collects misses into
   * missNodes/missAt and returns how many there were.
   */
  lookup(sid: number, nodes: Int32Array, count: number): number {
    if (!this.cacheShape) {
      const size = this.snap.nodeCount * SLOTS;
      this.cacheShape = new Int32Array(size).fill(-1);
      this.cacheVersion = new Uint32Array(size);
      this.cacheTotal = new Float64Array(size);
    }
    const shape = this.cacheShape;
    const ver = this.cacheVersion!;
    const total = this.cacheTotal!;
    const version = this.snap.version;
    const slot = sid & (SLOTS - 1);
    let misses = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      const k = n * SLOTS + slot;
      if (shape[k] === sid && ver[k] === version[n]) this.totals[i] = total[k]!;
      else {
        this.missNodes[misses] = n;
        this.missAt[misses++] = i;
      }
    }
    return misses;
  }

  /** Stores freshly computed totals for the misses of the last lookup. */
  store(sid: number, misses: number, missTotals: Float64Array): void {
    const slot = sid & (SLOTS - 1);
    const version = this.snap.version;
    for (let m = 0; m < misses; m++) {
      const n = this.missNodes[m]!;
      const k = n * SLOTS + slot;
      this.cacheShape![k] = sid;
      this.cacheVersion![k] = version[n]!;
      this.cacheTotal![k] = missTotals[m]!;
      this.totals[this.missAt[m]!] = missTotals[m]!;
    }
  }
}
