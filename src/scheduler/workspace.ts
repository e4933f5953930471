// Scratch memory reused across cycles on one snapshot: candidate lists, score buffers and the
// score cache. Allocating these per replica would dominate the cost on big fleets.
//
// The cache is direct-mapped: slot (state class, shapeId mod SLOTS) remembers the weighted total
// of the last shape scored there and the class generation it was computed at. Every member of a
// state class (node-classes.ts) is in the same state, so its score holds until the class id is
// given to another state; a replica landing moves its node to another class and leaves the rest
// of the cache valid.

import type { Snapshot } from './snapshot.js';

const SLOTS = 32;

export class Workspace {
  readonly candidates: Int32Array;
  readonly totals: Float64Array;
  readonly partial: Float64Array;
  readonly missNodes: Int32Array;
  readonly missAt: Int32Array;
  readonly missTotals: Float64Array;
  private readonly missIds: Int32Array;
  private cacheShape: Int32Array | null = null;
  private cacheGen: Uint32Array | null = null;
  private cacheTotal: Float64Array | null = null;
  private readonly shapeIds = new Map<string, number>();

  constructor(readonly snap: Snapshot) {
    const n = snap.nodeCount;
    this.candidates = new Int32Array(n);
    this.totals = new Float64Array(n);
    this.partial = new Float64Array(n);
    this.missNodes = new Int32Array(n);
    this.missAt = new Int32Array(n);
    this.missIds = new Int32Array(n);
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
   * Copies cached totals of nodes[0..count) (node n in state class classOf[n], at generation
   * gen[class]) for shape `sid` into totals[]; collects misses into missNodes/missAt and returns
   * how many there were.
   */
  lookup(sid: number, nodes: Int32Array, count: number, classOf: Int32Array, gen: Uint32Array): number {
    if (!this.cacheShape) {
      const size = this.snap.nodeCount * SLOTS;
      this.cacheShape = new Int32Array(size).fill(-1);
      this.cacheGen = new Uint32Array(size);
      this.cacheTotal = new Float64Array(size);
    }
    const shape = this.cacheShape;
    const cgen = this.cacheGen!;
    const total = this.cacheTotal!;
    const slot = sid & (SLOTS - 1);
    let misses = 0;
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      const c = classOf[n]!;
      const k = c * SLOTS + slot;
      if (shape[k] === sid && cgen[k] === gen[c]) this.totals[i] = total[k]!;
      else {
        this.missNodes[misses] = n;
        this.missIds[misses] = c;
        this.missAt[misses++] = i;
      }
    }
    return misses;
  }

  /** Stores freshly computed totals for the misses of the last lookup. */
  store(sid: number, misses: number, missTotals: Float64Array, gen: Uint32Array): void {
    const slot = sid & (SLOTS - 1);
    for (let m = 0; m < misses; m++) {
      const c = this.missIds[m]!;
      const k = c * SLOTS + slot;
      this.cacheShape![k] = sid;
      this.cacheGen![k] = gen[c]!;
      this.cacheTotal![k] = missTotals[m]!;
      this.totals[this.missAt[m]!] = missTotals[m]!;
    }
  }
}
